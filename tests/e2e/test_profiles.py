"""Profiles, a remembered API key that renews an expired token, and `flow-sdk status`."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner

from flow_sdk import CLIClient, load_config
from flow_sdk.cli.main import cli
from support.backends.flow_test_keyring import MemoryKeyring
from support.platform import RunningPlatform

FLOW_SDK = str(Path(sys.executable).parent / "flow-sdk")
BACKENDS = str(Path(__file__).resolve().parents[1] / "support" / "backends")


def _expired_token() -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'EdDSA'})}.{part({'exp': int(time.time()) - 60})}.sig"


def _expire(config: Path, profile: str | None = None) -> None:
    data = json.loads(config.read_text())
    (data["profiles"][profile] if profile else data)["access_token"] = _expired_token()
    config.write_text(json.dumps(data))


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def run(tmp_path):
    config = tmp_path / "cfg" / "config.json"

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, ["--config", str(config), *args], env=env, catch_exceptions=False)

    invoke.config = config
    return invoke


def test_a_remembered_key_renews_an_expired_token(run, tenant, memory_keyring):
    login = run("login", "--api-key", tenant.api_key, "--url", tenant.url, "--remember")
    assert login.exit_code == 0, login.output
    assert "in the OS keyring" in login.output
    assert list(memory_keyring.entries.values()) == [tenant.api_key]
    assert tenant.api_key not in run.config.read_text()  # the key is in the keyring, not the file

    _expire(run.config)
    rings = run("rings", "list", "--json")  # no prompt, no error
    assert rings.exit_code == 0, rings.output
    assert [r["name"] for r in json.loads(rings.output)][:1] == ["dev"]
    fresh = json.loads(run.config.read_text())["access_token"]
    assert fresh != _expired_token()
    with CLIClient(load_config(run.config)) as client:
        assert client.verify_credentials()

    # The library does the same on its own.
    _expire(run.config)
    with CLIClient(load_config(run.config)) as client:
        assert client.rings.resolve("dev")
        assert client.access_token != _expired_token()

    assert run("logout").exit_code == 0
    assert memory_keyring.entries == {}


def test_without_remember_no_key_is_stored(run, tenant, memory_keyring):
    login = run("login", "--api-key", tenant.api_key, "--url", tenant.url)
    assert login.exit_code == 0, login.output
    assert memory_keyring.entries == {}
    assert tenant.api_key not in run.config.read_text()
    _expire(run.config)
    refused = run("rings", "list")
    assert refused.exit_code == 1 and "expired" in refused.output


def test_login_without_remember_forgets_an_earlier_key(run, tenant, memory_keyring):
    assert run("login", "--api-key", tenant.api_key, "--url", tenant.url, "--remember").exit_code == 0
    assert memory_keyring.entries
    assert run("login", "--api-key", tenant.api_key, "--url", tenant.url).exit_code == 0
    assert memory_keyring.entries == {}


def _sdk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FLOW_SDK, *args], env=env, capture_output=True, text=True, timeout=120)


def _env(tmp_path: Path, backend: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOW_", "PYTHON_KEYRING"))}
    env["FLOW_CONFIG"] = str(tmp_path / "flow" / "config.json")
    env["PYTHONPATH"] = BACKENDS
    env["PYTHON_KEYRING_BACKEND"] = backend
    env["FLOW_TEST_KEYRING_FILE"] = str(tmp_path / "keyring.json")
    return env


def test_remember_in_a_subprocess_with_a_configured_backend(tmp_path, tenant):
    env = _env(tmp_path, "flow_test_keyring.FileKeyring")
    login = _sdk(env, "login", "--api-key", tenant.api_key, "--url", tenant.url, "--remember", "--profile", "ci")
    assert login.returncode == 0, login.stderr
    assert list(json.loads((tmp_path / "keyring.json").read_text()).values()) == [tenant.api_key]
    _expire(Path(env["FLOW_CONFIG"]), "ci")
    listed = _sdk({**env, "FLOW_PROFILE": "ci"}, "rings", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["name"] == "dev"


def test_remember_without_a_backend_says_so_and_stores_nothing(tmp_path, tenant):
    env = _env(tmp_path, "keyring.backends.fail.Keyring")
    login = _sdk(env, "login", "--api-key", tenant.api_key, "--url", tenant.url, "--remember")
    assert login.returncode == 0, login.stderr
    assert "not remembering the API key: no keyring backend is available" in login.stderr
    assert not (tmp_path / "keyring.json").exists()
    config = json.loads(Path(env["FLOW_CONFIG"]).read_text())
    assert tenant.api_key not in json.dumps(config) and "api_key_in_keyring" not in config


def test_two_profiles_at_two_emulators_side_by_side(tmp_path, platform, tenant):
    other = RunningPlatform(tmp_path / "other", None, "sqlite")
    other.start()
    try:
        second = other.bootstrap()
        env = _env(tmp_path, "keyring.backends.fail.Keyring")
        assert _sdk(env, "login", "--api-key", tenant.api_key, "--url", tenant.url).returncode == 0
        login = _sdk(env, "login", "--profile", "two", "--api-key", second.api_key, "--url", second.url)
        assert login.returncode == 0, login.stderr
        data = json.loads(Path(env["FLOW_CONFIG"]).read_text())
        assert data["platform_url"] == tenant.url and data["profiles"]["two"]["platform_url"] == second.url

        one = json.loads(_sdk(env, "whoami", "--json").stdout)
        two = json.loads(_sdk(env, "--profile", "two", "whoami", "--json").stdout)
        two_env = json.loads(_sdk({**env, "FLOW_PROFILE": "two"}, "whoami", "--json").stdout)
        assert (one["org_id"], one["platform_url"]) == (tenant.org_id, tenant.url)
        assert (two["org_id"], two["platform_url"]) == (second.org_id, second.url) and two_env == two

        with (
            CLIClient(load_config(env["FLOW_CONFIG"])) as a,
            CLIClient(load_config(env["FLOW_CONFIG"], profile="two")) as b,
        ):
            assert a.list_orgs()[0]["id"] == tenant.org_id and b.list_orgs()[0]["id"] == second.org_id

        up = _sdk(env, "status", "--profile", "two", "--json")
        assert up.returncode == 0, up.stderr
        shown = json.loads(up.stdout)
        assert shown["reachable"] and shown["server_version"] and shown["platform_url"] == second.url
        assert shown["profile"] == "two" and shown["token_expires_at"] and not shown["token_expired"]
        other.close()
        down = _sdk(env, "status", "--profile", "two")
        assert down.returncode == 1 and "Reachable" in down.stdout and "no (" in down.stdout
        assert _sdk(env, "status").returncode == 0  # the default profile's platform is still up

        assert _sdk(env, "logout", "--profile", "two").returncode == 0
        data = json.loads(Path(env["FLOW_CONFIG"]).read_text())
        assert "profiles" not in data and data["org_id"] == tenant.org_id
    finally:
        other.close()


def test_completion_scripts(run):
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete --no-files")):
        result = run("completion", shell)
        assert result.exit_code == 0 and marker in result.output and "_FLOW_SDK_COMPLETE" in result.output
