"""Component and workflow deployments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from .common import Public, Ref, RequestModel, Text, Word


class DeploymentItem(RequestModel):
    component_id: Ref
    component_type: Word | None = Field(default=None, description="Checked against the component's own type")


class DeploymentCreate(RequestModel):
    ring_id: Ref
    deployment_notes: Text = ""
    components: list[DeploymentItem] = Field(max_length=100)


class DeploymentPromote(RequestModel):
    target_ring_id: Ref


class DeploymentPublic(Public):
    id: str
    workspace_id: str
    ring_id: str
    component_id: str
    component_type: str
    component_name: str
    component_version: str
    status: str = Field(
        description="queued, building, deploying, validating, active, failed, rolling_back, rolled_back or superseded"
    )
    error: str | None
    deployment_notes: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    promoted_from_id: str | None
    previous_id: str | None = Field(description="What this deployment superseded; rollback re-activates it")
    artifact: dict[str, Any] | None
    attempts: int
    timestamps: dict[str, datetime] = Field(description="When the deployment last entered each state")


class DeploymentsCreated(BaseModel):
    deployments: list[DeploymentPublic]
