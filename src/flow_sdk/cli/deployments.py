"""``flow-sdk deployments create | status | list | rollback | promote`` (``--wait`` follows states)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from . import _context
from ._types import SECONDS
from .output import emit, json_option
from .rings import ring_id

if TYPE_CHECKING:
    from datetime import datetime

    from ..cli_client import CLIClient
    from ..resources.deployments import _Deployments

COLUMNS = ["id", "component_name", "component_version", "component_type", "ring_id", "status", "created_at"]
SETTLED = {"active", "failed", "rolled_back", "superseded"}
BAD = {"failed", "rolled_back"}

wait_option = click.option("--wait", is_flag=True, help="Follow the states until the deployment settles.")
timeout_option = click.option(
    "--timeout", type=SECONDS, default=300.0, show_default=True, help="Seconds --wait waits before giving up."
)


def _namespace(client: CLIClient, component_type: str) -> _Deployments:
    return client.workflow_deployments if component_type == "workflow" else client.component_deployments


def _find(client: CLIClient, deployment_id: str) -> tuple[_Deployments, dict[str, Any]]:
    """A deployment id belongs to one of the two collections; try components first."""
    from .._errors import CLINotFoundError

    try:
        return client.component_deployments, client.component_deployments.status(deployment_id)
    except CLINotFoundError:
        return client.workflow_deployments, client.workflow_deployments.status(deployment_id)


def _follow(
    client: CLIClient, deployments: list[dict[str, Any]], *, timeout: float, as_json: bool, done: set[str]
) -> list[dict[str, Any]]:
    """Print each state reached, with its time since creation; return the final view of each.

    States can pass quicker than a poll, so they are read from the deployment's own
    ``timestamps`` rather than from what each poll happened to see.
    """
    import time

    out = sys.stderr if as_json else sys.stdout
    shown: dict[str, set[tuple[str, str]]] = {d["id"]: set() for d in deployments}
    current = {d["id"]: d for d in deployments}
    deadline = time.monotonic() + timeout
    while True:
        for dep_id, dep in current.items():
            _print_new_states(dep, shown[dep_id], out)
        if all(d["status"] in done for d in current.values()):
            return list(current.values())
        if time.monotonic() >= deadline:
            raise click.ClickException(f"gave up waiting after {timeout:g} s; the deployment goes on")
        time.sleep(0.25)
        for dep_id, dep in current.items():
            if dep["status"] not in done:
                current[dep_id] = _namespace(client, dep["component_type"]).status(dep_id)


def _print_new_states(dep: dict[str, Any], shown: set[tuple[str, str]], out: Any) -> None:
    created = _when(dep["created_at"])
    label = f"{dep['id'][:8]}  {dep['component_name']} {dep['component_version']}"
    stamps = dep.get("timestamps") or {dep["status"]: dep["updated_at"]}
    for state, at in sorted(stamps.items(), key=lambda item: _when(item[1])):
        if (state, at) in shown:
            continue
        shown.add((state, at))
        line = f"+{(_when(at) - created).total_seconds():.3f}s".ljust(10) + f"{label}: {state}"
        if state in BAD and dep.get("error"):
            line += f" ({dep['error']})"
        click.echo(line, file=out)


def _when(value: str) -> datetime:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _report(rows: list[dict[str, Any]], as_json: bool, *, bad: set[str], many: bool = False) -> None:
    """JSON like the command without --wait would print; exit 1 if any ended in ``bad``."""
    failed = [d for d in rows if d["status"] in bad]
    if as_json:
        emit({"deployments": rows} if many else rows[0], True)
    for dep in failed:
        click.secho(
            f"error: deployment {dep['id']} ended {dep['status']}: {dep.get('error') or 'no reason given'}",
            fg="red",
            err=True,
        )
    if failed:
        sys.exit(1)


@click.group()
def deployments() -> None:
    """Put component versions into rings and follow them to active."""


@deployments.command("create")
@click.option("--ring", required=True, help="Ring name (dev, staging, production, ...) or id.")
@click.option("--component", "component_ids", multiple=True, required=True, help="Component id; repeatable.")
@click.option("--notes", default="", help="Deployment notes.")
@wait_option
@timeout_option
@json_option
def deployments_create(
    ring: str, component_ids: tuple[str, ...], notes: str, wait: bool, timeout: float, as_json: bool
) -> None:
    """Deploy components (code blocks, workflows, ...) to a ring."""
    client = _context.client()
    target = ring_id(client, ring)
    by_kind: dict[str, list[dict[str, str]]] = {}
    for component_id in component_ids:
        component = client.components.get(component_id)
        kind = "workflow" if component["component_type"] == "workflow" else "component"
        by_kind.setdefault(kind, []).append(
            {"component_id": component["id"], "component_type": component["component_type"]}
        )
    created: list[dict[str, Any]] = []
    for kind, items in by_kind.items():
        namespace = client.workflow_deployments if kind == "workflow" else client.component_deployments
        body = {"ring_id": target, "deployment_notes": notes, "components": items}
        created.extend(namespace.create(body)["deployments"])
    if not wait:
        emit({"deployments": created} if as_json else created, as_json, columns=COLUMNS)
        return
    _report(_follow(client, created, timeout=timeout, as_json=as_json, done=SETTLED), as_json, bad=BAD, many=True)


@deployments.command("status")
@click.argument("deployment_id")
@wait_option
@timeout_option
@json_option
def deployments_status(deployment_id: str, wait: bool, timeout: float, as_json: bool) -> None:
    """Show a deployment; with --wait, follow it until it settles (exit 1 if it fails)."""
    client = _context.client()
    _, dep = _find(client, deployment_id)
    if not wait:
        emit(dep, as_json)
        return
    _report(_follow(client, [dep], timeout=timeout, as_json=as_json, done=SETTLED), as_json, bad=BAD)


@deployments.command("list")
@click.option("--ring", help="Only this ring (name or id).")
@click.option("--component", "component_id", help="Only deployments of this component id.")
@click.option("--status", help="Only deployments in this state.")
@click.option("--kind", type=click.Choice(["component", "workflow", "all"]), default="all", show_default=True)
@json_option
def deployments_list(ring: str | None, component_id: str | None, status: str | None, kind: str, as_json: bool) -> None:
    client = _context.client()
    filters = {"ring_id": ring_id(client, ring) if ring else None, "component_id": component_id, "status": status}
    rows: list[dict[str, Any]] = []
    if kind in ("component", "all"):
        rows += client.component_deployments.list(**filters)
    if kind in ("workflow", "all"):
        rows += client.workflow_deployments.list(**filters)
    rows.sort(key=lambda d: d["created_at"])
    emit(rows, as_json, columns=COLUMNS)


@deployments.command("rollback")
@click.argument("deployment_id")
@wait_option
@timeout_option
@json_option
def deployments_rollback(deployment_id: str, wait: bool, timeout: float, as_json: bool) -> None:
    """Roll an active deployment back; what it superseded becomes active again."""
    client = _context.client()
    namespace, _ = _find(client, deployment_id)
    dep = namespace.rollback(deployment_id)
    if not wait:
        emit(dep, as_json)
        return
    _report(_follow(client, [dep], timeout=timeout, as_json=as_json, done={"rolled_back"}), as_json, bad=set())


@deployments.command("promote")
@click.argument("deployment_id")
@click.option("--to", "target", required=True, help="The next ring (name or id).")
@wait_option
@timeout_option
@json_option
def deployments_promote(deployment_id: str, target: str, wait: bool, timeout: float, as_json: bool) -> None:
    """Deploy the same version to the next ring (only from an active deployment, in order)."""
    client = _context.client()
    namespace, _ = _find(client, deployment_id)
    dep = namespace.promote(deployment_id, ring_id(client, target))
    if not wait:
        emit(dep, as_json)
        return
    _report(_follow(client, [dep], timeout=timeout, as_json=as_json, done=SETTLED), as_json, bad=BAD)
