"""``client.hosted_services.service_tokens``: tokens (``fl_hsl_...``) for calling one hosted service."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from ._resource import Resource


class ServiceTokensNamespace(Resource):
    def _path(self, service_id: str, suffix: str = "") -> str:
        return self._client._ws_path(f"/hosted-services/{quote(str(service_id), safe='')}/service-tokens{suffix}")

    def mint(
        self, *, service_id: str, claims: dict[str, Any] | None = None, ttl_minutes: int | None = None
    ) -> dict[str, Any]:
        """Mint a token; the answer's ``token`` is the only time it is shown.

        Also answers ``jti``, ``expires_at`` (ISO 8601 UTC), ``claims`` and ``service_id``.
        """
        body = {"claims": claims or {}, "ttl_minutes": ttl_minutes}
        result: dict[str, Any] = self._client._request("POST", self._path(service_id), json=body)
        return result

    def revoke(
        self,
        *,
        service_id: str,
        jti: str,
        expires_at: str | datetime | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Revoke one token. Idempotent, and the same answer for a jti that never existed."""
        when = expires_at.isoformat() if isinstance(expires_at, datetime) else expires_at
        body = {"jti": jti, "expires_at": when, "reason": reason}
        # Revoking twice is harmless, so a retry after a lost answer is safe.
        result: dict[str, Any] = self._client._request(
            "POST", self._path(service_id, "/revoke"), json=body, idempotent=True
        )
        return result

    def revoke_all(self, *, service_id: str, reason: str | None = None) -> dict[str, Any]:
        """Refuse every token of the service issued until now; tokens minted later work."""
        result: dict[str, Any] = self._client._request(
            "POST", self._path(service_id, "/revoke-all"), json={"reason": reason}
        )
        return result

    def list_revocations(self, *, service_id: str, include_expired: bool = False) -> list[dict[str, Any]]:
        """What was revoked, when, by whom, why, and until when it matters."""
        params = {"include_expired": "true" if include_expired else "false"}
        return self._client._get_items(self._path(service_id, "/revocations"), params=params)
