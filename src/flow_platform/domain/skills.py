"""Skills: what an agent or a script needs to call a published version's endpoints.

Publishing a version freezes its ``skill_snapshot``: one endpoint skill per endpoint
(manifest, HTTP signature, schemas, auth, execution hints, examples) grouped in a
service bundle. Every skill carries a sha256 over its canonical JSON (sorted keys, no
spaces), and the bundle one over its skills' checksums, so a reader can tell whether
two versions expose the same thing without comparing documents. Neither checksum
covers the version number: a new version that changes nothing keeps its checksum.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from ..runtime.bundle import PARAM_SEGMENT
from ..store.tables import HostedService, ServiceEndpoint, ServiceVersion
from .auth_modes import AuthMode

SNAPSHOT_FORMAT = 1
_AUTH = {
    AuthMode.PLATFORM: "a platform credential of the service's org: Authorization: Bearer <access token> or X-API-Key",
    AuthMode.SERVICE_TOKEN: "a service token (fl_hsl_...) minted for this service, as Bearer or X-API-Key",
    AuthMode.PUBLIC: "none: anyone who can reach the gateway may call it",
}


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def checksum(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(value).encode()).hexdigest()


def skill_name(endpoint: ServiceEndpoint) -> str:
    """A stable tool name: the endpoint's own name, else method and path (``post_users_id``)."""
    if endpoint.name:
        base = endpoint.name
    else:
        words = re.findall(r"[A-Za-z0-9]+", PARAM_SEGMENT.sub(lambda m: m.group(1), endpoint.path))
        base = "_".join([endpoint.method.lower(), *words])
    return re.sub(r"[^A-Za-z0-9_-]+", "_", base)[:64]


def path_parameters_schema(path: str) -> dict[str, Any]:
    names = PARAM_SEGMENT.findall(path)
    return {
        "type": "object",
        "properties": {name: {"type": "string"} for name in names},
        "required": names,
        "additionalProperties": False,
    }


def input_schema(endpoint: ServiceEndpoint) -> dict[str, Any]:
    """One JSON Schema for a tool call: path parameters, query and body side by side."""
    properties: dict[str, Any] = {"query": {"type": "object", "additionalProperties": {"type": "string"}}}
    required: list[str] = []
    if PARAM_SEGMENT.search(endpoint.path):
        properties["path_params"] = path_parameters_schema(endpoint.path)
        required.append("path_params")
    if endpoint.method != "GET":
        properties["body"] = endpoint.request_schema if endpoint.request_schema is not None else {}
        if isinstance(endpoint.request_schema, dict) and endpoint.request_schema.get("required"):
            required.append("body")
    return {"type": "object", "properties": properties, "required": required}


def _examples(service: HostedService, endpoint: ServiceEndpoint) -> dict[str, str]:
    body = "None" if endpoint.method == "GET" else "{...}"
    sdk = (
        "from flow_sdk.cli_client import CLIClient\n\n"
        "client = CLIClient()\n"
        f'result = client.invoke_service("{service.id}", "{endpoint.method}", "{endpoint.path}", body={body})\n'
    )
    cli = f"flow-sdk services invoke {service.id} {endpoint.method} '{endpoint.path}'"
    if endpoint.method != "GET":
        cli += " --body '{...}'"
    return {"sdk": sdk, "cli": cli}


def endpoint_skill(service: HostedService, endpoint: ServiceEndpoint) -> dict[str, Any]:
    mode = AuthMode(endpoint.auth_mode)
    gateway = f"/api/v1/orgs/{service.org_id}/services/{service.id}{endpoint.path}"
    skill: dict[str, Any] = {
        "manifest": {
            "name": skill_name(endpoint),
            "title": endpoint.name or f"{endpoint.method} {endpoint.path}",
            "description": endpoint.tool_description or endpoint.description,
            "expose_as_agent_tool": endpoint.expose_as_agent_tool,
            "service_slug": service.slug,
        },
        "http": {
            "method": endpoint.method,
            "path": endpoint.path,
            "url": gateway,
            "path_parameters": path_parameters_schema(endpoint.path),
        },
        "input_schema": input_schema(endpoint),
        "request_schema": endpoint.request_schema,
        "response_schema": endpoint.response_schema,
        "auth": {"mode": mode.value, "credentials": _AUTH[mode]},
        "execution": {
            "timeout_seconds": endpoint.timeout_seconds,
            "async_eligible": endpoint.async_eligible,
            "async_url": f"/api/v1/orgs/{service.org_id}/services/{service.id}/async{endpoint.path}"
            if endpoint.async_eligible
            else None,
        },
        "examples": _examples(service, endpoint),
    }
    skill["checksum"] = checksum(skill)
    return skill


def build_snapshot(service: HostedService, version: ServiceVersion, endpoints: list[ServiceEndpoint]) -> dict[str, Any]:
    skills = [endpoint_skill(service, ep) for ep in endpoints]
    return {
        "format": SNAPSHOT_FORMAT,
        "service": {"id": service.id, "slug": service.slug, "name": service.name, "description": service.description},
        "version": version.number,
        "skills": skills,
        "checksum": checksum([s["checksum"] for s in skills]),
    }
