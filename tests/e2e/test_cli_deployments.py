"""``flow-sdk rings | components | deployments`` against the real platform."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from flow_sdk.cli.main import cli
from flow_sdk.config import save_config


@pytest.fixture
def run(client, tmp_path):
    path = tmp_path / "config.json"
    save_config(client.config, path)

    def invoke(*args: str, ok: bool = True):
        result = CliRunner().invoke(cli, ["--config", str(path), *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def _write(tmp_path, name: str, code: str) -> str:
    path = tmp_path / name
    path.write_text(code)
    return str(path)


def test_rings_commands(run):
    listed = json.loads(run("rings", "list", "--json").output)
    assert [r["name"] for r in listed] == ["dev", "staging", "production"]
    assert run("rings", "resolve", "dev").output.strip() == listed[0]["id"]
    created = json.loads(run("rings", "create", "qa", "--position", "15", "--json").output)
    assert "qa" in run("rings", "list").output
    assert "deleted ring qa" in run("rings", "delete", "qa").output
    missing = run("rings", "resolve", "qa", ok=False)
    assert missing.exit_code == 1 and "404" in missing.output and created["id"]


def test_publish_a_file_and_deploy_it_with_wait(run, tmp_path):
    source = _write(tmp_path, "hello.py", "def main(request):\n    return {'hello': 'world'}\n")
    component = json.loads(
        run("components", "create", "--name", "hello", "--version", "1.0.0", "--source", source, "--json").output
    )
    assert component["source"].startswith("def main")
    assert "2 lines" in run("components", "get", component["id"]).output
    assert "hello" in run("components", "list", "--type", "codeblock").output

    done = run("deployments", "create", "--ring", "dev", "--component", component["id"], "--wait")
    states = [line.rsplit(": ", 1)[1] for line in done.output.strip().splitlines()]
    assert states == ["queued", "building", "deploying", "validating", "active"]

    listed = json.loads(run("deployments", "list", "--ring", "dev", "--json").output)
    (dep,) = listed
    assert dep["status"] == "active"
    promoted = run("deployments", "promote", dep["id"], "--to", "staging", "--wait", "--json")
    assert json.loads(promoted.stdout)["status"] == "active"
    rolled = run("deployments", "rollback", dep["id"], "--wait", "--json")
    assert json.loads(rolled.stdout)["status"] == "rolled_back"
    status = json.loads(run("deployments", "status", dep["id"], "--json").output)
    assert status["status"] == "rolled_back"


def test_wait_exits_non_zero_when_the_deployment_fails(run, tmp_path):
    source = _write(tmp_path, "bad.py", "import not_a_module_anywhere\n")
    component = json.loads(
        run("components", "create", "--name", "bad", "--version", "1.0.0", "--source", source, "--json").output
    )
    failed = run("deployments", "create", "--ring", "dev", "--component", component["id"], "--wait", ok=False)
    assert failed.exit_code == 1
    assert "failed" in failed.output and "not_a_module_anywhere" in failed.output


def test_out_of_order_promotion_is_refused_on_the_command_line(run, tmp_path):
    source = _write(tmp_path, "ok.py", "def main():\n    return 1\n")
    component = json.loads(
        run("components", "create", "--name", "ok", "--version", "1.0.0", "--source", source, "--json").output
    )
    created = json.loads(
        run("deployments", "create", "--ring", "dev", "--component", component["id"], "--wait", "--json").stdout
    )["deployments"][0]
    refused = run("deployments", "promote", created["id"], "--to", "production", ok=False)
    assert refused.exit_code == 1 and "PROMOTION_OUT_OF_ORDER" in refused.output


def test_workflow_deploys_through_the_same_command(run, tmp_path):
    source = _write(tmp_path, "step.py", "def main(request):\n    return request\n")
    step = json.loads(
        run("components", "create", "--name", "step", "--version", "1.0.0", "--source", source, "--json").output
    )
    flow = json.loads(
        run(
            "components", "create", "--type", "workflow", "--name", "flow", "--version", "1.0.0",
            "--step", "step@1.0.0", "--json",
        ).output
    )  # fmt: skip
    run("deployments", "create", "--ring", "dev", "--component", step["id"], "--wait")
    done = json.loads(
        run("deployments", "create", "--ring", "dev", "--component", flow["id"], "--wait", "--json").stdout
    )["deployments"][0]
    assert (done["component_type"], done["status"]) == ("workflow", "active")
    assert json.loads(run("deployments", "status", done["id"], "--json").output)["id"] == done["id"]
    kinds = {d["component_type"] for d in json.loads(run("deployments", "list", "--json").output)}
    assert kinds == {"codeblock", "workflow"}
