"""Exchange an API key for an access token, and say who the caller is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request

from ..domain.access_tokens import issue_access_token
from ..domain.errors import Unauthenticated
from ..domain.principals import principal_from_api_key
from ..schemas.auth import PrincipalPublic, TokenPublic, TokenRequest
from .deps import AnyPrincipal, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenPublic)
def exchange_api_key(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[TokenRequest | None, Body()] = None,
) -> TokenPublic:
    """Trade an API key (``X-API-Key`` with no body, or ``api_key`` in the body) for a JWT access token."""
    body = body or TokenRequest()
    api_key = request.headers.get("x-api-key") or body.api_key
    if not api_key:
        raise Unauthenticated("missing API key")
    principal = principal_from_api_key(session, settings, api_key)
    issued = issue_access_token(
        settings,
        key_id=principal.subject,
        org_id=principal.org_id,
        workspace_id=principal.workspace_id,
        role=principal.role.value,
        ttl_minutes=body.ttl_minutes,
        kind=principal.kind.value,
    )
    return TokenPublic(
        access_token=issued.token,
        expires_in=issued.ttl_minutes * 60,
        expires_at=issued.expires_at,
        org_id=principal.org_id,
        workspace_id=principal.workspace_id,
        role=principal.role.value,
    )


@router.get("/me", response_model=PrincipalPublic)
def read_current_principal(principal: AnyPrincipal) -> PrincipalPublic:
    """Who is calling; deploy keys may ask too, so CI can check its credentials."""
    return PrincipalPublic.model_validate(principal)
