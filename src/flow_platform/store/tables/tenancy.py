"""Organizations, their workspaces and each workspace's deployment rings."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, IdMixin


class Org(IdMixin, Base):
    __tablename__ = "orgs"
    name: Mapped[str] = mapped_column(String(200))


class Workspace(IdMixin, Base):
    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class Ring(IdMixin, Base):
    __tablename__ = "rings"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Promotion order: lower positions come first (dev=10, staging=20, production=30).
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    built_in: Mapped[bool] = mapped_column(default=False)
