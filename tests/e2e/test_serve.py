"""The flow-platform command: concurrent starts, clean shutdown, offline administration."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support.databases import pg_unavailable_reason, scratch_pg_database
from support.platform import RunningPlatform

FLOW_PLATFORM = [sys.executable, "-m", "flow_platform"]


def _bootstrap(env: dict[str, str], org: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLOW_PLATFORM, "bootstrap", "--org", org, "--json"], env=env, capture_output=True, text=True, timeout=120
    )


def _env(tmp_path, database_url=None):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOW_")}
    env["FLOW_DATA_DIR"] = str(tmp_path / "data")
    env["FLOW_SECRET_KEY"] = "test-secret"
    if database_url:
        env["FLOW_DATABASE_URL"] = database_url
    return env


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_concurrent_first_starts_migrate_once(tmp_path, backend):
    """Several processes racing to create the schema on an empty database all succeed."""
    if backend == "postgres":
        reason = pg_unavailable_reason()
        if reason:
            pytest.skip(reason)
        ctx = scratch_pg_database("flow_race")
    else:
        from contextlib import nullcontext

        ctx = nullcontext(None)
    with ctx as url:
        env = _env(tmp_path, url)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda i: _bootstrap(env, f"org{i}"), range(4)))
        for r in results:
            assert r.returncode == 0, r.stderr
        org_ids = {json.loads(r.stdout)["org_id"] for r in results}
        assert len(org_ids) == 4


def test_admin_commands_work_beside_a_running_server(tmp_path):
    platform = RunningPlatform(tmp_path / "data", None, "sqlite")
    platform.secret_key = "test-secret"
    platform.start()
    try:
        env = _env(tmp_path)
        boot = json.loads(_bootstrap(env, "live").stdout)
        assert boot["platform_url"] == platform.url  # the port `serve --port 0` picked
        viewer = subprocess.run(
            [*FLOW_PLATFORM, "api-keys", "create", "--org", boot["org_id"], "--role", "viewer", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        key = json.loads(viewer.stdout)
        me = httpx.get(f"{platform.url}/api/v1/auth/me", headers={"X-API-Key": key["api_key"]})
        assert me.status_code == 200 and me.json()["role"] == "viewer"
        subprocess.run([*FLOW_PLATFORM, "api-keys", "revoke", key["id"]], env=env, check=True, capture_output=True)
        assert httpx.get(f"{platform.url}/api/v1/auth/me", headers={"X-API-Key": key["api_key"]}).status_code == 401
    finally:
        platform.close()
    assert not (tmp_path / "data" / "run" / "server.json").exists()  # removed on stop
    assert json.loads(_bootstrap(env, "after").stdout)["platform_url"] != platform.url


def test_bad_input_is_a_clear_error(tmp_path):
    env = _env(tmp_path)
    r = subprocess.run(
        [*FLOW_PLATFORM, "api-keys", "create", "--org", "not-an-id", "--role", "admin"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and r.stderr.strip() == "error: organization not found"
    r = subprocess.run(
        [*FLOW_PLATFORM, "api-keys", "create", "--org", "x", "--role", "root"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 2 and "Invalid value for '--role'" in r.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown(tmp_path, sig):
    platform = RunningPlatform(tmp_path / "data", None, "sqlite")
    platform.start()
    assert platform.get("/health").status_code == 200
    assert platform.stop(sig) == 0
    assert "Traceback" not in platform.output()


def test_port_in_use_is_a_clear_error(tmp_path):
    platform = RunningPlatform(tmp_path / "data", None, "sqlite")
    platform.start()
    try:
        port = platform.url.rsplit(":", 1)[1]
        r = subprocess.run(
            [*FLOW_PLATFORM, "serve", "--port", port], env=_env(tmp_path), capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in r.stderr
    finally:
        platform.close()
