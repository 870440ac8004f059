"""``client.hosted_services.service_tokens``: tokens (``fl_hsl_...``) for calling one hosted service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._resource import Resource


class ServiceTokensNamespace(Resource):
    def _path(self, service_id: str, *rest: str) -> str:
        return self._client.workspace_path("hosted-services", service_id, "service-tokens", *rest)

    def mint(self, *, service_id: str, claims: dict[str, Any] | None = None, ttl_minutes: int | None = None) -> Any:
        """Mint a token; the answer's ``token`` is the only time it is shown.

        Also answers ``jti``, ``expires_at`` (ISO 8601 UTC), ``claims`` and ``service_id``.
        """
        body = {"claims": claims or {}, "ttl_minutes": ttl_minutes}
        return self._client.request("POST", self._path(service_id), json=body)

    def revoke(
        self,
        *,
        service_id: str,
        jti: str,
        expires_at: str | datetime | None = None,
        reason: str | None = None,
    ) -> Any:
        """Revoke one token. Idempotent, and the same answer for a jti that never existed."""
        when = expires_at.isoformat() if isinstance(expires_at, datetime) else expires_at
        body = {"jti": jti, "expires_at": when, "reason": reason}
        # Revoking twice is harmless, so a retry after a lost answer is safe.
        return self._client.request("POST", self._path(service_id, "revoke"), json=body, idempotent=True)

    def revoke_all(self, *, service_id: str, reason: str | None = None) -> Any:
        """Refuse every token of the service issued until now; tokens minted later work."""
        return self._client.request("POST", self._path(service_id, "revoke-all"), json={"reason": reason})

    def list_revocations(self, *, service_id: str, include_expired: bool = False) -> Any:
        """What was revoked, when, by whom, why, and until when it matters."""
        params = {"include_expired": "true" if include_expired else "false"}
        return self._client.list_all(self._path(service_id, "revocations"), params)
