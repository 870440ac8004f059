"""``client.component_deployments`` and ``client.workflow_deployments``.

Both take the spec's request shape::

    {"ring_id": ..., "deployment_notes": ..., "components": [{"component_id", "component_type"}]}

and answer ``{"deployments": [{"id", "status", ...}, ...]}``, one per component.
"""

from __future__ import annotations

from typing import Any

from ._resource import Resource

SETTLED_STATES = frozenset({"active", "failed", "rolled_back", "superseded"})


class _Deployments(Resource):
    _kind = ""

    def create(self, data: dict[str, Any]) -> Any:
        """Queue one deployment per listed component; the deployer takes it from there."""
        return self._client.request("POST", self._path(), json=data)

    def status(self, deployment_id: str) -> Any:
        """The deployment now: ``status``, ``error``, ``timestamps`` of each state, ..."""
        return self._client.request("GET", self._path(deployment_id))

    def list(self, *, ring_id: str | None = None, component_id: str | None = None, status: str | None = None) -> Any:
        params = {"ring_id": ring_id, "component_id": component_id, "status": status}
        return self._client.list_all(self._path(), params)

    def wait(self, deployment_id: str, *, timeout: float = 120.0, interval: float = 0.2) -> Any:
        """Poll until the deployment settles (active, failed, rolled back or superseded)."""
        return self._client.poll(
            lambda: self.status(deployment_id),
            lambda d: d["status"] in SETTLED_STATES,
            timeout=timeout,
            interval=interval,
        )

    def rollback(self, deployment_id: str) -> Any:
        """Roll an active deployment back; the version it superseded becomes active again."""
        return self._client.request("POST", self._path(deployment_id, "rollback"))

    def promote(self, deployment_id: str, target_ring_id: str) -> Any:
        """Deploy the same version to the next ring; only from an active source, one ring at a time."""
        body = {"target_ring_id": target_ring_id}
        return self._client.request("POST", self._path(deployment_id, "promote"), json=body)

    def _path(self, *segments: str) -> str:
        return self._client.workspace_path(self._kind, *segments)


class ComponentDeploymentsNamespace(_Deployments):
    _kind = "component-deployments"


class WorkflowDeploymentsNamespace(_Deployments):
    _kind = "workflow-deployments"
