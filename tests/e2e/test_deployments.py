"""Component and workflow deployments end to end, through the real deployer."""

from __future__ import annotations

import pytest

from flow_platform.store.tables import Component
from flow_sdk.cli_client import CLIConflictError, CLINotFoundError, CLIPermissionError, CLIValidationError
from support.deployments import CODE, codeblock, deploy, wait_for

FINAL = {"active", "failed", "rolled_back", "superseded"}


def test_spec_publishing_and_deployment_snippets_reach_active(client, capsys):
    # Publish a component to the catalog
    component = client.create_component(
        component_type="codeblock",
        data={
            "name": "my-processor",
            "version": "1.0.0",
            "description": "Processes incoming data.",
        },
    )
    assert component["id"]
    # The spec publishes without source; the deployable version carries its code.
    runnable = client.create_component(
        component_type="codeblock",
        data={"name": "my-processor", "version": "1.0.1", "source": CODE, "description": "Processes incoming data."},
    )
    ring_id = client.rings.resolve("dev")

    # fmt: off
    # Create a new deployment
    deployment = client.component_deployments.create({
        "ring_id": ring_id,
        "deployment_notes": "release candidate",
        "components": [
            {
                "component_id": runnable["id"],
                "component_type": "codeblock",
            }
        ],
    })
    # fmt: on
    # Check deployment status
    deployment_id = deployment["deployments"][0]["id"]
    status = client.component_deployments.status(deployment_id)
    print(f"Status: {status['status']}")

    assert capsys.readouterr().out.startswith("Status: ")
    done = wait_for(client.component_deployments, deployment_id, FINAL)
    assert done["status"] == "active", done
    assert (done["ring_id"], done["component_id"], done["error"]) == (ring_id, runnable["id"], None)
    assert done["deployment_notes"] == "release candidate"
    assert done["created_at"] <= done["updated_at"]
    stamps = done["timestamps"]
    order = ["queued", "building", "deploying", "validating", "active"]
    assert list(stamps) == order
    assert [stamps[s] for s in order] == sorted(stamps[s] for s in order)
    assert done["artifact"]["sha256"]


def test_codeblock_without_source_fails_saying_so(client):
    component = client.create_component(
        component_type="codeblock", data={"name": "empty", "version": "1.0.0", "description": "no code yet"}
    )
    dep = deploy(client, component, client.rings.resolve("dev"))
    done = wait_for(client.component_deployments, dep["id"], FINAL)
    assert done["status"] == "failed"
    assert "has no source" in done["error"]
    assert "validating" not in done["timestamps"]


def test_syntax_error_fails_the_build(platform, tenant, client):
    # The catalog refuses bad syntax on create, so store one as an older platform or another
    # Python version might have; the deployer must not trust the catalog's check.
    with platform.session() as session:
        row = Component(
            workspace_id=tenant.workspace_id,
            component_type="codeblock",
            name="broken",
            version="1.0.0",
            source="def main(request):\n    return {'a': 1\n",
            entrypoint="main",
            config={},
            created_by=tenant.api_key_id,
        )
        session.add(row)
        session.commit()
        component = {"id": row.id, "component_type": "codeblock"}
    dep = deploy(client, component, client.rings.resolve("dev"))
    done = wait_for(client.component_deployments, dep["id"], FINAL)
    assert done["status"] == "failed"
    assert "syntax error on line 2" in done["error"]


def test_import_error_fails_the_build(client):
    component = codeblock(client, "import no_such_module_here\n\ndef main(request):\n    return {}\n")
    done = wait_for(client.component_deployments, deploy(client, component, client.rings.resolve("dev"))["id"], FINAL)
    assert done["status"] == "failed"
    assert "import raised ModuleNotFoundError" in done["error"]
    assert "no_such_module_here" in done["error"]


def test_raising_at_import_fails_the_build(client):
    component = codeblock(client, "raise RuntimeError('config missing')\n")
    done = wait_for(client.component_deployments, deploy(client, component, client.rings.resolve("dev"))["id"], FINAL)
    assert done["status"] == "failed"
    assert "RuntimeError: config missing (line 1)" in done["error"]


def test_missing_entrypoint_fails_the_build(client):
    component = codeblock(client, "def handler(request):\n    return {}\n", entrypoint="main")
    done = wait_for(client.component_deployments, deploy(client, component, client.rings.resolve("dev"))["id"], FINAL)
    assert done["status"] == "failed"
    assert "entrypoint 'main' is not defined; it defines handler" in done["error"]


def test_custom_entrypoint_and_output_cannot_forge_a_result(client):
    source = 'print(\'{"ok": true}\')\n\ndef handle():\n    print("hello")\n    return [1, 2]\n'
    component = codeblock(client, source, entrypoint="handle")
    done = wait_for(client.component_deployments, deploy(client, component, client.rings.resolve("dev"))["id"], FINAL)
    assert done["status"] == "active", done
    bad = codeblock(client, "import sys\nprint('{\"ok\": true}')\nsys.stdout.flush()\nraise SystemExit(0)\n")
    done = wait_for(client.component_deployments, deploy(client, bad, client.rings.resolve("dev"))["id"], FINAL)
    assert done["status"] == "failed"
    assert "SystemExit" in done["error"]


