"""Wire shapes shared by every resource."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

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
    """One page of a collection; ``next_cursor`` is null on the last page."""

    items: list[T]
    next_cursor: str | None = None


MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


class PageQuery(BaseModel):
    """``?limit=&cursor=`` of every list route."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` of the previous page.")


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)
