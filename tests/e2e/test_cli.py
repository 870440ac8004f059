"""The flow-sdk command against the real platform, as a user types it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from flow_sdk.cli.main import cli

FLOW_SDK = str(Path(sys.executable).parent / "flow-sdk")


@pytest.fixture
def run(tmp_path):
    config = tmp_path / "cfg" / "config.json"

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, ["--config", str(config), *args], input=input, catch_exceptions=False)

    invoke.config = config
    return invoke


def test_login_writes_a_private_config_and_whoami_works(run, tenant):
    result = run("login", "--api-key", tenant.api_key, "--url", tenant.url)
    assert result.exit_code == 0, result.output
    assert f"workspace  main ({tenant.workspace_id})" in result.output
    data = json.loads(run.config.read_text())
    assert set(data) >= {"access_token", "platform_url", "org_id", "workspace_id"}
    assert (data["org_id"], data["workspace_id"], data["platform_url"]) == (
        tenant.org_id,
        tenant.workspace_id,
        tenant.url,
    )
    assert stat.S_IMODE(run.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(run.config.parent.stat().st_mode) == 0o700
    who = run("whoami", "--json")
    assert who.exit_code == 0
    assert json.loads(who.output)["role"] == "admin"
    human = run("whoami")
    assert "Role" in human.output and "admin" in human.output


def test_login_reads_the_key_from_stdin_and_auth_login_is_the_same(run, tenant):
    result = run("auth", "login", "--api-key", "-", "--url", tenant.url + "/api/v1/", input=tenant.api_key + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(run.config.read_text())["platform_url"] == tenant.url
    assert tenant.api_key not in result.output


def test_login_with_a_wrong_key_is_one_line_and_exit_1(run, tenant):
    result = run("login", "--api-key", "fl_nope", "--url", tenant.url)
    assert result.exit_code == 1
    assert "error: 401 UNAUTHENTICATED: invalid API key" in result.output
    assert "Traceback" not in result.output
    assert not run.config.exists()


def test_login_with_several_workspaces_needs_a_choice(run, tenant, client):
    client._request("POST", f"/api/v1/orgs/{tenant.org_id}/workspaces", json={"name": "second"})
    unbound = client.api_keys.create(role="builder")["api_key"]
    result = run("login", "--api-key", unbound, "--url", tenant.url)
    assert result.exit_code != 0 and "--workspace-id" in result.output
    second = [w for w in client.list_workspaces(tenant.org_id) if w["name"] == "second"][0]
    result = run("login", "--api-key", unbound, "--url", tenant.url, "--workspace-id", second["id"])
    assert result.exit_code == 0, result.output
    assert json.loads(run.config.read_text())["workspace_id"] == second["id"]


def test_whoami_with_invalid_credentials_exits_1(run, tenant, client):
    run("login", "--api-key", tenant.api_key, "--url", tenant.url)
    data = json.loads(run.config.read_text())
    data["access_token"] = data["access_token"][:-4] + "AAAA"
    run.config.write_text(json.dumps(data))
    result = run("whoami")
    assert result.exit_code == 1
    assert "hint: run: flow-sdk login" in result.output


def test_logout_then_commands_say_to_log_in(run, tenant):
    run("login", "--api-key", tenant.api_key, "--url", tenant.url)
    assert run("logout").exit_code == 0
    assert not run.config.exists()
    result = run("orgs", "list")
    assert result.exit_code == 1 and "no Flow config" in result.output and "flow-sdk login" in result.output


def test_orgs_and_workspaces_tables(run, tenant):
    run("login", "--api-key", tenant.api_key, "--url", tenant.url)
    table = run("workspaces", "list").output.splitlines()
    assert table[0].split() == ["ID", "NAME", "CREATED_AT"]
    assert table[1].startswith(tenant.workspace_id)
    assert json.loads(run("orgs", "list", "--json").output)[0]["id"] == tenant.org_id


def test_installed_command_end_to_end(tmp_path, tenant):
    """The console script itself, in a fresh process, with HOME as the config root."""
    env = {**os.environ, "HOME": str(tmp_path)}
    login = subprocess.run(
        [FLOW_SDK, "login", "--api-key", tenant.api_key, "--url", tenant.url], env=env, capture_output=True, text=True
    )
    assert login.returncode == 0, login.stderr
    assert (tmp_path / ".flow" / "config.json").exists()
    who = subprocess.run([FLOW_SDK, "whoami"], env=env, capture_output=True, text=True)
    assert who.returncode == 0 and tenant.org_id in who.stdout
