"""`auth_mode: service_token`: a `fl_hsl_` token minted for this very service.

The token comes as `Authorization: Bearer fl_hsl_...` or `X-API-Key: fl_hsl_...` (which
wins when both are sent, as everywhere on the platform). Platform credentials are not
accepted here. The checks and their order are `ServiceTokenVerifier`'s; every failure
is a 401 with `WWW-Authenticate`, and the handler sees the token's claims.
"""

from __future__ import annotations

from collections.abc import Awaitable

from ..domain.errors import Unauthenticated
from ..domain.service_token_verifier import ServiceTokenVerifier
from .auth import Claims, Credentials, GatewayError, unauthorized
from .routes import ServiceRoute

_CHALLENGE = {"www-authenticate": 'Bearer realm="flow-service", error="invalid_token"'}


class ServiceTokenAuthenticator:
    def __init__(self, verifier: ServiceTokenVerifier) -> None:
        self.verifier = verifier

    def __call__(self, credentials: Credentials, service: ServiceRoute) -> Claims | Awaitable[Claims]:
        token = credentials.api_key if credentials.api_key is not None else credentials.bearer
        if not token:
            raise unauthorized("this endpoint needs a service token: Authorization: Bearer fl_hsl_...")
        if self.verifier.reads_asynchronously:
            return self._averify(token, service.id)
        try:
            return self.verifier.verify(token, service.id)
        except Unauthenticated as err:
            raise _refused(err) from None

    async def _averify(self, token: str, service_id: str) -> Claims:
        try:
            return await self.verifier.averify(token, service_id)
        except Unauthenticated as err:
            raise _refused(err) from None


def _refused(err: Unauthenticated) -> GatewayError:
    return GatewayError(401, err.code, err.message, _CHALLENGE)


def refuse_service_tokens(credentials: Credentials, service: ServiceRoute) -> Claims:
    """For gateways built without a revocation store: fail closed."""
    raise unauthorized("service tokens cannot be checked by this gateway")
