"""``flow-sdk ddl INSTANCE_ID``: preview, or with ``--confirm`` execute, one DDL statement."""

from __future__ import annotations

from typing import Any

import click

from . import _context
from .output import json_option, print_json

_ACTION_MARK = {"create": "+", "alter": "~", "drop": "-", "comment": "#"}
_RISK_COLOUR = {"low": "green", "medium": "yellow", "high": "red"}


@click.command()
@click.argument("instance_id")
@click.option("--sql", help="The statement.")
@click.option("--file", "sql_file", type=click.File("r"), help="Read the statement from a file.")
@click.option("--confirm", is_flag=True, help="Execute for real (default: preview only).")
@click.option("--reason", help="Why; required with --confirm, kept in the audit log.")
@json_option
def ddl(
    instance_id: str,
    sql: str | None,
    sql_file: Any,
    confirm: bool,
    reason: str | None,
    as_json: bool,
) -> None:
    """Preview (dry run) or execute one DDL statement on a connector instance.

    Exits 1 when the statement is refused or its preview or execution fails.
    """
    if (sql is None) == (sql_file is None):
        raise click.UsageError("give exactly one of --sql or --file")
    statement = sql if sql is not None else sql_file.read()
    if confirm and not (reason or "").strip():
        raise click.UsageError("--confirm needs --reason")
    result = _context.client().execute_ddl(instance_id, statement, confirm=confirm, reason=reason)
    if as_json:
        print_json(result)
    else:
        report(result)
    if result.get("outcome") == "failed":
        raise SystemExit(1)


def report(result: dict[str, Any]) -> None:
    """The preview or execution as a short report for people."""
    head = "EXECUTED" if result.get("confirm") else "PREVIEW"
    risk = str(result.get("risk"))
    click.echo(
        f"{click.style(head, bold=True)}  {result.get('kind')}  "
        f"risk: {click.style(risk, fg=_RISK_COLOUR.get(risk))}  mode: {result.get('mode')}"
    )
    click.echo(f"sha256  {result.get('sha256')}")
    click.echo("objects:")
    for obj in result.get("objects") or []:
        mark = _ACTION_MARK.get(obj.get("action"), "?")
        click.echo(f"  {mark} {obj.get('type')} {obj.get('name')}")
    findings = result.get("findings") or []
    click.echo("findings:" if findings else "findings: none")
    for f in findings:
        colour = _RISK_COLOUR.get(f.get("risk"))
        click.echo(f"  {click.style(f.get('code'), fg=colour)} ({f.get('risk')}): {f.get('message')}")
        click.echo(f"      hint: {f.get('hint')}")
    locks = result.get("locks") or []
    if locks:
        click.echo("locks (seen in the preview):" if result.get("confirm") else "locks taken:")
        for lock in locks:
            click.echo(f"  {lock.get('mode')} on {lock.get('relation')}")
    if result.get("error"):
        click.secho(f"error: {result['error']}", fg="red")
    click.echo(_summary(result))


def _summary(result: dict[str, Any]) -> str:
    outcome = result.get("outcome")
    ms = result.get("duration_ms")
    if result.get("confirm"):
        if outcome == "succeeded":
            return f"result: executed in {ms} ms (audit {result.get('audit_id')})"
        return f"result: FAILED (audit {result.get('audit_id')})"
    if outcome == "failed":
        return f"result: would FAIL; nothing was changed (preview {result.get('preview_id')})"
    if result.get("mode") == "static":
        # MySQL DDL and non-transactional statements cannot be tried and rolled back.
        return (
            f"result: checked statically, not run; nothing was changed (preview {result.get('preview_id')}). "
            "Read the findings before --confirm --reason TEXT."
        )
    return (
        f"result: would succeed; nothing was changed (preview {result.get('preview_id')}). "
        "Run again with --confirm --reason TEXT to execute."
    )
