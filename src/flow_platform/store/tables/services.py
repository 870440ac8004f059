"""Hosted services, their versions and endpoints (with the frozen code), and async jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, IdMixin, UTCDateTime


class HostedService(IdMixin, Base):
    __tablename__ = "hosted_services"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    execution_mode: Mapped[str] = mapped_column(String(20))
    ring_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by: Mapped[str] = mapped_column(String(36))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ServiceVersion(IdMixin, Base):
    __tablename__ = "service_versions"
    __table_args__ = (UniqueConstraint("service_id", "number"),)
    service_id: Mapped[str] = mapped_column(ForeignKey("hosted_services.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, published
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Built when the version is published and never rebuilt: see domain/skills.py.
    skill_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ServiceEndpoint(IdMixin, Base):
    __tablename__ = "service_endpoints"
    __table_args__ = (UniqueConstraint("version_id", "method", "path"),)
    version_id: Mapped[str] = mapped_column(ForeignKey("service_versions.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    code_block_id: Mapped[str] = mapped_column(String(36))
    # The code block's source and entrypoint, copied when the endpoint is added: the
    # catalog is immutable, and a published version must never change under its callers.
    source: Mapped[str] = mapped_column(Text)
    entrypoint: Mapped[str] = mapped_column(String(200))
    request_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    response_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=30.0)
    auth_mode: Mapped[str] = mapped_column(String(20), default="platform")
    async_eligible: Mapped[bool] = mapped_column(default=False)
    expose_as_agent_tool: Mapped[bool] = mapped_column(default=False, server_default=false())
    tool_description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Attempts an async job of this endpoint gets when its worker crashes or times out.
    max_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # Sandbox limits the endpoint sets ({"memory_mb": 256, ...}); unset ones are the platform's.
    limits: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    network: Mapped[str] = mapped_column(String(20), default="none")


class ServiceJob(IdMixin, Base):
    __tablename__ = "service_jobs"
    __table_args__ = (UniqueConstraint("service_id", "idempotency_key"),)
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("hosted_services.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    pinned: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    query: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text, default="")
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_id: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="staged", index=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    attempt_log: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list, nullable=True)
    lane: Mapped[str] = mapped_column(String(20), default="standard", server_default="standard")
    # A job staged again after a failed attempt waits until then (backoff).
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=30.0)
    # Whoever runs the job holds it until then; past it no platform process can still be
    # running it (each enforces the endpoint timeout), so a sweeper may fail it.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