def test_smoke_run_failure_rolls_back(client):
    component = codeblock(client, "def main(request):\n    return request['text'].upper()\n")
    done = wait_for(client.component_deployments, deploy(client, component, client.rings.resolve("dev"))["id"], FINAL)
    assert done["status"] == "rolled_back"
    assert done["error"].startswith("validation failed:")
    assert "smoke run of main({}) raised KeyError: 'text' (line 2)" in done["error"]
    assert list(done["timestamps"])[-2:] == ["rolling_back", "rolled_back"]


def test_newer_version_supersedes_and_rollback_restores(client):
    dev = client.rings.resolve("dev")
    v1 = codeblock(client, CODE, name="greeter", version="1.0.0")
    v2 = codeblock(client, CODE.replace("True", "'v2'"), name="greeter", version="1.1.0")
    d1 = wait_for(client.component_deployments, deploy(client, v1, dev)["id"], FINAL)
    assert d1["status"] == "active"
    d2 = wait_for(client.component_deployments, deploy(client, v2, dev)["id"], FINAL)
    assert d2["status"] == "active"
    assert d2["previous_id"] == d1["id"]
    assert client.component_deployments.status(d1["id"])["status"] == "superseded"

    rolled = client.component_deployments.rollback(d2["id"])
    assert rolled["status"] in ("rolling_back", "rolled_back")
    assert wait_for(client.component_deployments, d2["id"], {"rolled_back"})["status"] == "rolled_back"
    assert client.component_deployments.status(d1["id"])["status"] == "active"
    active = client.component_deployments.list(ring_id=dev, status="active")
    assert [d["id"] for d in active] == [d1["id"]]
    with pytest.raises(CLIConflictError):
        client.component_deployments.rollback(d2["id"])


def test_redeploying_the_same_version_supersedes_it(client):
    dev = client.rings.resolve("dev")
    component = codeblock(client, CODE)
    first = wait_for(client.component_deployments, deploy(client, component, dev)["id"], FINAL)
    second = wait_for(client.component_deployments, deploy(client, component, dev)["id"], FINAL)
    assert (first["status"], second["status"]) == ("active", "active")
    assert client.component_deployments.status(first["id"])["status"] == "superseded"
    listed = client.component_deployments.list(component_id=component["id"])
    assert [d["id"] for d in listed] == [first["id"], second["id"]]


def test_promotion_goes_one_ring_at_a_time_from_active(client):
    dev, staging, production = (client.rings.resolve(n) for n in ("dev", "staging", "production"))
    component = codeblock(client, CODE)
    source = wait_for(client.component_deployments, deploy(client, component, dev)["id"], FINAL)
    with pytest.raises(CLIConflictError) as info:
        client.component_deployments.promote(source["id"], production)
    assert info.value.code == "PROMOTION_OUT_OF_ORDER"
    assert "'staging'" in info.value.message
    promoted = client.component_deployments.promote(source["id"], staging)
    assert promoted["promoted_from_id"] == source["id"] and promoted["ring_id"] == staging
    assert wait_for(client.component_deployments, promoted["id"], FINAL)["status"] == "active"
    to_prod = client.component_deployments.promote(promoted["id"], production)
    assert wait_for(client.component_deployments, to_prod["id"], FINAL)["status"] == "active"
    with pytest.raises(CLIConflictError):
        client.component_deployments.promote(to_prod["id"], staging)


def test_promotion_needs_an_active_source(client):
    dev, staging = client.rings.resolve("dev"), client.rings.resolve("staging")
    broken = codeblock(client, "raise ValueError('no')\n")
    failed = wait_for(client.component_deployments, deploy(client, broken, dev)["id"], FINAL)
    assert failed["status"] == "failed"
    with pytest.raises(CLIConflictError) as info:
        client.component_deployments.promote(failed["id"], staging)
    assert "only an active deployment" in info.value.message


def test_only_admins_deploy_to_production(client, make_client):
    builder = make_client("builder")
    production, staging = client.rings.resolve("production"), client.rings.resolve("staging")
    component = codeblock(builder, CODE)
    with pytest.raises(CLIPermissionError) as info:
        deploy(builder, component, production)
    assert "only admins deploy to production" in info.value.message
    # A builder may deploy up to staging, but not promote on into production.
    on_staging = wait_for(builder.component_deployments, deploy(builder, component, staging)["id"], FINAL)
    assert on_staging["status"] == "active"
    with pytest.raises(CLIPermissionError):
        builder.component_deployments.promote(on_staging["id"], production)
    admin_deploy = client.component_deployments.promote(on_staging["id"], production)
    assert wait_for(client.component_deployments, admin_deploy["id"], FINAL)["status"] == "active"
    assert client.component_deployments.list(ring_id=production)[0]["created_by"] != on_staging["created_by"]


