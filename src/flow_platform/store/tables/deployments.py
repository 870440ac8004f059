"""Component and workflow deployments: one row per component version put into a ring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, IdMixin, UTCDateTime


class Deployment(IdMixin, Base):
    __tablename__ = "deployments"
    __table_args__ = (
        Index("ix_deployments_status", "status"),
        Index("ix_deployments_ring_component", "ring_id", "component_type", "component_name"),
    )
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    ring_id: Mapped[str] = mapped_column(ForeignKey("rings.id", ondelete="CASCADE"))
    component_id: Mapped[str] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), index=True)
    # "component" or "workflow": which wire collection the deployment belongs to.
    kind: Mapped[str] = mapped_column(String(20))
    # Copied from the (immutable) component so superseding needs no join.
    component_type: Mapped[str] = mapped_column(String(40))
    component_name: Mapped[str] = mapped_column(String(200))
    component_version: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    promoted_from_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # The deployment this one superseded when it became active; rollback re-activates it.
    previous_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # What the deploying step recorded: digest of the built code, interpreter, steps.
    artifact: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The deployer working on it and until when its claim holds without a heartbeat.
    worker_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the deployment last entered each state: one column per state, so that the
    # compare-and-set UPDATE of a transition can stamp its own time.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    building_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deploying_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    validating_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    active_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rolling_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rolled_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
