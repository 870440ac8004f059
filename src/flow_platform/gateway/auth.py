"""Who may call an endpoint: one authenticator per `auth_mode`.

An authenticator takes the caller's credentials and the service and returns the
claims the handler will see (`request["claims"]`), or raises `GatewayError`. It may
return an awaitable when it has to look something up; the common case (a JWT checked
with a cached key) is synchronous and costs microseconds. `authenticators.py` holds the
registry, one per `AuthMode`; the service-token one lives in `service_token_auth.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flow_platform.gateway.routes import ServiceRoute
from flow_sdk import _wire as wire

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
    return GatewayError(401, wire.UNAUTHENTICATED, message, {"www-authenticate": "Bearer"})


# One answer for every service the caller may not know about: unknown, malformed,
# another org's, archived, or reached through a workspace-bound key of another workspace.
NOT_FOUND_CODE = "SERVICE_NOT_FOUND"
NOT_FOUND_MESSAGE = "no such service"


def not_found() -> GatewayError:
    return GatewayError(404, NOT_FOUND_CODE, NOT_FOUND_MESSAGE)


Authenticator = Callable[[Credentials, ServiceRoute], "Claims | Awaitable[Claims]"]


def public(credentials: Credentials, service: ServiceRoute) -> Claims:
    """`auth_mode: public`: anyone may call; the handler sees no claims."""
    return {}


# What a verifier answers: the caller's org id, or (org id, workspace the credentials are
# bound to, or None when they may act in every workspace of the org).
Caller = str | tuple[str, str | None]


class PlatformAuthenticator:
    """`auth_mode: platform`: a platform JWT or API key of the service's own org.

    `verify` turns credentials into a `Caller`, or raises `GatewayError` (401). A caller
    from another org, or bound to another workspace, gets the unknown-service 404.
    """

    def __init__(self, verify: Callable[[Credentials], Caller | Awaitable[Caller]]) -> None:
        self.verify = verify

    def __call__(self, credentials: Credentials, service: ServiceRoute) -> Claims | Awaitable[Claims]:
        if credentials.bearer is None and credentials.api_key is None:
            raise unauthorized("this endpoint needs platform credentials")
        caller = self.verify(credentials)
        if isinstance(caller, str | tuple):
            return self._check(caller, service)
        return self._acheck(caller, service)

    async def _acheck(self, caller: Awaitable[Caller], service: ServiceRoute) -> Claims:
        return self._check(await caller, service)

    @staticmethod
    def _check(caller: Caller, service: ServiceRoute) -> Claims:
        org, workspace = (caller, None) if isinstance(caller, str) else caller
        if org != service.org_id or (workspace is not None and workspace != service.workspace_id):
            raise not_found()
        return {}
