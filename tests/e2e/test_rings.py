"""Deployment rings end to end: built-ins, resolve, create and delete with their rules."""

from __future__ import annotations

import pytest

from flow_sdk.cli_client import CLIConflictError, CLINotFoundError, CLIPermissionError, CLIValidationError
from support.deployments import CODE, codeblock, deploy


def test_spec_deployment_rings_snippet(client, capsys):
    # List available deployment rings
    rings = client.rings.list()
    for ring in rings:
        print(f"{ring['name']} ({ring['id']})")

    # Resolve a ring name to its UUID
    ring_id = client.rings.resolve("dev")

    out = capsys.readouterr().out.splitlines()
    assert [line.split(" ")[0] for line in out] == ["dev", "staging", "production"]
    assert f"dev ({ring_id})" in out
    assert client.rings.get(ring_id)["name"] == "dev"


def test_resolve_unknown_name_is_not_found(client):
    with pytest.raises(CLINotFoundError) as info:
        client.rings.resolve("nowhere")
    assert info.value.status_code == 404


def test_admin_creates_a_ring_in_order_and_deletes_it(client):
    canary = client.rings.create(name="canary", position=25, description="a slice of production traffic")
    assert [r["name"] for r in client.rings.list()] == ["dev", "staging", "canary", "production"]
    assert client.rings.resolve("canary") == canary["id"]
    with pytest.raises(CLIConflictError):
        client.rings.create(name="canary")
    with pytest.raises(CLIConflictError):
        client.rings.create(name="other", position=25)
    last = client.rings.create(name="archive")
    assert last["position"] > 30
    client.rings.delete(canary["id"])
    with pytest.raises(CLINotFoundError):
        client.rings.get(canary["id"])


def test_bad_ring_name_names_the_field(client):
    with pytest.raises(CLIValidationError) as info:
        client.rings.create(name="Not A Ring")
    assert info.value.body["details"][0]["field"] == "name"


def test_only_admins_create_or_delete_rings(client, make_client):
    ring = client.rings.create(name="qa")
    for role in ("builder", "viewer"):
        other = make_client(role)
        with pytest.raises(CLIPermissionError):
            other.rings.create(name=f"qa-{role}")
        with pytest.raises(CLIPermissionError):
            other.rings.delete(ring["id"])
        assert other.rings.resolve("qa") == ring["id"]


def test_ring_with_a_deployment_cannot_be_deleted(client):
    ring = client.rings.create(name="busy")
    dep = deploy(client, codeblock(client, CODE), ring["id"])
    assert client.component_deployments.wait(dep["id"])["status"] == "active"
    with pytest.raises(CLIConflictError) as info:
        client.rings.delete(ring["id"])
    assert "busy" in info.value.message
    client.component_deployments.rollback(dep["id"])
    assert client.component_deployments.wait(dep["id"])["status"] == "rolled_back"
    client.rings.delete(ring["id"])


def test_built_in_rings_cannot_be_deleted(client):
    with pytest.raises(CLIConflictError):
        client.rings.delete(client.rings.resolve("staging"))


def test_rings_of_another_org_are_not_found(platform, client, make_client):
    other = make_client(tenant_=platform.bootstrap())
    with pytest.raises(CLINotFoundError):
        client.rings.get(other.rings.resolve("dev"))
