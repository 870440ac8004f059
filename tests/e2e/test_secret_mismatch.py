"""A process whose master secret is not the database's refuses to start or to write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from flow_platform.store.tables import ApiKey
from support.databases import pg_unavailable_reason, scratch_pg_database

FLOW_PLATFORM = [sys.executable, "-m", "flow_platform"]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "postgres":
        reason = pg_unavailable_reason()
        if reason:
            pytest.skip(reason)
        ctx = scratch_pg_database("flow_secret")
    else:
        ctx = nullcontext(None)
    with ctx as url:
        yield url


def _run(tmp_path: Path, url: str | None, secret: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOW_")}
    env["FLOW_DATA_DIR"] = str(tmp_path / "data")
    if secret is not None:
        env["FLOW_SECRET_KEY"] = secret
    if url:
        env["FLOW_DATABASE_URL"] = url
    return subprocess.run([*FLOW_PLATFORM, *args], env=env, capture_output=True, text=True, timeout=120)


def _key_count(tmp_path: Path, url: str | None) -> int:
    engine = create_engine(url or f"sqlite:///{tmp_path / 'data' / 'platform.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(ApiKey)) or 0)
    finally:
        engine.dispose()


def _refused(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: the master secret") and "FLOW_SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_a_team_server_with_another_secret_refuses(tmp_path: Path, database_url: str | None):
    boot = _run(tmp_path, database_url, "team-secret", "bootstrap", "--json")
    assert boot.returncode == 0, boot.stderr
    org = json.loads(boot.stdout)["org_id"]
    keys = _key_count(tmp_path, database_url)

    create = ("api-keys", "create", "--org", org, "--role", "viewer", "--json")
    _refused(_run(tmp_path, database_url, "forgotten", *create))
    _refused(_run(tmp_path, database_url, "forgotten", "bootstrap"))
    serve = _run(tmp_path, database_url, "forgotten", "serve", "--port", "0")
    _refused(serve)
    assert "listening" not in serve.stdout
    assert _key_count(tmp_path, database_url) == keys  # nothing was written

    made = _run(tmp_path, database_url, "team-secret", *create)
    assert made.returncode == 0, made.stderr
    assert _key_count(tmp_path, database_url) == keys + 1


def test_setting_a_secret_on_an_embedded_store_made_without_one_is_caught(tmp_path: Path):
    # Created with the secret file in the data dir; later FLOW_SECRET_KEY is set by mistake.
    assert _run(tmp_path, None, None, "bootstrap").returncode == 0
    _refused(_run(tmp_path, None, "an-env-secret", "bootstrap"))
    assert _run(tmp_path, None, None, "bootstrap").returncode == 0
