"""``client.api_keys``: the org's API keys (admins only)."""

from __future__ import annotations

from typing import Any

from ._resource import Resource


class APIKeysNamespace(Resource):
    def list(self) -> Any:
        return self._client.list_all(self._client.org_path("api-keys"))

    def create(
        self,
        *,
        role: str,
        name: str = "",
        workspace_id: str | None = None,
        kind: str = "org",
        email: str | None = None,
    ) -> Any:
        """Mint a key; the answer's ``api_key`` is the only time it is shown.

        ``kind="deploy"`` mints an ``fl_deploy_`` key bound to ``workspace_id`` for CI.
        """
        body = {"role": role, "name": name, "workspace_id": workspace_id, "kind": kind, "email": email}
        return self._client.request("POST", self._client.org_path("api-keys"), json=body)

    def revoke(self, key_id: str) -> Any:
        return self._client.request("DELETE", self._client.org_path("api-keys", key_id))
