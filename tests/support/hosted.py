"""Build hosted services through the SDK, the way a user would."""

from __future__ import annotations

import uuid
from typing import Any


def codeblock(client: Any, source: str, entrypoint: str = "main") -> str:
    name = f"block-{uuid.uuid4().hex[:10]}"
    data = {"name": name, "version": "1.0.0", "source": source, "entrypoint": entrypoint}
    return str(client.create_component(component_type="codeblock", data=data)["id"])


def add_endpoints(client: Any, service_id: str, version_id: str, endpoints: list[dict[str, Any]]) -> None:
    for spec in endpoints:
        spec = dict(spec)
        source = spec.pop("source")
        spec["code_block_id"] = codeblock(client, source, spec.pop("entrypoint", "main"))
        client.hosted_services.endpoints.create(service_id, version_id, spec)


def deploy(client: Any, endpoints: list[dict[str, Any]], *, publish: bool = True) -> dict[str, Any]:
    """A service with one version holding `endpoints` (each with its `source`), published."""
    service = client.hosted_services.create(
        {"slug": f"svc-{uuid.uuid4().hex[:12]}", "name": "test service", "execution_mode": "persistent"}
    )
    version = client.hosted_services.versions.list(service["id"])[0]
    add_endpoints(client, service["id"], version["id"], endpoints)
    if publish:
        client.hosted_services.versions.publish(service["id"], version["id"])
    return client.hosted_services.get(service["id"])
