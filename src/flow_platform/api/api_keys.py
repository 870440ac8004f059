"""API keys of an org, managed by its admins."""

from __future__ import annotations

from fastapi import APIRouter

from ..domain import api_keys
from ..domain.ids import parse_id
from ..domain.paging import paginate
from ..schemas.api_keys import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from ..schemas.common import Page
from .deps import OrgAdmin, PageDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/orgs/{org_id}/api-keys", tags=["api-keys"])


@router.get("", response_model=Page[ApiKeyPublic])
def read_api_keys(scope: OrgAdmin, session: SessionDep, page: PageDep) -> Page[ApiKeyPublic]:
    rows = api_keys.read_api_keys(session, scope.org_id, bound_to=scope.principal.bound_workspace)
    return paginate(rows, page, ApiKeyPublic.model_validate)


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_api_key(body: ApiKeyCreate, scope: OrgAdmin, session: SessionDep, settings: SettingsDep) -> ApiKeyCreated:
    workspace_id = parse_id(body.workspace_id, "workspace") if body.workspace_id else None
    api_keys.check_can_mint(scope.principal.bound_workspace, workspace_id)
    minted = api_keys.create_api_key(
        session,
        settings,
        org_id=scope.org_id,
        role=body.role,
        workspace_id=workspace_id,
        name=body.name,
        kind=body.kind,
        email=body.email,
    )
    public = ApiKeyPublic.model_validate(minted.row)
    return ApiKeyCreated(**public.model_dump(), api_key=minted.key)


@router.delete("/{key_id}", response_model=ApiKeyPublic)
def revoke_api_key(key_id: str, scope: OrgAdmin, session: SessionDep) -> ApiKeyPublic:
    row = api_keys.revoke_api_key(
        session, parse_id(key_id, "API key"), org_id=scope.org_id, bound_to=scope.principal.bound_workspace
    )
    return ApiKeyPublic.model_validate(row)
