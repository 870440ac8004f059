"""Deployment rings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from .common import Position, Public, RequestModel, Text


class RingCreate(RequestModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
    position: Position | None = Field(default=None, description="Promotion order; default: after the last ring")
    description: Text = ""


class RingPublic(Public):
    id: str
    workspace_id: str
    name: str
    position: int
    description: str
    built_in: bool
    created_at: datetime
