"""Who is calling: resolve the credentials of a request to a principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from ..settings import Settings
from ..store.tables import ApiKey, Workspace
from .access_tokens import verify_access_token
from .api_keys import KeyKind, authenticate_api_key
from .errors import NotFound, Unauthenticated
from .ids import parse_id
from .roles import Role


@dataclass(frozen=True)
class Principal:
    subject: str  # the API key id the caller acts as
    org_id: str
    workspace_id: str | None
    role: Role
    auth_method: str  # "api_key" or "access_token"
    expires_at: datetime | None = None
    token_id: str | None = None
    # The one workspace the caller may act in, when its key or its token is bound to one.
    bound_workspace: str | None = None
    kind: KeyKind = KeyKind.ORG
    email: str | None = None


def principal_from_api_key(session: Session, settings: Settings, key: str) -> Principal:
    row = authenticate_api_key(session, settings, key)
    return Principal(
        subject=row.id,
        org_id=row.org_id,
        workspace_id=row.workspace_id or _default_workspace(session, row.org_id),
        role=Role(row.role),
        auth_method="api_key",
        bound_workspace=row.workspace_id,
        kind=KeyKind(row.kind),
        email=row.email,
    )


def principal_from_access_token(session: Session, settings: Settings, token: str) -> Principal:
    claims = verify_access_token(settings, token)
    # A token is only as good as the key it came from: revoking the key ends its tokens.
    key = session.get(ApiKey, claims["sub"])
    if key is None or key.revoked_at is not None or key.org_id != claims["org_id"]:
        raise Unauthenticated("the API key behind this token has been revoked")
    bound = claims.get("bound_workspace")
    if key.workspace_id is not None:
        if bound not in (None, key.workspace_id):
            raise Unauthenticated("invalid access token")
        bound = key.workspace_id
    return Principal(
        subject=claims["sub"],
        org_id=claims["org_id"],
        workspace_id=claims.get("workspace_id"),
        role=Role(claims["role"]),
        auth_method="access_token",
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        token_id=claims["jti"],
        bound_workspace=bound,
        kind=KeyKind(key.kind),
        email=key.email,
    )


def with_workspace(session: Session, principal: Principal, workspace_id: str) -> Principal:
    """Apply an ``X-Workspace-ID`` override, only to a workspace of the caller's own org."""
    ws = session.get(Workspace, parse_id(workspace_id, "workspace"))
    if ws is None or ws.org_id != principal.org_id:
        raise NotFound("workspace not found")
    if principal.bound_workspace not in (None, ws.id):
        raise NotFound("workspace not found")
    return Principal(**{**principal.__dict__, "workspace_id": ws.id})


def _default_workspace(session: Session, org_id: str) -> str | None:
    from .tenancy import read_workspaces

    workspaces = read_workspaces(session, org_id)
    return workspaces[0].id if len(workspaces) == 1 else None
