"""Catalog components. Unknown fields of a create request are kept as the type's config."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from .common import SOURCE_MAX_CHARS, Label, Public, RequestModel, Source, Text, Word


class ComponentCreate(RequestModel):
    model_config = ConfigDict(extra="allow")

    component_type: Word
    name: Label | None = None
    version: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")] | None = None
    description: Text = ""
    source: Source | None = Field(
        default=None, description=f"codeblock: Python source text, at most {SOURCE_MAX_CHARS:,} characters"
    )
    entrypoint: Label | None = Field(default=None, description="codeblock: function to call (default main)")
    steps: list[Any] | None = Field(default=None, description="workflow: codeblock ids or {name, version}")
    config: dict[str, Any] = Field(default_factory=dict)

    def extra_config(self) -> dict[str, Any]:
        return {**(self.model_extra or {}), **self.config}


class ComponentUpdate(RequestModel):
    """Only ``description`` may change; other fields equal to the stored ones are accepted."""

    model_config = ConfigDict(extra="allow")
    description: Text | None = None


class ComponentVersionCreate(RequestModel):
    version: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
    description: Text | None = None
    source: Source | None = None
    entrypoint: Label | None = None
    steps: list[Any] | None = None
    config: dict[str, Any] | None = None


class ComponentPublic(Public):
    id: str
    workspace_id: str
    component_type: str
    name: str
    version: str
    description: str
    source: str | None
    entrypoint: str | None
    config: dict[str, Any]
    created_by: str
    created_at: datetime
