"""``client.component_deployments`` and ``client.workflow_deployments``.

Both take the spec's request shape::

    {"ring_id": ..., "deployment_notes": ..., "components": [{"component_id", "component_type"}]}

and answer ``{"deployments": [{"id", "status", ...}, ...]}``, one per component.
"""

from __future__ import annotations

import time
from typing import Any

from ._resource import Resource

SETTLED_STATES = frozenset({"active", "failed", "rolled_back", "superseded"})


class _Deployments(Resource):
    _path = ""

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        """Queue one deployment per listed component; the deployer takes it from there."""
        result: dict[str, Any] = self._client._request("POST", self._client._ws_path(self._path), json=data)
        return result

    def status(self, deployment_id: str) -> dict[str, Any]:
        """The deployment now: ``status``, ``error``, ``timestamps`` of each state, ..."""
        result: dict[str, Any] = self._client._request("GET", self._item(deployment_id))
        return result

    def list(
        self, *, ring_id: str | None = None, component_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"ring_id": ring_id, "component_id": component_id, "status": status}
        return self._client._get_items(self._client._ws_path(self._path), params=params)

    def wait(self, deployment_id: str, *, timeout: float = 120.0, interval: float = 0.2) -> dict[str, Any]:
        """Poll until the deployment settles (active, failed, rolled back or superseded)."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.status(deployment_id)
            if current["status"] in SETTLED_STATES or time.monotonic() >= deadline:
                return current
            time.sleep(interval)

    def rollback(self, deployment_id: str) -> dict[str, Any]:
        """Roll an active deployment back; the version it superseded becomes active again."""
        result: dict[str, Any] = self._client._request("POST", self._item(deployment_id, "/rollback"))
        return result

    def promote(self, deployment_id: str, target_ring_id: str) -> dict[str, Any]:
        """Deploy the same version to the next ring; only from an active source, one ring at a time."""
        result: dict[str, Any] = self._client._request(
            "POST", self._item(deployment_id, "/promote"), json={"target_ring_id": target_ring_id}
        )
        return result

    def _item(self, deployment_id: str, suffix: str = "") -> str:
        return self._client._ws_path(f"{self._path}/{self._client._seg(deployment_id)}{suffix}")


class ComponentDeploymentsNamespace(_Deployments):
    _path = "/component-deployments"


class WorkflowDeploymentsNamespace(_Deployments):
    _path = "/workflow-deployments"
