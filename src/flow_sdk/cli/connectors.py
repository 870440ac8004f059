"""``flow-sdk connectors create|list|test|delete|audit``: databases registered in the workspace."""

from __future__ import annotations

import click

from . import _context
from ._types import PORT, POSITIVE
from .output import emit, json_option

_COLUMNS = ["id", "connector", "instance_name", "test_status", "last_tested_at"]


@click.group()
def connectors() -> None:
    """Connector instances (PostgreSQL, MySQL/MariaDB, SQLite) of the workspace."""


@connectors.command("create")
@click.option("--connector", type=click.Choice(["postgres", "mysql", "sqlite"]), required=True)
@click.option("--name", "instance_name", required=True, help="Instance name, unique per workspace.")
@click.option("--host")
@click.option("--port", type=PORT)
@click.option("--database")
@click.option("--user")
@click.option(
    "--password",
    envvar="FLOW_CONNECTOR_PASSWORD",
    help="Database password (or FLOW_CONNECTOR_PASSWORD); stored encrypted.",
)
@click.option("--lock-timeout-ms", type=POSITIVE, help="Default 2000.")
@click.option("--statement-timeout-ms", type=POSITIVE, help="Default 60000.")
@json_option
def connectors_create(
    connector: str,
    instance_name: str,
    host: str | None,
    port: int | None,
    database: str | None,
    user: str | None,
    password: str | None,
    lock_timeout_ms: int | None,
    statement_timeout_ms: int | None,
    as_json: bool,
) -> None:
    """Register a database. A sqlite instance is a new file the platform creates."""
    given = {
        "host": host,
        "port": port,
        "database": database,
        "user": user,
        "lock_timeout_ms": lock_timeout_ms,
        "statement_timeout_ms": statement_timeout_ms,
    }
    body = {
        "connector": connector,
        "instance_name": instance_name,
        "configuration": {k: v for k, v in given.items() if v is not None},
        "credentials": {"password": password} if password else {},
    }
    emit(_context.client().connector_instances.create(body), as_json)


@connectors.command("list")
@json_option
def connectors_list(as_json: bool) -> None:
    emit(_context.client().connector_instances.list(), as_json, columns=_COLUMNS)


@connectors.command("test")
@click.argument("instance_id")
@json_option
def connectors_test(instance_id: str, as_json: bool) -> None:
    """Connect once and record the result; exits 1 when the connection failed."""
    result = _context.client().connector_instances.test(instance_id)
    emit(result, as_json)
    if result.get("test_status") != "success":
        raise SystemExit(1)


@connectors.command("delete")
@click.argument("instance_id")
def connectors_delete(instance_id: str) -> None:
    _context.client().connector_instances.delete(instance_id)
    click.echo(f"deleted {instance_id}")


@connectors.command("audit")
@click.argument("instance_id")
@json_option
def connectors_audit(instance_id: str, as_json: bool) -> None:
    """Every DDL attempt on the instance, newest first (admins only)."""
    rows = _context.client().connector_instances.audit(instance_id)
    emit(rows, as_json, columns=["created_at", "role", "outcome", "mode", "risk", "kind", "reason", "error"])
