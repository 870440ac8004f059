"""Wire shapes shared by every resource, and the bounds every request is held to.

Input is checked here, at the edge, against what the store can hold: a value the
database would refuse (a NUL in a PostgreSQL string, a name longer than its column,
an integer past 64 bits) is a 422 naming the field, never a driver error.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ..domain.ids import INT32_MAX, INT64_MAX

T = TypeVar("T")

# The largest codeblock source, in characters (documented in docs/components.md).
SOURCE_MAX_CHARS = 1_000_000
TEXT_MAX_CHARS = 10_000

# One line of printable text: no C0 controls and no DEL. NUL in particular is refused
# by PostgreSQL, and the rest corrupt logs and terminals that show names.
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
# Free text (descriptions, reasons, source code) keeps tabs and newlines but never NUL.
_NO_NUL = r"^[^\x00]*$"


def _line(max_length: int, min_length: int = 0) -> Any:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=_ONE_LINE)


Name = Annotated[str, _line(200, 1)]
"""A required name or label (200 characters, one line)."""
Label = Annotated[str, _line(200)]
"""An optional label: may be empty."""
Word = Annotated[str, _line(40)]
"""An enumerated word checked by the domain (a role, a type, a mode, a method)."""
Ref = Annotated[str, _line(64)]
"""An id in a body or query: its form is checked (a UUID) where it is looked up."""
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX_CHARS, pattern=_NO_NUL)]
Source = Annotated[str, StringConstraints(max_length=SOURCE_MAX_CHARS, pattern=_NO_NUL)]
Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
Position = Annotated[int, Field(ge=0, le=INT32_MAX)]

# Query and path parameters with the same bounds.
QueryWord = Annotated[str | None, Query(max_length=200, pattern=_ONE_LINE)]
QueryRef = Annotated[str | None, Query(max_length=64, pattern=_ONE_LINE)]
PathName = Annotated[str, Path(max_length=200, pattern=_ONE_LINE)]


def _find_nul(value: Any, where: str) -> str | None:
    """The dotted path of the first string (or key) holding a NUL, or None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_nul(key, where) or _find_nul(item, f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_nul(item, f"{where}.{index}" if where else str(index))
            if found is not None:
                return found
    return None


class RequestModel(BaseModel):
    """Base of every request body: no NUL anywhere in it, free-form JSON objects included."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        found = _find_nul(data, "")
        if found is not None:
            raise ValueError(f"{found or 'body'} may not contain NUL (\\u0000) characters")
        return data


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
