"""Connector instances of a workspace, and execute_ddl against one of them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..domain import connector_ddl, connector_instances
from ..domain.connector_ddl import Caller
from ..domain.paging import paginate
from ..request_id import current_request_id
from ..schemas.common import ErrorBody, Page
from ..schemas.connector_instances import (
    ConnectorInstanceCreate,
    ConnectorInstancePublic,
    DDLAuditPublic,
    DDLRequest,
    DDLResult,
)
from ..store.tables import ConnectorInstance
from .deps import PageDep, SessionDep, SettingsDep, WorkspaceAdmin, WorkspaceBuilder, WorkspaceViewer

router = APIRouter(
    prefix="/connector-instances",
    tags=["connector-instances"],
)


def _public(row: ConnectorInstance) -> ConnectorInstancePublic:
    return ConnectorInstancePublic(
        id=row.id,
        org_id=row.org_id,
        workspace_id=row.workspace_id,
        connector=row.connector,
        instance_name=row.instance_name,
        configuration=dict(row.configuration or {}),
        has_credentials=row.credentials_sealed is not None,
        created_at=row.created_at,
        created_by=row.created_by,
        test_status=row.test_status,
        test_message=row.test_message,
        last_tested_at=row.last_tested_at,
    )


@router.post("", response_model=ConnectorInstancePublic, status_code=201)
def create_connector_instance(
    body: ConnectorInstanceCreate, scope: WorkspaceBuilder, session: SessionDep, settings: SettingsDep
) -> ConnectorInstancePublic:
    """Register a database; ``credentials`` are encrypted at rest and never returned."""
    row = connector_instances.create_connector_instance(
        session,
        settings,
        org_id=scope.org_id,
        workspace_id=scope.workspace_id or "",
        actor=scope.principal.subject,
        body=body,
    )
    return _public(row)


@router.get("", response_model=Page[ConnectorInstancePublic])
def read_connector_instances(
    scope: WorkspaceViewer, session: SessionDep, page: PageDep
) -> Page[ConnectorInstancePublic]:
    rows = connector_instances.read_connector_instances(session, scope.workspace_id or "")
    return paginate(rows, page, _public)


@router.get("/{instance_id}", response_model=ConnectorInstancePublic)
def read_connector_instance(instance_id: str, scope: WorkspaceViewer, session: SessionDep) -> ConnectorInstancePublic:
    row = connector_instances.read_connector_instance(session, scope.workspace_id or "", instance_id)
    return _public(row)


@router.delete("/{instance_id}", status_code=204, response_class=Response)
def delete_connector_instance(
    instance_id: str, scope: WorkspaceBuilder, session: SessionDep, settings: SettingsDep
) -> Response:
    """Forget the instance (a sqlite instance's file goes too); its audit trail stays."""
    connector_instances.delete_connector_instance(session, settings, scope.workspace_id or "", instance_id)
    return Response(status_code=204)


@router.post("/{instance_id}/test", response_model=ConnectorInstancePublic)
def test_connector_instance(
    instance_id: str, scope: WorkspaceBuilder, session: SessionDep, settings: SettingsDep
) -> ConnectorInstancePublic:
    """Connect once and record ``test_status``, ``test_message`` and ``last_tested_at``."""
    row = connector_instances.test_connector_instance(session, settings, scope.workspace_id or "", instance_id)
    return _public(row)


@router.post(
    "/{instance_id}/ddl",
    response_model=DDLResult,
    responses={
        403: {"model": ErrorBody, "description": "Viewer, or a builder executing high risk."},
        422: {
            "model": ErrorBody,
            "description": "DDL_NOT_ALLOWED (refused statement) or VALIDATION_ERROR (confirm without a reason).",
        },
    },
)
def execute_ddl(
    instance_id: str,
    body: DDLRequest,
    scope: WorkspaceViewer,
    session: SessionDep,
    settings: SettingsDep,
) -> DDLResult:
    """Preview (``confirm=false``: changes nothing) or execute one DDL statement.

    Only one CREATE / ALTER / DROP / COMMENT ON / CREATE INDEX statement is accepted.
    A preview runs it in a rolled-back transaction on PostgreSQL, against a copy on
    SQLite, and statically on MySQL/MariaDB. Every call is audited, refusals too.
    """
    caller = Caller(actor=scope.principal.subject, role=scope.role, request_id=current_request_id())
    audit, run = connector_ddl.execute_ddl(
        session,
        settings,
        workspace_id=scope.workspace_id or "",
        instance_id=instance_id,
        caller=caller,
        sql=body.sql,
        confirm=body.confirm,
        reason=body.reason,
    )
    analysis = run.analysis
    return DDLResult(
        audit_id=audit.id,
        preview_id=None if body.confirm else audit.id,
        instance_id=audit.instance_id,
        connector=audit.connector,
        statement=analysis.sql,
        sha256=analysis.sha256,
        kind=analysis.kind,
        objects=analysis.objects,  # type: ignore[arg-type]
        risk=run.risk,
        findings=[f.to_dict() for f in run.findings],  # type: ignore[misc]
        transactional=analysis.transactional,
        mode=run.mode,  # type: ignore[arg-type]
        confirm=body.confirm,
        executed=run.executed,
        outcome=run.outcome,  # type: ignore[arg-type]
        error=run.error,
        locks=run.locks,
        objects_changed=run.objects_changed,  # type: ignore[arg-type]
        duration_ms=run.duration_ms,
        reason=audit.reason,
    )


@router.get("/{instance_id}/audit", response_model=Page[DDLAuditPublic])
def read_ddl_audit(instance_id: str, scope: WorkspaceAdmin, session: SessionDep, page: PageDep) -> Page[DDLAuditPublic]:
    """Every execute_ddl attempt on the instance, newest first. Append-only; admins only."""
    rows = connector_ddl.read_ddl_audit(session, scope.workspace_id or "", instance_id)
    return paginate(rows, page, DDLAuditPublic.model_validate)
