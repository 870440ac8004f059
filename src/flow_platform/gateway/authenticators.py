"""The gateway's authenticators: one per `AuthMode`, checked complete when the gateway is built."""

from __future__ import annotations

from collections.abc import Mapping

from ..domain.auth_modes import AuthMode
from .auth import Authenticator, public
from .service_token_auth import refuse_service_tokens

Authenticators = Mapping[str, Authenticator]


def require_every_mode(authenticators: Authenticators) -> dict[str, Authenticator]:
    """A copy of `authenticators`, or ValueError naming the modes nobody checks.

    The gateway calls this when it is built, so a platform that cannot check a mode
    fails to start instead of answering that mode's first call with a 500.
    """
    missing = [mode.value for mode in AuthMode if mode.value not in authenticators]
    if missing:
        raise ValueError(f"no authenticator for auth mode(s): {', '.join(missing)}")
    return {AuthMode(mode).value: check for mode, check in authenticators.items()}


def default_authenticators(platform: Authenticator, service_token: Authenticator | None = None) -> Authenticators:
    """Service-token endpoints take service tokens only; without a verifier, nothing (fail closed)."""
    return {
        AuthMode.PLATFORM: platform,
        AuthMode.SERVICE_TOKEN: service_token or refuse_service_tokens,
        AuthMode.PUBLIC: public,
    }
