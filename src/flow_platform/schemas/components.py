"""Catalog components. Unknown fields of a create request are kept as the type's config."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .common import Public


class ComponentCreate(BaseModel):
    model_config = ConfigDict(extra="allow")

    component_type: str
    name: str | None = None
    version: str | None = None
    description: str = ""
    source: str | None = Field(default=None, description="codeblock: Python source text")
    entrypoint: str | None = Field(default=None, description="codeblock: function to call (default main)")
    steps: list[Any] | None = Field(default=None, description="workflow: codeblock ids or {name, version}")
    config: dict[str, Any] = Field(default_factory=dict)

    def extra_config(self) -> dict[str, Any]:
        return {**(self.model_extra or {}), **self.config}


class ComponentUpdate(BaseModel):
    """Only ``description`` may change; other fields equal to the stored ones are accepted."""

    model_config = ConfigDict(extra="allow")
    description: str | None = None


class ComponentVersionCreate(BaseModel):
    version: str
    description: str | None = None
    source: str | None = None
    entrypoint: str | None = None
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
