"""Hosted services, versions, endpoints and async jobs on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from ..domain.auth_modes import AuthMode
from .common import Label, Public, Ref, RequestModel, Text, Word


class ServiceCreate(RequestModel):
    slug: Annotated[str, StringConstraints(max_length=63, pattern=r"^[^\x00-\x1f\x7f]*$")] | None = Field(
        default=None, description="lowercase letters, digits and hyphens; immutable"
    )
    name: Label | None = None
    execution_mode: Word | None = Field(default="invocation", description="invocation (needs ring_id) or persistent")
    ring_id: Ref | None = None
    description: Text = ""


class ServicePublic(Public):
    id: str
    org_id: str
    workspace_id: str
    slug: str
    name: str
    description: str
    execution_mode: str
    ring_id: str | None
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime | None
    latest_version: int | None = Field(default=None, description="the newest published version")
    invoke_url: str = Field(default="", description="gateway path of the latest version")


class VersionPublic(Public):
    id: str
    service_id: str
    number: int
    status: str
    published_at: datetime | None
    created_at: datetime


class EndpointCreate(RequestModel):
    path: Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
    method: Word
    code_block_id: Ref
    request_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    timeout_seconds: float | None = Field(default=None, allow_inf_nan=False, description="default 30, at most 300")
    auth_mode: AuthMode = Field(default=AuthMode.PLATFORM, description="who may call the endpoint")
    async_eligible: bool = False
    name: Label = ""
    description: Text = ""
    expose_as_agent_tool: bool = Field(default=False, description="list the endpoint as a tool on the MCP server")
    tool_description: str = Field(default="", description="what an agent reads about the tool; default: description")
    max_attempts: int | None = Field(
        default=None, description="attempts of an async job whose worker crashed or timed out: default 3, at most 10"
    )
    limits: dict[str, Any] | None = Field(
        default=None,
        description="sandbox limits of this endpoint's worker: memory_mb, cpu_seconds, processes, open_files, "
        "file_size_mb (each optional, 1 to its maximum; unset ones are the platform's)",
    )
    network: Word = Field(default="none", description="none, or outbound to let its worker use the network")


class EndpointPublic(Public):
    id: str
    version_id: str
    method: str
    path: str
    name: str
    description: str
    code_block_id: str
    entrypoint: str
    request_schema: dict[str, Any] | None
    response_schema: dict[str, Any] | None
    timeout_seconds: float
    auth_mode: AuthMode
    async_eligible: bool
    expose_as_agent_tool: bool
    tool_description: str
    max_attempts: int
    limits: dict[str, int] | None = Field(default=None, description="the limits this endpoint sets")
    network: str = "none"
    created_at: datetime


class SkillBundle(BaseModel):
    """A published version's skills: one per endpoint, each with a sha256 ``checksum`` over
    its canonical JSON (sorted keys, no spaces); the bundle's checksum covers its skills'."""

    format: int
    service: dict[str, Any]
    version: int
    skills: list[dict[str, Any]] = Field(
        description="manifest, http (method, path, url, path_parameters), input_schema, request_schema,"
        " response_schema, auth, execution (timeout_seconds, async_eligible, async_url), examples (sdk, cli),"
        " checksum"
    )
    checksum: str


class ServiceLogs(BaseModel):
    service_id: str
    version: int
    text: str


class JobPublic(Public):
    job_id: str = Field(validation_alias="id")
    service_id: str
    version: int
    method: str
    path: str
    status: str = Field(description="staged, running, succeeded or failed")
    status_code: int | None
    result: Any = None
    error: dict[str, Any] | None
    attempts: int
    max_attempts: int
    lane: str = Field(description="standard or priority (X-HSL-Lane)")
    attempt_log: Annotated[list[dict[str, Any]], BeforeValidator(lambda v: v or [])] = Field(
        description="one entry per attempt: attempt, started_at, finished_at, status_code,"
        " outcome (retrying, succeeded, failed), error"
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
