"""Service-token revocations: one row per revoked jti, one cutoff per service, one counter.

Minted tokens are not stored: a token is valid by its signature alone, unless a row
here says otherwise. ``service_id`` is a plain indexed string, not a foreign key, so
revocations do not depend on the hosted-services table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base, IdMixin, UTCDateTime


class ServiceTokenRevocation(IdMixin, Base):
    """One revoked token, kept until its ``expires_at`` plus a leeway, then pruned."""

    __tablename__ = "service_token_revocations"
    __table_args__ = (UniqueConstraint("service_id", "jti", name="uq_service_token_revocations_service_id"),)

    workspace_id: Mapped[str] = mapped_column(String(36), index=True)
    service_id: Mapped[str] = mapped_column(String(36), index=True)
    jti: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by: Mapped[str] = mapped_column(String(36))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The revocation counter's value when this row was written: workers load only newer rows.
    version: Mapped[int] = mapped_column(BigInteger, index=True)


class ServiceTokenCutoff(Base):
    """``revoke_all``: every token of the service issued before ``cutoff_at`` is refused."""

    __tablename__ = "service_token_cutoffs"

    service_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(36), index=True)
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by: Mapped[str] = mapped_column(String(36))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(BigInteger, index=True)


class RevocationCounter(Base):
    """A single row (id 1) whose ``version`` goes up with every revocation write.

    Verifiers read it on every check: unchanged means their local view is current.
    """

    __tablename__ = "service_token_revocation_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
