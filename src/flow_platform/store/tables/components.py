"""The component catalog: immutable per (workspace, type, name, version)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, IdMixin


class Component(IdMixin, Base):
    __tablename__ = "components"
    __table_args__ = (UniqueConstraint("workspace_id", "component_type", "name", "version"),)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    component_type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    entrypoint: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Type-specific settings; for workflows, config["steps"] holds the resolved steps.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(36))
