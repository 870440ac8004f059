"""``flow-sdk orgs list`` and ``flow-sdk workspaces list``."""

from __future__ import annotations

import click

from . import _context
from .output import emit, json_option


@click.group()
def orgs() -> None:
    """Organizations you can reach."""


@orgs.command("list")
@json_option
def orgs_list(as_json: bool) -> None:
    emit(_context.client().list_orgs(), as_json, columns=["id", "name", "created_at"])


@click.group()
def workspaces() -> None:
    """Workspaces of an organization."""


@workspaces.command("list")
@click.option("--org-id", help="Default: the org you logged in to.")
@json_option
def workspaces_list(org_id: str | None, as_json: bool) -> None:
    client = _context.client()
    rows = client.list_workspaces(org_id or client.config.org_id)
    emit(rows, as_json, columns=["id", "name", "created_at"])
