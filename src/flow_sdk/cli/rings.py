"""``flow-sdk rings list | resolve | create | delete``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

from . import _context
from ._types import NON_NEGATIVE
from .output import emit, json_option

if TYPE_CHECKING:
    from ..cli_client import CLIClient

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
COLUMNS = ["name", "id", "position", "built_in", "description"]


def ring_id(client: CLIClient, name_or_id: str) -> str:
    """Commands take a ring's name or its id."""
    return name_or_id if _UUID.match(name_or_id) else client.rings.resolve(name_or_id)


@click.group()
def rings() -> None:
    """Deployment rings of the workspace, in promotion order."""


@rings.command("list")
@json_option
def rings_list(as_json: bool) -> None:
    emit(_context.client().rings.list(), as_json, columns=COLUMNS)


@rings.command("resolve")
@click.argument("name")
@json_option
def rings_resolve(name: str, as_json: bool) -> None:
    """Print the id of the ring called NAME."""
    resolved = _context.client().rings.resolve(name)
    emit({"name": name, "id": resolved} if as_json else resolved, as_json)


@rings.command("create")
@click.argument("name")
@click.option(
    "--position", type=NON_NEGATIVE, help="Promotion order (dev=10, staging=20, production=30); default: last."
)
@click.option("--description", default="")
@json_option
def rings_create(name: str, position: int | None, description: str, as_json: bool) -> None:
    """Add a ring (admins only)."""
    emit(_context.client().rings.create(name, position=position, description=description), as_json)


@rings.command("delete")
@click.argument("ring")
@json_option
def rings_delete(ring: str, as_json: bool) -> None:
    """Delete RING (a name or an id; admins only; refused while anything is deployed there)."""
    client = _context.client()
    deleted = client.rings.delete(ring_id(client, ring))
    emit(deleted if as_json else f"deleted ring {deleted['name']} ({deleted['id']})", as_json)
