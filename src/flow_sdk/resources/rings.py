"""``client.rings``: the workspace's deployment rings, in promotion order."""

from __future__ import annotations

from typing import Any

from ._resource import Resource


class CLIRingsNamespace(Resource):
    def list(self) -> list[dict[str, Any]]:
        """Every ring of the workspace, in promotion order (dev, staging, production, ...)."""
        return self._client._get_items(self._client._ws_path("/rings"))

    def resolve(self, name: str) -> str:
        """The id of the ring called ``name``; ``CLINotFoundError`` when there is none."""
        ring: dict[str, Any] = self._client._request(
            "GET", self._client._ws_path(f"/rings/resolve/{self._client._seg(name)}")
        )
        return str(ring["id"])

    def get(self, ring_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._client._request(
            "GET", self._client._ws_path(f"/rings/{self._client._seg(ring_id)}")
        )
        return result

    def create(self, name: str, *, position: int | None = None, description: str = "") -> dict[str, Any]:
        """Add a ring (admins only); ``position`` orders it (dev=10, staging=20, production=30)."""
        body = {"name": name, "position": position, "description": description}
        result: dict[str, Any] = self._client._request("POST", self._client._ws_path("/rings"), json=body)
        return result

    def delete(self, ring_id: str) -> dict[str, Any]:
        """Remove a ring (admins only); refused while anything is deployed to it."""
        result: dict[str, Any] = self._client._request(
            "DELETE", self._client._ws_path(f"/rings/{self._client._seg(ring_id)}")
        )
        return result
