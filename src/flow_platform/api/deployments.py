"""Component and workflow deployments: two collections over one deployment model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ..domain import deployments
from ..domain.deployments import timestamps
from ..domain.paging import paginate
from ..schemas.common import ErrorBody, Page, QueryRef, QueryWord
from ..schemas.deployments import DeploymentCreate, DeploymentPromote, DeploymentPublic, DeploymentsCreated
from ..store.tables import Deployment
from .deps import PageDep, SessionDep, WorkspaceDeployer, WorkspaceDeployViewer

_DENIED: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "A viewer; or not an admin, and the ring is production."}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The deployment is not in a state that allows this."}
}


def public(row: Deployment) -> DeploymentPublic:
    return DeploymentPublic(
        id=row.id,
        workspace_id=row.workspace_id,
        ring_id=row.ring_id,
        component_id=row.component_id,
        component_type=row.component_type,
        component_name=row.component_name,
        component_version=row.component_version,
        status=row.status,
        error=row.error,
        deployment_notes=row.notes,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        promoted_from_id=row.promoted_from_id,
        previous_id=row.previous_id,
        artifact=row.artifact,
        attempts=row.attempts,
        timestamps=timestamps(row),
    )


def _wake_deployer(request: Request) -> None:
    deployer = getattr(request.app.state, "deployer", None)
    if deployer is not None:
        deployer.wake()


def _router(kind: str, path: str) -> APIRouter:
    router = APIRouter(prefix=f"/{path}", tags=[path])

    @router.post("", response_model=DeploymentsCreated, status_code=201, responses=_DENIED)
    def create(
        body: DeploymentCreate, scope: WorkspaceDeployer, session: SessionDep, request: Request
    ) -> DeploymentsCreated:
        """Queue one deployment per listed component; the deployer takes each to active or failed."""
        rows = deployments.create_deployments(
            session,
            workspace_id=scope.workspace_id,
            kind=kind,
            role=scope.role,
            created_by=scope.principal.subject,
            ring_id=body.ring_id,
            components=[c.model_dump() for c in body.components],
            notes=body.deployment_notes,
        )
        _wake_deployer(request)
        return DeploymentsCreated(deployments=[public(r) for r in rows])

    @router.get("", response_model=Page[DeploymentPublic])
    def read_all(
        scope: WorkspaceDeployViewer,
        session: SessionDep,
        page: PageDep,
        ring_id: QueryRef = None,
        component_id: QueryRef = None,
        status: QueryWord = None,
    ) -> Page[DeploymentPublic]:
        rows = deployments.read_deployments(
            session, scope.workspace_id, kind=kind, ring_id=ring_id, component_id=component_id, status=status
        )
        return paginate(rows, page, public)

    @router.get("/{deployment_id}", response_model=DeploymentPublic)
    def read_one(deployment_id: str, scope: WorkspaceDeployViewer, session: SessionDep) -> DeploymentPublic:
        return public(deployments.read_deployment(session, scope.workspace_id, deployment_id, kind))

    @router.post(
        "/{deployment_id}/rollback",
        response_model=DeploymentPublic,
        status_code=202,
        responses={**_DENIED, **_CONFLICT},
    )
    def rollback(
        deployment_id: str, scope: WorkspaceDeployer, session: SessionDep, request: Request
    ) -> DeploymentPublic:
        """Roll an active deployment back (``rolling_back``); the one it superseded is re-activated."""
        deployments.read_deployment(session, scope.workspace_id, deployment_id, kind)
        row = deployments.rollback_deployment(session, scope.workspace_id, deployment_id, role=scope.role)
        _wake_deployer(request)
        return public(row)

    @router.post(
        "/{deployment_id}/promote",
        response_model=DeploymentPublic,
        status_code=201,
        responses={
            **_DENIED,
            409: {
                "model": ErrorBody,
                "description": "PROMOTION_OUT_OF_ORDER (not the next ring), or CONFLICT (the source is not active).",
            },
        },
    )
    def promote(
        deployment_id: str, body: DeploymentPromote, scope: WorkspaceDeployer, session: SessionDep, request: Request
    ) -> DeploymentPublic:
        """Deploy the same component version to the next ring in promotion order."""
        deployments.read_deployment(session, scope.workspace_id, deployment_id, kind)
        row = deployments.promote_deployment(
            session,
            scope.workspace_id,
            deployment_id,
            target_ring_id=body.target_ring_id,
            role=scope.role,
            created_by=scope.principal.subject,
        )
        _wake_deployer(request)
        return public(row)

    return router


component_router = _router("component", "component-deployments")
workflow_router = _router("workflow", "workflow-deployments")
