"""Request dependencies as ``Annotated`` aliases: who calls, in which tenant, with what role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from ..domain.errors import Forbidden, NotFound, Unauthenticated
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


def get_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
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

    def dependency(org_id: str, principal: CurrentPrincipal) -> Scope:
        if parse_id(org_id, "organization") != principal.org_id:
            raise NotFound("organization not found")
        _check_role(principal, needed)
        return Scope(principal=principal, org_id=principal.org_id)

    return dependency


def workspace_scope(needed: Role = Role.VIEWER):  # type: ignore[no-untyped-def]
    """A dependency for ``/orgs/{org_id}/workspaces/{workspace_id}/...`` routes."""

    def dependency(org_id: str, workspace_id: str, principal: CurrentPrincipal, session: SessionDep) -> WorkspaceScope:
        if parse_id(org_id, "organization") != principal.org_id:
            raise NotFound("organization not found")
        ws = read_workspace(session, principal.org_id, workspace_id)
        if principal.bound_workspace not in (None, ws.id):
            raise NotFound("workspace not found")
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
