"""Facts about the database itself, such as which master secret it was created with."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class PlatformMeta(Base):
    __tablename__ = "platform_meta"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
