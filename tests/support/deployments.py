"""Helpers for deployment tests: publish code blocks and deploy them."""

from __future__ import annotations

import uuid
from typing import Any

CODE = "def main(request):\n    return {'ok': True, 'echo': request}\n"


def codeblock(
    client: Any, source: str | None, *, name: str | None = None, version: str = "1.0.0", **extra: Any
) -> dict:
    data = {"name": name or f"cb-{uuid.uuid4().hex[:8]}", "version": version, **extra}
    if source is not None:
        data["source"] = source
    component: dict = client.create_component(component_type="codeblock", data=data)
    return component


def deploy(client: Any, component: dict, ring_id: str, notes: str = "test") -> dict:
    namespace = (
        client.workflow_deployments if component["component_type"] == "workflow" else client.component_deployments
    )
    created = namespace.create(
        {
            "ring_id": ring_id,
            "deployment_notes": notes,
            "components": [{"component_id": component["id"], "component_type": component["component_type"]}],
        }
    )
    deployment: dict = created["deployments"][0]
    return deployment


def wait_for(namespace: Any, deployment_id: str, states: set[str], timeout: float = 90.0) -> dict:
    """Poll until the deployment is in one of ``states``; fail with its last state otherwise."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        current: dict = namespace.status(deployment_id)
        if current["status"] in states:
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"deployment stuck in {current['status']}: {current}")
        time.sleep(0.1)
