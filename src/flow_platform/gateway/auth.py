"""Who may call an endpoint: one authenticator per `auth_mode`.

An authenticator takes the caller's credentials and the service and returns the
claims the handler will see (`request["claims"]`), or raises `GatewayError`. It may
return an awaitable when it has to look something up; the common case (a JWT checked
with a cached key) is synchronous and costs microseconds. Issue 5 plugs its
service-token authenticator in under `"service_token"` (see `service_token_auth.py`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flow_platform.gateway.routes import ServiceRoute

Claims = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Credentials:
    bearer: str | None
    api_key: str | None


class GatewayError(Exception):
    """An error the gateway answers itself, in the standard error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        details: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.details = details or []


def unauthorized(message: str = "missing or invalid credentials") -> GatewayError:
    return GatewayError(401, "UNAUTHORIZED", message, {"www-authenticate": "Bearer"})


Authenticator = Callable[[Credentials, ServiceRoute], "Claims | Awaitable[Claims]"]


def public(credentials: Credentials, service: ServiceRoute) -> Claims:
    """`auth_mode: public`: anyone may call; the handler sees no claims."""
    return {}


class PlatformAuthenticator:
    """`auth_mode: platform`: a platform JWT or API key of the service's own org.

    `verify` turns credentials into the caller's org id, or raises `GatewayError`
    (401). A caller from another org gets 404, as if the service did not exist.
    """

    def __init__(self, verify: Callable[[Credentials], str | Awaitable[str]]) -> None:
        self.verify = verify

    def __call__(self, credentials: Credentials, service: ServiceRoute) -> Claims | Awaitable[Claims]:
        if credentials.bearer is None and credentials.api_key is None:
            raise unauthorized("this endpoint needs platform credentials")
        org = self.verify(credentials)
        if isinstance(org, str):
            return self._check(org, service)
        return self._acheck(org, service)

    async def _acheck(self, org: Awaitable[str], service: ServiceRoute) -> Claims:
        return self._check(await org, service)

    @staticmethod
    def _check(org: str, service: ServiceRoute) -> Claims:
        if org != service.org_id:
            raise GatewayError(404, "SERVICE_NOT_FOUND", "no such service")
        return {}


class JWTVerifier:
    """Checks a platform JWT with a key held in memory; answers its org id.

    A token is immutable, so once its signature has been checked the result is kept
    (bounded) and later calls with the same token only compare its expiry: a dict
    lookup instead of ~25 us of HMAC and base64/JSON decoding.
    """

    def __init__(
        self,
        key: str,
        *,
        algorithms: tuple[str, ...] = ("HS256",),
        org_claim: str = "org_id",
        audience: str | None = None,
        max_cached: int = 10_000,
    ) -> None:
        import jwt

        self._jwt = jwt
        self.key = key
        self.algorithms = list(algorithms)
        self.org_claim = org_claim
        self.audience = audience
        self.max_cached = max_cached
        self._verified: dict[str, tuple[str, float]] = {}

    def __call__(self, credentials: Credentials) -> str:
        token = credentials.bearer
        if token is None:
            raise unauthorized("expected a bearer token")
        hit = self._verified.get(token)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        try:
            claims = self._jwt.decode(
                token,
                self.key,
                algorithms=self.algorithms,
                audience=self.audience,
                options={"require": ["exp"]},
            )
        except self._jwt.PyJWTError as err:
            self._verified.pop(token, None)
            raise unauthorized(f"invalid token: {err}") from None
        org = claims.get(self.org_claim)
        if not isinstance(org, str):
            raise unauthorized("token has no organization")
        if len(self._verified) >= self.max_cached:
            self._verified.clear()
        self._verified[token] = (org, float(claims["exp"]))
        return org


def default_authenticators(
    platform: Authenticator, service_token: Authenticator | None = None
) -> dict[str, Authenticator]:
    """Service-token endpoints take service tokens only; without a verifier, nothing (fail closed)."""
    if service_token is None:
        from .service_token_auth import refuse_service_tokens

        service_token = refuse_service_tokens
    return {"platform": platform, "service_token": service_token, "public": public}
