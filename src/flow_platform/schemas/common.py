"""Wire shapes shared by every resource."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    """The one error body of the wire API; ``code`` is UPPER_SNAKE."""

    code: str
    message: str
    details: list[dict[str, Any]] = []
    request_id: str | None = None


class Page(BaseModel, Generic[T]):
    """Collections answer ``{"items": [...]}`` so a cursor can be added without a break."""

    items: list[T]


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)
