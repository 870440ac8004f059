"""``client.components``: read the workspace's component catalog."""

from __future__ import annotations

import builtins
from typing import Any

from ._resource import Resource


class ComponentsNamespace(Resource):
    def create(self, component_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """Publish a component; same as ``client.create_component``."""
        result: dict[str, Any] = self._client._request(
            "POST", self._client._ws_path("/components"), json={**data, "component_type": component_type}
        )
        return result

    def list(self, *, type: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        return self._client._get_items(self._client._ws_path("/components"), params={"type": type, "name": name})

    def get(self, component_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._client._request(
            "GET", self._client._ws_path(f"/components/{self._client._seg(component_id)}")
        )
        return result

    def versions(self, name: str) -> builtins.list[dict[str, Any]]:
        """Every version of the named component, oldest first in semantic-version order."""
        return self.list(name=name)
