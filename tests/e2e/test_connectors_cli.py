"""``flow-sdk connectors`` and ``flow-sdk ddl`` against the real platform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from flow_sdk.cli.main import cli
from support.ddl_databases import pg_params, scratch_pg


@pytest.fixture
def run(client: Any, tmp_path: Path) -> Any:
    config = tmp_path / "config.json"
    client.config.save(config)
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    return invoke


def test_sqlite_walkthrough(run: Any, tmp_path: Path) -> None:
    made = run("connectors", "create", "--connector", "sqlite", "--name", "cli", "--json")
    assert made.exit_code == 0, made.output
    instance_id = json.loads(made.stdout)["id"]

    listed = run("connectors", "list")
    assert instance_id in listed.output and "sqlite" in listed.output

    tested = run("connectors", "test", instance_id)
    assert tested.exit_code == 0 and "success" in tested.output

    sql = "CREATE TABLE events (id TEXT, payload JSON)"
    preview = run("ddl", instance_id, "--sql", sql)
    assert preview.exit_code == 0, preview.output
    assert "PREVIEW  CREATE TABLE" in preview.output
    assert "+ table events" in preview.output
    assert "would succeed; nothing was changed" in preview.output

    no_reason = run("ddl", instance_id, "--sql", sql, "--confirm")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output

    done = run("ddl", instance_id, "--sql", sql, "--confirm", "--reason", "event storage")
    assert done.exit_code == 0, done.output
    assert "EXECUTED  CREATE TABLE" in done.output and "executed in" in done.output

    again = tmp_path / "again.sql"
    again.write_text(sql + ";\n")
    failing = run("ddl", instance_id, "--file", str(again))
    assert failing.exit_code == 1
    assert "DATABASE_ERROR" in failing.output and "would FAIL" in failing.output

    refused = run("ddl", instance_id, "--sql", "DROP TABLE events; DROP TABLE other")
    assert refused.exit_code == 1
    assert "DDL_NOT_ALLOWED" in refused.output and "exactly one statement" in refused.output

    as_json = run("ddl", instance_id, "--sql", "DROP TABLE events", "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["risk"] == "high"

    deleted = run("connectors", "delete", instance_id)
    assert deleted.exit_code == 0
    assert instance_id not in run("connectors", "list").output


def test_postgres_instance_from_the_command_line(run: Any) -> None:
    with scratch_pg() as name:
        p = pg_params(name)
        made = run(
            "connectors",
            "create",
            "--connector",
            "postgres",
            "--name",
            "pg",
            "--host",
            p["host"],
            "--port",
            str(p["port"]),
            "--database",
            name,
            "--user",
            p["user"],
            "--password",
            "not-needed-with-trust",
            "--json",
        )
        assert made.exit_code == 0, made.output
        body = json.loads(made.stdout)
        assert body["has_credentials"] is True and "not-needed" not in made.output
        tested = run("connectors", "test", body["id"])
        assert tested.exit_code == 0 and "PostgreSQL" in tested.output
        preview = run("ddl", body["id"], "--sql", "CREATE INDEX i ON missing (a)")
        assert preview.exit_code == 1
        assert "does not exist" in preview.output


def test_failed_connection_test_exits_non_zero(run: Any) -> None:
    made = run(
        "connectors",
        "create",
        "--connector",
        "postgres",
        "--name",
        "nowhere",
        "--host",
        "127.0.0.1",
        "--port",
        "1",
        "--database",
        "x",
        "--user",
        "x",
        "--json",
    )
    instance_id = json.loads(made.stdout)["id"]
    tested = run("connectors", "test", instance_id)
    assert tested.exit_code == 1 and "failed" in tested.output
