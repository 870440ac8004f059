"""Service tokens of a hosted service: admins and builders of its workspace manage them."""

from __future__ import annotations

from fastapi import APIRouter

from ..domain import service_tokens
from ..domain.paging import paginate
from ..schemas.common import Page
from ..schemas.service_tokens import (
    RevocationPublic,
    ServiceTokenCreate,
    ServiceTokenCreated,
    ServiceTokenCutoffPublic,
    ServiceTokenRevoke,
    ServiceTokenRevokeAll,
    ServiceTokenRevoked,
)
from .deps import PageDep, SessionDep, SettingsDep, WorkspaceBuilder

router = APIRouter(
    prefix="/hosted-services/{service_id}/service-tokens",
    tags=["service-tokens"],
)


@router.post("", response_model=ServiceTokenCreated, status_code=201)
def mint_service_token(
    service_id: str, body: ServiceTokenCreate, scope: WorkspaceBuilder, session: SessionDep, settings: SettingsDep
) -> ServiceTokenCreated:
    minted = service_tokens.mint_service_token(
        session,
        settings,
        org_id=scope.org_id,
        workspace_id=scope.workspace_id,
        service_id=service_id,
        claims=body.claims,
        ttl_minutes=body.ttl_minutes,
    )
    return ServiceTokenCreated.model_validate(minted)


@router.post("/revoke", response_model=ServiceTokenRevoked)
def revoke_service_token(
    service_id: str, body: ServiceTokenRevoke, scope: WorkspaceBuilder, session: SessionDep
) -> ServiceTokenRevoked:
    revoked = service_tokens.revoke_service_token(
        session,
        org_id=scope.org_id,
        workspace_id=scope.workspace_id,
        service_id=service_id,
        jti=body.jti,
        expires_at=body.expires_at,
        reason=body.reason,
        revoked_by=scope.principal.subject,
    )
    return ServiceTokenRevoked.model_validate(revoked)


@router.post("/revoke-all", response_model=ServiceTokenCutoffPublic)
def revoke_all_service_tokens(
    service_id: str, body: ServiceTokenRevokeAll, scope: WorkspaceBuilder, session: SessionDep
) -> ServiceTokenCutoffPublic:
    row = service_tokens.revoke_all_service_tokens(
        session,
        org_id=scope.org_id,
        workspace_id=scope.workspace_id,
        service_id=service_id,
        reason=body.reason,
        revoked_by=scope.principal.subject,
    )
    return ServiceTokenCutoffPublic(
        service_id=row.service_id,
        issued_before=row.cutoff_at,
        reason=row.reason,
        revoked_by=row.revoked_by,
        revoked_at=row.revoked_at,
    )


@router.get("/revocations", response_model=Page[RevocationPublic])
def read_revocations(
    service_id: str, scope: WorkspaceBuilder, session: SessionDep, page: PageDep, include_expired: bool = False
) -> Page[RevocationPublic]:
    entries = service_tokens.read_revocations(
        session,
        org_id=scope.org_id,
        workspace_id=scope.workspace_id,
        service_id=service_id,
        include_expired=include_expired,
    )
    return paginate(entries, page, RevocationPublic.model_validate, key=lambda e: e.jti or "*")
