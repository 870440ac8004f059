"""The component catalog of a workspace."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..domain import component_changes, components
from ..domain.paging import paginate
from ..schemas.common import ErrorBody, Page, QueryWord
from ..schemas.components import ComponentCreate, ComponentPublic, ComponentUpdate, ComponentVersionCreate
from .deps import PageDep, SessionDep, WorkspaceBuilder, WorkspaceViewer

router = APIRouter(prefix="/components", tags=["components"])


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


@router.put(
    "/{component_id}",
    response_model=ComponentPublic,
    responses={409: {"model": ErrorBody, "description": "COMPONENT_IMMUTABLE: only description may change."}},
)
def update_component(
    component_id: str, body: ComponentUpdate, scope: WorkspaceBuilder, session: SessionDep
) -> ComponentPublic:
    """Change a component's description; anything else is a new version."""
    changes = body.model_dump(exclude_unset=True)
    row = component_changes.update_component(session, scope.workspace_id, component_id, changes)
    return ComponentPublic.model_validate(row)


@router.delete(
    "/{component_id}",
    status_code=204,
    responses={
        409: {"model": ErrorBody, "description": "COMPONENT_IN_USE, naming the deployment, endpoint or workflow."}
    },
)
def delete_component(component_id: str, scope: WorkspaceBuilder, session: SessionDep) -> Response:
    component_changes.delete_component(session, scope.workspace_id, component_id)
    return Response(status_code=204)


@router.get("/{component_id}/versions", response_model=Page[ComponentPublic])
def read_component_versions(
    component_id: str, scope: WorkspaceViewer, session: SessionDep, page: PageDep
) -> Page[ComponentPublic]:
    """Every version of the component's (type, name), in semantic-version order."""
    rows = component_changes.read_component_versions(session, scope.workspace_id, component_id)
    return paginate(rows, page, ComponentPublic.model_validate)


@router.post("/{component_id}/versions", response_model=ComponentPublic, status_code=201)
def create_component_version(
    component_id: str, body: ComponentVersionCreate, scope: WorkspaceBuilder, session: SessionDep
) -> ComponentPublic:
    """A new version of the component; fields not given are copied from this one."""
    row = component_changes.create_component_version(
        session, scope.workspace_id, component_id, created_by=scope.principal.subject, data=body.model_dump()
    )
    return ComponentPublic.model_validate(row)


@router.post("/{component_id}/publish", response_model=ComponentPublic)
def publish_component(component_id: str, scope: WorkspaceBuilder, session: SessionDep) -> ComponentPublic:
    """Components are published, and frozen, when created: this answers the component as it is."""
    return ComponentPublic.model_validate(components.read_component(session, scope.workspace_id, component_id))
