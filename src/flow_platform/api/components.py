"""The component catalog of a workspace."""

from __future__ import annotations

from fastapi import APIRouter

from ..domain import components
from ..domain.paging import paginate
from ..schemas.common import Page, QueryWord
from ..schemas.components import ComponentCreate, ComponentPublic
from .deps import PageDep, SessionDep, WorkspaceBuilder, WorkspaceViewer

router = APIRouter(prefix="/api/v1/orgs/{org_id}/workspaces/{workspace_id}/components", tags=["components"])


@router.post("", response_model=ComponentPublic, status_code=201)
def create_component(body: ComponentCreate, scope: WorkspaceBuilder, session: SessionDep) -> ComponentPublic:
    row = components.create_component(
        session,
        workspace_id=scope.workspace_id,
        created_by=scope.principal.subject,
        component_type=body.component_type,
        name=body.name,
        version=body.version,
        description=body.description,
        source=body.source,
        entrypoint=body.entrypoint,
        steps=body.steps,
        config=body.extra_config(),
    )
    return ComponentPublic.model_validate(row)


@router.get("", response_model=Page[ComponentPublic])
def read_components(
    scope: WorkspaceViewer,
    session: SessionDep,
    page: PageDep,
    type: QueryWord = None,
    name: QueryWord = None,
) -> Page[ComponentPublic]:
    rows = components.read_components(session, scope.workspace_id, component_type=type, name=name)
    return paginate(rows, page, ComponentPublic.model_validate)


@router.get("/{component_id}", response_model=ComponentPublic)
def read_component(component_id: str, scope: WorkspaceViewer, session: SessionDep) -> ComponentPublic:
    return ComponentPublic.model_validate(components.read_component(session, scope.workspace_id, component_id))
