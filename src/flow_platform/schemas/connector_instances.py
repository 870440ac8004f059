"""Connector instances and execute_ddl on the wire. Credentials go in, never out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .common import Public, RequestModel

Connector = Literal["postgres", "mysql", "sqlite"]

# libpq settings a caller may pass through. Anything that reads files on the platform
# host (sslrootcert, passfile, ...) or sets server parameters (options=-c ...) that
# could undo the platform's timeouts is left out on purpose.
_OPTIONS = {"sslmode", "target_session_attrs", "keepalives", "application_name"}


class ConnectorConfiguration(BaseModel):
    """Where the database is. Empty for ``sqlite``: the platform owns that file."""

    model_config = ConfigDict(extra="forbid")

    host: str | None = Field(default=None, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    database: str | None = Field(default=None, max_length=255)
    # PostgreSQL only: the schema the instance owns (default public); statements may
    # name nothing outside it.
    schema_: str | None = Field(default=None, alias="schema", min_length=1, max_length=63)
    user: str | None = Field(default=None, max_length=255)
    options: dict[str, str] = Field(default_factory=dict)
    lock_timeout_ms: int = Field(default=2_000, ge=1, le=600_000)
    statement_timeout_ms: int = Field(default=60_000, ge=1, le=3_600_000)

    @field_validator("options")
    @classmethod
    def _known_options(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - _OPTIONS)
        if unknown:
            raise ValueError(f"unsupported options: {', '.join(unknown)}")
        return value


class ConnectorCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(default="", max_length=1024, repr=False)


class ConnectorInstanceCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    connector: Connector
    instance_name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
    configuration: ConnectorConfiguration = Field(default_factory=ConnectorConfiguration)
    credentials: ConnectorCredentials = Field(default_factory=ConnectorCredentials)

    @model_validator(mode="after")
    def _fits_connector(self) -> ConnectorInstanceCreate:
        cfg = self.configuration
        if self.connector == "sqlite":
            given = [k for k in ("host", "port", "database", "user", "schema_") if getattr(cfg, k)]
            if given or cfg.options or self.credentials.password:
                raise ValueError(
                    "a sqlite instance is a file the platform creates; configuration may only set timeouts"
                )
        else:
            missing = [k for k in ("host", "database", "user") if not getattr(cfg, k)]
            if missing:
                raise ValueError(f"configuration needs {', '.join(missing)}")
            if self.connector == "mysql" and cfg.schema_:
                raise ValueError("schema is for postgres; a mysql instance's schema is its database")
        return self


class ConnectorInstancePublic(Public):
    id: str
    org_id: str
    workspace_id: str
    connector: str
    instance_name: str
    configuration: dict[str, Any]
    has_credentials: bool
    created_at: datetime
    created_by: str
    test_status: str | None
    test_message: str | None
    last_tested_at: datetime | None


class DDLRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(max_length=100_000)
    confirm: bool = False
    reason: str | None = Field(default=None, max_length=2_000)


class DDLFinding(BaseModel):
    code: str
    message: str
    hint: str
    risk: str


class DDLObject(BaseModel):
    action: str
    type: str
    name: str


class DDLResult(BaseModel):
    """What a preview would do, or what an execution did."""

    audit_id: str
    preview_id: str | None = Field(description="Set for a preview (confirm=false).")
    instance_id: str
    connector: str
    statement: str
    sha256: str
    kind: str
    objects: list[DDLObject]
    risk: Literal["low", "medium", "high"]
    findings: list[DDLFinding]
    transactional: bool
    mode: Literal["executed_and_rolled_back", "static", "executed"]
    confirm: bool
    executed: bool
    outcome: Literal["previewed", "succeeded", "failed"]
    error: str | None
    locks: list[dict[str, Any]]
    objects_changed: list[DDLObject]
    duration_ms: int
    reason: str | None


class DDLAuditPublic(Public):
    id: str
    created_at: datetime
    instance_id: str
    connector: str
    actor: str
    role: str
    request_id: str | None
    sql: str
    sha256: str
    confirm: bool
    reason: str | None
    kind: str | None
    mode: str | None
    risk: str | None
    outcome: str
    error: str | None
    findings: list[dict[str, Any]]
    objects: list[dict[str, Any]]
    duration_ms: int
