"""Deployment rings of a workspace."""

from __future__ import annotations

from fastapi import APIRouter

from ..domain import rings
from ..domain.paging import paginate
from ..schemas.common import ErrorBody, Page, PathName
from ..schemas.rings import RingCreate, RingPublic
from .deps import PageDep, SessionDep, WorkspaceAdmin, WorkspaceDeployViewer

router = APIRouter(prefix="/rings", tags=["rings"])


@router.get("", response_model=Page[RingPublic])
def read_rings(scope: WorkspaceDeployViewer, session: SessionDep, page: PageDep) -> Page[RingPublic]:
    return paginate(rings.read_rings(session, scope.workspace_id), page, RingPublic.model_validate)


@router.post("", response_model=RingPublic, status_code=201)
def create_ring(body: RingCreate, scope: WorkspaceAdmin, session: SessionDep) -> RingPublic:
    ring = rings.create_ring(
        session, scope.workspace_id, name=body.name, position=body.position, description=body.description
    )
    return RingPublic.model_validate(ring)


@router.get("/resolve/{name}", response_model=RingPublic)
def resolve_ring(name: PathName, scope: WorkspaceDeployViewer, session: SessionDep) -> RingPublic:
    return RingPublic.model_validate(rings.read_ring_by_name(session, scope.workspace_id, name))


@router.get("/{ring_id}", response_model=RingPublic)
def read_ring(ring_id: str, scope: WorkspaceDeployViewer, session: SessionDep) -> RingPublic:
    return RingPublic.model_validate(rings.read_ring(session, scope.workspace_id, ring_id))


@router.delete(
    "/{ring_id}",
    response_model=RingPublic,
    responses={409: {"model": ErrorBody, "description": "A built-in ring, or one with deployments in it."}},
)
def delete_ring(ring_id: str, scope: WorkspaceAdmin, session: SessionDep) -> RingPublic:
    return RingPublic.model_validate(rings.delete_ring(session, scope.workspace_id, ring_id))
