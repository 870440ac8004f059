"""``client.components``: the workspace's component catalog."""

from __future__ import annotations

from typing import Any

from ._resource import Resource


class ComponentsNamespace(Resource):
    def create(self, component_type: str, data: dict[str, Any]) -> Any:
        """Publish a component; same as ``client.create_component``."""
        body = {**data, "component_type": component_type}
        return self._client.request("POST", self._client.workspace_path("components"), json=body)

    def list(self, *, type: str | None = None, name: str | None = None) -> Any:
        """Every matching component (all pages)."""
        return self._client.list_all(self._client.workspace_path("components"), {"type": type, "name": name})

    def iter(self, *, type: str | None = None, name: str | None = None, page_size: int = 100) -> Any:
        """The same items one by one, a page at a time (``async for`` with the async client)."""
        path = self._client.workspace_path("components")
        return self._client.iterate(path, {"type": type, "name": name}, page_size=page_size)

    def get(self, component_id: str) -> Any:
        return self._client.request("GET", self._client.workspace_path("components", component_id))

    def versions(self, name: str) -> Any:
        """Every version of the named component, oldest first in semantic-version order."""
        return self.list(name=name)