def test_viewers_cannot_deploy_but_can_read(client, make_client):
    viewer = make_client("viewer")
    component = codeblock(client, CODE)
    with pytest.raises(CLIPermissionError):
        deploy(viewer, component, viewer.rings.resolve("dev"))
    dep = deploy(client, component, client.rings.resolve("dev"))
    assert viewer.component_deployments.status(dep["id"])["id"] == dep["id"]
    assert [d["id"] for d in viewer.component_deployments.list()] == [dep["id"]]
    with pytest.raises(CLIPermissionError):
        viewer.component_deployments.rollback(dep["id"])


def test_bad_requests_name_the_field(client):
    dev = client.rings.resolve("dev")
    component = codeblock(client, CODE)
    cases = [
        ({"ring_id": "not-a-ring", "components": [{"component_id": component["id"]}]}, "ring_id"),
        ({"ring_id": dev, "components": []}, "components"),
        ({"ring_id": dev, "components": [{"component_id": component["id"], "component_type": "agent"}]}, "type"),
        ({"ring_id": dev, "components": [{"component_id": "nope"}]}, "component_id"),
        ({"components": [{"component_id": component["id"]}]}, "ring_id"),
    ]
    for body, field in cases:
        with pytest.raises(CLIValidationError) as info:
            client.component_deployments.create(body)
        assert field in info.value.body["details"][0]["field"], (body, info.value.body)
    with pytest.raises(CLINotFoundError):
        client.component_deployments.status("00000000-0000-0000-0000-000000000000")


def test_one_request_deploys_several_components(client):
    a, b = codeblock(client, CODE), codeblock(client, CODE)
    created = client.component_deployments.create(
        {
            "ring_id": client.rings.resolve("dev"),
            "components": [{"component_id": c["id"], "component_type": "codeblock"} for c in (a, b)],
        }
    )
    assert [d["component_id"] for d in created["deployments"]] == [a["id"], b["id"]]
    for d in created["deployments"]:
        assert wait_for(client.component_deployments, d["id"], FINAL)["status"] == "active"


def test_workflow_needs_its_steps_active_in_the_ring(client):
    dev, staging = client.rings.resolve("dev"), client.rings.resolve("staging")
    first = codeblock(client, CODE, name="extract")
    second = codeblock(client, CODE, name="load")
    flow = client.create_component(
        component_type="workflow",
        data={"name": "etl", "version": "1.0.0", "steps": [first["id"], {"name": "load", "version": "1.0.0"}]},
    )
    assert wait_for(client.component_deployments, deploy(client, first, dev)["id"], FINAL)["status"] == "active"
    missing = wait_for(client.workflow_deployments, deploy(client, flow, dev)["id"], FINAL)
    assert missing["status"] == "failed"
    assert "step 2 (load 1.0.0" in missing["error"] and "not active in ring 'dev'" in missing["error"]

    assert wait_for(client.component_deployments, deploy(client, second, dev)["id"], FINAL)["status"] == "active"
    ok = wait_for(client.workflow_deployments, deploy(client, flow, dev)["id"], FINAL)
    assert ok["status"] == "active", ok
    assert [s["component_id"] for s in ok["artifact"]["steps"]] == [first["id"], second["id"]]
    assert [d["id"] for d in client.workflow_deployments.list()] == [missing["id"], ok["id"]]
    assert all(d["component_type"] == "codeblock" for d in client.component_deployments.list())
    # Steps are looked up in the ring being deployed to: staging has none of them.
    elsewhere = wait_for(client.workflow_deployments, deploy(client, flow, staging)["id"], FINAL)
    assert elsewhere["status"] == "failed" and "step 1 (extract" in elsewhere["error"]


def test_workflows_and_components_use_their_own_collections(client):
    dev = client.rings.resolve("dev")
    step = codeblock(client, CODE)
    flow = client.create_component(
        component_type="workflow", data={"name": "f", "version": "1.0.0", "steps": [step["id"]]}
    )
    with pytest.raises(CLIValidationError):
        client.component_deployments.create({"ring_id": dev, "components": [{"component_id": flow["id"]}]})
    with pytest.raises(CLIValidationError):
        client.workflow_deployments.create({"ring_id": dev, "components": [{"component_id": step["id"]}]})
    dep = deploy(client, step, dev)
    with pytest.raises(CLINotFoundError):
        client.workflow_deployments.status(dep["id"])


def test_config_only_components_deploy_as_configuration(client):
    prompt = client.create_component(
        component_type="prompt", data={"name": "greeting", "version": "1.0.0", "template": "Hello {name}"}
    )
    done = wait_for(client.component_deployments, deploy(client, prompt, client.rings.resolve("dev"))["id"], FINAL)
    assert done["status"] == "active"
    assert len(done["artifact"]["sha256"]) == 64
