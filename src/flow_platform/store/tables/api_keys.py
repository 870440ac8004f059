"""Organization API keys: only a keyed hash and a lookup id are ever stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, IdMixin, UTCDateTime


class ApiKey(IdMixin, Base):
    __tablename__ = "api_keys"
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[str | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    # "org" (fl_...) or "deploy" (fl_deploy_...: one workspace's deployments only).
    kind: Mapped[str] = mapped_column(String(20), default="org", server_default="org")
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    lookup_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
