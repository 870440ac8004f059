"""``client.api_keys``: the org's API keys (admins only)."""

from __future__ import annotations

from typing import Any

from ._resource import Resource


class APIKeysNamespace(Resource):
    def list(self) -> list[dict[str, Any]]:
        return self._client._get_items(self._client._org_path("/api-keys"))

    def create(
        self,
        *,
        role: str,
        name: str = "",
        workspace_id: str | None = None,
        kind: str = "org",
        email: str | None = None,
    ) -> dict[str, Any]:
        """Mint a key; the answer's ``api_key`` is the only time it is shown.

        ``kind="deploy"`` mints an ``fl_deploy_`` key bound to ``workspace_id`` for CI.
        """
        body = {"role": role, "name": name, "workspace_id": workspace_id, "kind": kind, "email": email}
        result: dict[str, Any] = self._client._request("POST", self._client._org_path("/api-keys"), json=body)
        return result

    def revoke(self, key_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._client._request("DELETE", self._client._org_path(f"/api-keys/{key_id}"))
        return result
