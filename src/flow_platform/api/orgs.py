"""Organizations the caller can reach and their workspaces."""

from __future__ import annotations

from fastapi import APIRouter

from ..domain import tenancy
from ..domain.errors import Forbidden
from ..domain.paging import paginate
from ..schemas.common import Page
from ..schemas.tenancy import OrgPublic, WorkspaceCreate, WorkspacePublic
from .deps import CurrentPrincipal, OrgAdmin, OrgViewer, PageDep, SessionDep

router = APIRouter(prefix="/api/v1/orgs", tags=["orgs"])


@router.get("", response_model=Page[OrgPublic])
def read_orgs(principal: CurrentPrincipal, session: SessionDep, page: PageDep) -> Page[OrgPublic]:
    # An API key belongs to exactly one org; the list form leaves room for user accounts.
    org = tenancy.read_org(session, principal.org_id)
    return paginate([org], page, OrgPublic.model_validate)


@router.get("/{org_id}", response_model=OrgPublic)
def read_org(scope: OrgViewer, session: SessionDep) -> OrgPublic:
    return OrgPublic.model_validate(tenancy.read_org(session, scope.org_id))


@router.get("/{org_id}/workspaces", response_model=Page[WorkspacePublic])
def read_workspaces(scope: OrgViewer, session: SessionDep, page: PageDep) -> Page[WorkspacePublic]:
    rows = tenancy.read_workspaces(session, scope.org_id)
    bound = scope.principal.bound_workspace
    if bound is not None:
        rows = [ws for ws in rows if ws.id == bound]
    return paginate(rows, page, WorkspacePublic.model_validate)


@router.post("/{org_id}/workspaces", response_model=WorkspacePublic, status_code=201)
def create_workspace(body: WorkspaceCreate, scope: OrgAdmin, session: SessionDep) -> WorkspacePublic:
    if scope.principal.bound_workspace is not None:
        # An admin of one workspace is not an admin of the org.
        raise Forbidden("a key bound to one workspace cannot create workspaces")
    return WorkspacePublic.model_validate(tenancy.create_workspace(session, scope.org_id, body.name))
