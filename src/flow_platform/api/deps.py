"""Request dependencies as ``Annotated`` aliases: who calls, in which tenant, with what role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from ..domain.api_keys import KeyKind
from ..domain.errors import Forbidden, InvalidRequest, NotFound, Unauthenticated
from ..domain.ids import parse_id
from ..domain.principals import (
    Principal,
    principal_from_access_token,
    principal_from_api_key,
    with_workspace,
)
from ..domain.roles import Role
from ..domain.tenancy import read_workspace
from ..platform import Platform
from ..schemas.common import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageQuery
from ..settings import Settings


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_settings(platform: PlatformDep) -> Settings:
    return platform.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    with platform.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_any_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """The caller, deploy keys included: only routes that take deploy keys depend on this directly."""
    # X-API-Key wins over Authorization when both are sent, as on the real platform.
    api_key = request.headers.get("x-api-key")
    if api_key:
        principal = principal_from_api_key(session, settings, api_key)
    else:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("missing credentials: send a Bearer token or X-API-Key")
        principal = principal_from_access_token(session, settings, token.strip())
    override = request.headers.get("x-workspace-id")
    if override:
        principal = with_workspace(session, principal, override)
    return principal


AnyPrincipal = Annotated[Principal, Depends(get_any_principal)]


def refuse_deploy_key(principal: Principal) -> None:
    if principal.kind is KeyKind.DEPLOY:
        raise Forbidden("a deploy key may only create, promote and roll back its workspace's deployments")


def get_principal(principal: AnyPrincipal) -> Principal:
    """The caller, refusing deploy keys: every route is closed to them unless it opts in."""
    refuse_deploy_key(principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def _check_role(principal: Principal, needed: Role) -> None:
    if not principal.role.allows(needed):
        raise Forbidden(f"this action needs the {needed.value} role; you are {principal.role.value}")


@dataclass(frozen=True)
class Scope:
    """The tenant a request acts in, already checked against the caller."""

    principal: Principal
    org_id: str
    workspace_id: str | None = None

    @property
    def role(self) -> Role:
        return self.principal.role


@dataclass(frozen=True)
class WorkspaceScope(Scope):
    """A scope whose workspace the dependency has resolved and checked: never None."""

    workspace_id: str = ""


def org_scope(needed: Role = Role.VIEWER):  # type: ignore[no-untyped-def]
    """A dependency for ``/orgs/{org_id}/...`` routes. Another org's id is a 404, never a 403."""

    def dependency(org_id: str, principal: AnyPrincipal) -> Scope:
        if parse_id(org_id, "organization") != principal.org_id:
            raise NotFound("organization not found")
        refuse_deploy_key(principal)
        _check_role(principal, needed)
        return Scope(principal=principal, org_id=principal.org_id)

    return dependency


def _tenant_of(request: Request, principal: Principal) -> tuple[str, str]:
    """The org and workspace from the path, or for the top-level paths (``/api/v1/components``)
    the caller's own: its ``X-Workspace-ID`` (already checked) or its credential's workspace."""
    org_id = request.path_params.get("org_id")
    workspace_id = request.path_params.get("workspace_id")
    if org_id is not None and workspace_id is not None:
        return org_id, workspace_id
    if principal.workspace_id is None:
        raise InvalidRequest(
            "which workspace? send X-Workspace-ID, or use /api/v1/orgs/{org_id}/workspaces/{workspace_id}/...",
            code="WORKSPACE_REQUIRED",
        )
    return principal.org_id, principal.workspace_id


def workspace_scope(needed: Role = Role.VIEWER, *, deploy_keys: bool = False):  # type: ignore[no-untyped-def]
    """A dependency for ``/orgs/{org_id}/workspaces/{workspace_id}/...`` routes.

    ``deploy_keys``: the route also takes ``fl_deploy_`` keys (deployments only); their
    own workspace is checked first, so another workspace is a 404 for them too.
    """

    def dependency(request: Request, principal: AnyPrincipal, session: SessionDep) -> WorkspaceScope:
        org_id, workspace_id = _tenant_of(request, principal)
        if parse_id(org_id, "organization") != principal.org_id:
            raise NotFound("organization not found")
        ws = read_workspace(session, principal.org_id, workspace_id)
        if principal.bound_workspace not in (None, ws.id):
            raise NotFound("workspace not found")
        if not deploy_keys:
            refuse_deploy_key(principal)
        _check_role(principal, needed)
        return WorkspaceScope(principal=principal, org_id=principal.org_id, workspace_id=ws.id)

    return dependency


OrgViewer = Annotated[Scope, Depends(org_scope(Role.VIEWER))]
OrgAdmin = Annotated[Scope, Depends(org_scope(Role.ADMIN))]
WorkspaceViewer = Annotated[WorkspaceScope, Depends(workspace_scope(Role.VIEWER))]
WorkspaceBuilder = Annotated[WorkspaceScope, Depends(workspace_scope(Role.BUILDER))]
WorkspaceAdmin = Annotated[WorkspaceScope, Depends(workspace_scope(Role.ADMIN))]


def page_query(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")] = None,
) -> PageQuery:
    return PageQuery(limit=limit, cursor=cursor)


# Every list route takes it: `?limit=&cursor=` in, `{"items", "next_cursor"}` out.
PageDep = Annotated[PageQuery, Depends(page_query)]
# Deployment routes: builders and above, and deploy keys of the workspace.
WorkspaceDeployer = Annotated[WorkspaceScope, Depends(workspace_scope(Role.BUILDER, deploy_keys=True))]
WorkspaceDeployViewer = Annotated[WorkspaceScope, Depends(workspace_scope(Role.VIEWER, deploy_keys=True))]
