"""``client.connector_instances``: databases registered in the workspace."""

from __future__ import annotations

import builtins
from typing import Any
from urllib.parse import quote

from ._resource import Resource


def _path(instance_id: str = "", suffix: str = "") -> str:
    tail = f"/{quote(str(instance_id), safe='')}" if instance_id else ""
    return f"/connector-instances{tail}{suffix}"


class ConnectorInstancesNamespace(Resource):
    def create(self, instance: dict[str, Any]) -> dict[str, Any]:
        """Register a database: ``{"connector", "instance_name", "configuration", "credentials"}``.

        ``credentials`` are encrypted at rest and never come back; a ``sqlite``
        instance is a file the platform creates, so it takes no configuration.
        """
        result: dict[str, Any] = self._client._request("POST", self._client._ws_path(_path()), json=instance)
        return result

    def list(self) -> list[dict[str, Any]]:
        return self._client._get_items(self._client._ws_path(_path()))

    def get(self, instance_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._client._request("GET", self._client._ws_path(_path(instance_id)))
        return result

    def delete(self, instance_id: str) -> None:
        self._client._request("DELETE", self._client._ws_path(_path(instance_id)))

    def test(self, instance_id: str) -> dict[str, Any]:
        """Connect once; the answer carries ``test_status``, ``test_message``, ``last_tested_at``."""
        result: dict[str, Any] = self._client._request("POST", self._client._ws_path(_path(instance_id, "/test")))
        return result

    def audit(self, instance_id: str) -> builtins.list[dict[str, Any]]:
        """Every execute_ddl attempt on the instance, newest first (admins only)."""
        return self._client._get_items(self._client._ws_path(_path(instance_id, "/audit")))
