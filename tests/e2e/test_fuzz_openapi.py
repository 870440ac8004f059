"""Schemathesis over the real server's /openapi.json, on every backend.

Every operation gets a bounded, derandomized run of generated requests, once with
valid data and once with invalid data, with a live object behind every id in the
path so that requests reach the handlers rather than stopping at a 404. A third run
lets the fuzzer pick the path parameters too (ids, version numbers, ring names).
Each answer must be no server error, conform to its documented schema and carry a
documented status code.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.hosted import deploy

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Small on purpose: the suite runs on two cores; derandomized, so a failure reproduces.
EXAMPLES = int(os.environ.get("FLOW_FUZZ_EXAMPLES", "6"))
ECHO = "def main(request):\n    return {'ok': True}\n"


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _live_ids(tenant: Any, client: Any) -> dict[str, str]:
    """One real object for each id a path can hold."""
    http = httpx.Client(base_url=tenant.url, headers={"X-API-Key": tenant.api_key}, timeout=30)
    ws = f"/api/v1/orgs/{tenant.org_id}/workspaces/{tenant.workspace_id}"
    with http:
        key = http.post(f"/api/v1/orgs/{tenant.org_id}/api-keys", json={"role": "viewer", "name": "fuzz"})
        ring = http.post(f"{ws}/rings", json={"name": f"fuzz-{uuid.uuid4().hex[:6]}"})
        service = deploy(client, [{"path": "/echo", "method": "POST", "source": ECHO, "auth_mode": "public"}])
        draft = http.post(f"{ws}/hosted-services/{service['id']}/versions")
        block = http.get(f"{ws}/components").json()["items"][0]
        endpoint = http.post(
            f"{ws}/hosted-services/{service['id']}/versions/{draft.json()['id']}/endpoints",
            json={"path": "/more", "method": "GET", "code_block_id": block["id"]},
        )
        deployment = http.post(
            f"{ws}/component-deployments",
            json={"ring_id": ring.json()["id"], "components": [{"component_id": block["id"]}]},
        )
        instance = http.post(f"{ws}/connector-instances", json={"connector": "sqlite", "instance_name": "fuzz"})
        job = http.post(
            f"/api/v1/orgs/{tenant.org_id}/services/{service['id']}/async/echo",
            headers={"X-HSL-Target-Method": "POST"},
            json={},
        )
        for answer in (key, ring, draft, endpoint, deployment, instance):
            assert answer.status_code == 201, answer.text
    return {
        "org_id": tenant.org_id,
        "workspace_id": tenant.workspace_id,
        "key_id": key.json()["id"],
        "ring_id": ring.json()["id"],
        "name": "dev",
        "component_id": block["id"],
        "service_id": service["id"],
        "version_id": draft.json()["id"],
        "endpoint_id": endpoint.json()["id"],
        "deployment_id": deployment.json()["deployments"][0]["id"],
        "instance_id": instance.json()["id"],
        # A job exists only if the service is async eligible; otherwise an unknown job id.
        "job_id": job.json().get("job_id", str(uuid.uuid4())),
    }


def _destructive(operation: Any) -> bool:
    path = operation.path
    return operation.method.upper() == "DELETE" or path.endswith(("/archive", "/suspend", "/revoke-all"))


def _run(operation: Any, mode: Any, examples: int, base: str, headers: dict[str, str], path: dict[str, str]):
    fixed = {k: v for k, v in path.items() if k in _path_names(operation)}

    @_settings(examples)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)

    run()


def _path_names(operation: Any) -> set[str]:
    return {p.name for p in operation.path_parameters}


def test_openapi_fuzzing_finds_no_server_error_or_undocumented_answer(platform, tenant, client):
    schema = schemathesis.openapi.from_url(f"{platform.url}/openapi.json")
    live = _live_ids(tenant, client)
    headers = {"X-API-Key": tenant.api_key}
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=_destructive)  # deletes and archives last, so the rest meet live objects
    assert len(operations) > 40
    failures: list[str] = []
    runs = [
        (schemathesis.GenerationMode.POSITIVE, live),
        (schemathesis.GenerationMode.NEGATIVE, live),
        # Only the tenant fixed: the fuzzer picks every other id, version and name.
        (schemathesis.GenerationMode.POSITIVE, {"org_id": tenant.org_id, "workspace_id": tenant.workspace_id}),
    ]
    for mode, path in runs:
        for operation in operations:
            if path is not live and not _path_names(operation) - set(path):
                continue  # nothing new to generate for it
            try:
                _run(operation, mode, EXAMPLES, platform.url, headers, path)
            except Unsatisfiable:
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
                continue  # nothing in it can be made invalid (no body, no query, fixed path)
            except Exception as exc:  # noqa: BLE001 - every failure is collected and reported below
                failures.append(f"{mode.value} {operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)
