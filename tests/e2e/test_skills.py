"""Endpoint agent-tool fields and the skill snapshot frozen at publish."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flow_sdk.cli_client import CLINotFoundError
from support.hosted import add_endpoints, deploy

FLOW_SDK = str(Path(sys.executable).parent / "flow-sdk")
ECHO = 'def main(request):\n    return {"user": request["path_params"].get("user_id"), "body": request["body"]}\n'
SCHEMA = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
ENDPOINTS = [
    {
        "path": "/users/{user_id}/analyze",
        "method": "POST",
        "source": ECHO,
        "request_schema": SCHEMA,
        "response_schema": {"type": "object"},
        "expose_as_agent_tool": True,
        "tool_description": "Analyze a user's text",
        "async_eligible": True,
        "timeout_seconds": 12,
    },
    {"path": "/health", "method": "GET", "source": ECHO},
]


def _republish(client, service_id: str, change_schema: dict | None) -> None:
    draft = client.hosted_services.versions.create(service_id)
    if change_schema is not None:
        for ep in client.hosted_services.endpoints.list(service_id, draft["id"]):
            if ep["method"] == "POST":
                client.hosted_services.endpoints.delete(service_id, draft["id"], ep["id"])
        add_endpoints(client, service_id, draft["id"], [{**ENDPOINTS[0], "request_schema": change_schema}])
    client.hosted_services.versions.publish(service_id, draft["id"])


def test_agent_tool_fields_are_stored_and_returned(client):
    service = deploy(client, ENDPOINTS, publish=False)
    version = client.hosted_services.versions.list(service["id"])[0]
    listed = {e["path"]: e for e in client.hosted_services.endpoints.list(service["id"], version["id"])}
    assert listed["/users/{user_id}/analyze"]["expose_as_agent_tool"] is True
    assert listed["/users/{user_id}/analyze"]["tool_description"] == "Analyze a user's text"
    assert listed["/health"]["expose_as_agent_tool"] is False
    with pytest.raises(CLINotFoundError):
        client.hosted_services.skills(service["id"])


def test_skill_snapshot_is_frozen_and_its_checksum_follows_the_schemas(client):
    service = deploy(client, ENDPOINTS)
    first = client.hosted_services.skills(service["id"])
    assert first == client.hosted_services.skills(service["id"], version=1)
    assert first["version"] == 1 and first["checksum"].startswith("sha256:")
    skills = {s["http"]["path"]: s for s in first["skills"]}
    assert len(skills) == 2
    tool = skills["/users/{user_id}/analyze"]
    assert tool["manifest"]["expose_as_agent_tool"] is True
    assert tool["manifest"]["description"] == "Analyze a user's text"
    assert tool["http"]["path_parameters"]["required"] == ["user_id"]
    assert tool["request_schema"] == SCHEMA
    assert tool["execution"] == {
        "timeout_seconds": 12.0,
        "async_eligible": True,
        "async_url": f"/api/v1/orgs/{service['org_id']}/services/{service['id']}/async/users/{{user_id}}/analyze",
    }
    assert tool["auth"]["mode"] == "platform"
    assert "client.invoke_service(" in tool["examples"]["sdk"]
    assert tool["examples"]["cli"].startswith(f"flow-sdk services invoke {service['id']} POST")

    # An unchanged new version describes the same skills; a changed schema changes the checksum.
    _republish(client, service["id"], change_schema=None)
    second = client.hosted_services.skills(service["id"])
    assert second["version"] == 2 and second["checksum"] == first["checksum"]
    _republish(client, service["id"], change_schema={"type": "object", "required": ["words"]})
    third = client.hosted_services.skills(service["id"])
    assert third["version"] == 3 and third["checksum"] != first["checksum"]
    changed = {s["http"]["path"]: s["checksum"] for s in third["skills"]}
    assert changed["/health"] == skills["/health"]["checksum"]
    assert changed["/users/{user_id}/analyze"] != tool["checksum"]
    # Version 1 is frozen: its skills read as they were at publish.
    assert client.hosted_services.skills(service["id"], version=1) == first


def test_cli_reads_the_skills(client, tmp_path):
    service = deploy(client, ENDPOINTS)
    config = tmp_path / "flow" / "config.json"
    client.config.save(config)

    def run(*args: str) -> str:
        done = subprocess.run([FLOW_SDK, "--config", str(config), *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr + done.stdout
        return done.stdout

    bundle = json.loads(run("services", "skills", service["id"], "--version", "1", "--json"))
    assert bundle == client.hosted_services.skills(service["id"])
    table = run("services", "skills", service["id"])
    assert bundle["checksum"] in table and "/users/{user_id}/analyze" in table
