"""``flow-sdk components create | list | get``: the workspace's component catalog."""

from __future__ import annotations

from typing import Any

import click

from . import _context
from .output import emit, json_option

COLUMNS = ["component_type", "name", "version", "id", "description"]


@click.group()
def components() -> None:
    """The component catalog: code blocks, workflows and configuration components."""


@components.command("create")
@click.option("--type", "component_type", default="codeblock", show_default=True, help="codeblock, workflow, ...")
@click.option("--name", required=True)
@click.option("--version", "version", required=True, help="Semantic version, e.g. 1.0.0.")
@click.option("--description", default="")
@click.option(
    "--source",
    "source_file",
    type=click.Path(exists=True, dir_okay=False),
    help="codeblock: a .py file with the code.",
)
@click.option("--entrypoint", help="codeblock: the function to call (default main).")
@click.option("--step", "steps", multiple=True, help="workflow: a codeblock id or NAME@VERSION; repeat in order.")
@click.option("--config", "config_json", help="Type-specific settings as a JSON object.")
@json_option
def components_create(
    component_type: str,
    name: str,
    version: str,
    description: str,
    source_file: str | None,
    entrypoint: str | None,
    steps: tuple[str, ...],
    config_json: str | None,
    as_json: bool,
) -> None:
    """Publish a component version; components are immutable once published."""
    import json
    from pathlib import Path

    data: dict[str, Any] = {"name": name, "version": version, "description": description}
    if source_file is not None:
        data["source"] = Path(source_file).read_text(encoding="utf-8")
    if entrypoint:
        data["entrypoint"] = entrypoint
    if steps:
        data["steps"] = [_step(s) for s in steps]
    if config_json:
        try:
            config = json.loads(config_json)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--config") from None
        if not isinstance(config, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--config")
        data["config"] = config
    created = _context.client().create_component(component_type=component_type, data=data)
    emit(created if as_json else _summary(created), as_json)


def _step(value: str) -> str | dict[str, str]:
    name, at, version = value.partition("@")
    return {"name": name, "version": version} if at else value


def _summary(component: dict[str, Any]) -> dict[str, Any]:
    """People see the fields, not the whole source."""
    shown = {k: v for k, v in component.items() if k != "source"}
    if component.get("source"):
        shown["source"] = f"{len(component['source'].splitlines())} lines"
    return shown


@components.command("list")
@click.option("--type", "component_type", help="Only this component type.")
@click.option("--name", help="Only versions of this name.")
@json_option
def components_list(component_type: str | None, name: str | None, as_json: bool) -> None:
    emit(_context.client().components.list(type=component_type, name=name), as_json, columns=COLUMNS)


@components.command("get")
@click.argument("component_id")
@json_option
def components_get(component_id: str, as_json: bool) -> None:
    component = _context.client().components.get(component_id)
    emit(component if as_json else _summary(component), as_json)
