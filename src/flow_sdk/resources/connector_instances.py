"""``client.connector_instances``: databases registered in the workspace."""

from __future__ import annotations

from typing import Any

from ._resource import Resource


class ConnectorInstancesNamespace(Resource):
    def create(self, instance: dict[str, Any]) -> Any:
        """Register a database: ``{"connector", "instance_name", "configuration", "credentials"}``.

        ``credentials`` are encrypted at rest and never come back; a ``sqlite``
        instance is a file the platform creates, so it takes no configuration.
        """
        return self._client.request("POST", self._path(), json=instance)

    def list(self) -> Any:
        return self._client.list_all(self._path())

    def get(self, instance_id: str) -> Any:
        return self._client.request("GET", self._path(instance_id))

    def delete(self, instance_id: str) -> Any:
        return self._client.request("DELETE", self._path(instance_id), then=_nothing)

    def test(self, instance_id: str) -> Any:
        """Connect once; the answer carries ``test_status``, ``test_message``, ``last_tested_at``."""
        return self._client.request("POST", self._path(instance_id, "test"))

    def audit(self, instance_id: str) -> Any:
        """Every execute_ddl attempt on the instance, newest first (admins only)."""
        return self._client.list_all(self._path(instance_id, "audit"))

    def _path(self, *segments: str) -> str:
        return self._client.workspace_path("connector-instances", *segments)


def _nothing(_: Any) -> None:
    return None
