"""``client.rings``: the workspace's deployment rings, in promotion order."""

from __future__ import annotations

from typing import Any

from ._resource import Resource


class CLIRingsNamespace(Resource):
    def list(self) -> Any:
        """Every ring of the workspace, in promotion order (dev, staging, production, ...)."""
        return self._client.list_all(self._client.workspace_path("rings"))

    def resolve(self, name: str) -> Any:
        """The id of the ring called ``name``; ``CLINotFoundError`` when there is none."""
        return self._client.request("GET", self._client.workspace_path("rings", "resolve", name), then=_ring_id)

    def get(self, ring_id: str) -> Any:
        return self._client.request("GET", self._client.workspace_path("rings", ring_id))

    def create(self, name: str, *, position: int | None = None, description: str = "") -> Any:
        """Add a ring (admins only); ``position`` orders it (dev=10, staging=20, production=30)."""
        body = {"name": name, "position": position, "description": description}
        return self._client.request("POST", self._client.workspace_path("rings"), json=body)

    def delete(self, ring_id: str) -> Any:
        """Remove a ring (admins only); refused while anything is deployed to it."""
        return self._client.request("DELETE", self._client.workspace_path("rings", ring_id))


def _ring_id(ring: Any) -> str:
    return str(ring["id"])
