"""Connector instances (registered databases) and the append-only log of DDL attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, IdMixin, UTCDateTime


class ConnectorInstance(IdMixin, Base):
    __tablename__ = "connector_instances"
    __table_args__ = (UniqueConstraint("workspace_id", "instance_name"),)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    connector: Mapped[str] = mapped_column(String(20))
    instance_name: Mapped[str] = mapped_column(String(200))
    # Non-secret settings only (host, port, database, user, options, timeouts).
    configuration: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Fernet token of the credentials dict; never returned, never logged.
    credentials_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(36), default="")
    test_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    test_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DDLAuditEntry(IdMixin, Base):
    """One row per execute_ddl call, whatever became of it. Rows are never updated.

    No foreign key to the instance: the trail outlives the instance it describes.
    """

    __tablename__ = "ddl_audit"
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    workspace_id: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    connector: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(36))
    role: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    sql: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    confirm: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    kind: Mapped[str | None] = mapped_column(String(60), nullable=True)
    mode: Mapped[str | None] = mapped_column(String(40), nullable=True)
    risk: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # refused | rejected | denied | previewed | succeeded | failed
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    objects: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
