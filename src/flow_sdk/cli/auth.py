"""``flow-sdk login | logout | whoami`` (and ``flow-sdk auth login``)."""

from __future__ import annotations

import sys
from typing import Any

import click

from . import _context
from ._types import POSITIVE
from .output import json_option, print_fields, print_json


def _read_api_key(api_key: str | None) -> str:
    if api_key == "-":
        key = sys.stdin.readline().strip()
    elif api_key:
        key = api_key
    else:
        key = click.prompt("API key", hide_input=True).strip()
    if not key:
        raise click.UsageError("the API key is empty")
    return key


def _choose_workspace(workspaces: list[dict[str, Any]], wanted: str | None, hinted: str | None) -> dict[str, Any]:
    from .._errors import CLINotFoundError

    if wanted:
        for ws in workspaces:
            if ws["id"] == wanted:
                return ws
        raise CLINotFoundError(f"workspace {wanted} is not one this key can reach")
    if len(workspaces) == 1:
        return workspaces[0]
    for ws in workspaces:
        if ws["id"] == hinted:
            return ws
    if not workspaces:
        raise CLINotFoundError("this organization has no workspace yet")
    if not sys.stdin.isatty():
        raise click.UsageError("several workspaces: pass --workspace-id")
    for i, ws in enumerate(workspaces, 1):
        click.echo(f"  {i}. {ws['name']}  ({ws['id']})")
    choice = click.prompt("Workspace", type=click.IntRange(1, len(workspaces)))
    return workspaces[choice - 1]


@click.command()
@click.option("--api-key", help="Org API key (fl_...); '-' reads it from stdin; prompted when omitted.")
@click.option(
    "--url", "platform_url", envvar="FLOW_PLATFORM_URL", required=True, help="Platform URL, e.g. http://127.0.0.1:8080."
)
@click.option("--org-id", help="Organization to use (default: the key's).")
@click.option("--workspace-id", help="Workspace to use (default: the only one, or a choice).")
@click.option("--ttl-minutes", type=POSITIVE, default=60, show_default=True, help="Token lifetime.")
@click.option(
    "--remember",
    is_flag=True,
    help="Keep the API key in the OS keyring, so an expired token is renewed without a new login.",
)
def login(
    api_key: str | None,
    platform_url: str,
    org_id: str | None,
    workspace_id: str | None,
    ttl_minutes: int,
    remember: bool,
) -> None:
    """Exchange an API key for a token and save it with the tenant context."""
    from .. import _keyring
    from .._errors import CLINotFoundError
    from .._urls import normalize_platform_url
    from ..cli_client import CLIClient
    from ..config import FlowConfig, default_config_path, save_config

    try:
        url = normalize_platform_url(platform_url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None
    key = _read_api_key(api_key)
    issued = CLIClient._exchange(url, key, ttl_minutes)
    token_org = issued["org_id"]
    if org_id and org_id != token_org:
        raise CLINotFoundError(f"organization {org_id} is not reachable with this key")
    draft = FlowConfig(
        access_token=issued["access_token"],
        platform_url=url,
        org_id=token_org,
        workspace_id=issued.get("workspace_id") or "",
        profile=_context.profile(),
    )
    with CLIClient(draft) as client:
        workspaces = client.list_workspaces(token_org)
        orgs = {o["id"]: o for o in client.list_orgs()}
    ws = _choose_workspace(workspaces, workspace_id, issued.get("workspace_id"))
    draft.workspace_id = ws["id"]
    remembered = False
    if remember:
        reason = _keyring.unavailable_reason()
        if reason:
            click.secho(f"warning: not remembering the API key: {reason}; nothing was stored", fg="yellow", err=True)
        else:
            _keyring.store(url, token_org, ws["id"], key)
            draft.extra[_keyring.MARKER] = True
            remembered = True
    else:
        # A login without --remember leaves no key behind, not even an earlier one.
        _keyring.forget(url, token_org, ws["id"])
    path = save_config(draft, _context.config_path() or default_config_path())
    org_name = orgs.get(token_org, {}).get("name", token_org)
    click.echo(f"Logged in to {url} as {issued['role']}.")
    click.echo(f"  org        {org_name} ({token_org})")
    click.echo(f"  workspace  {ws['name']} ({ws['id']})")
    click.echo(f"  expires    {issued['expires_at']}")
    if remembered:
        click.echo("  API key    in the OS keyring (renews expired tokens)")
    click.echo(f"Saved to {path}" + (f" (profile {draft.profile})" if draft.profile else ""))


@click.group()
def auth() -> None:
    """Log in and out."""


auth.add_command(login)


@click.command()
def logout() -> None:
    """Forget the stored token."""
    from .. import _keyring
    from .._errors import CLIConfigError
    from ..config import default_config_path, delete_config

    try:
        config = _context.load()
    except CLIConfigError:
        config = None
    if config is not None:
        _keyring.forget(config.platform_url, config.org_id, config.workspace_id)
    name = _context.profile()
    removed = delete_config(_context.config_path() or default_config_path(), profile=name)
    what = f"profile {name} from {removed}" if name and removed else str(removed)
    click.echo(f"Removed {what}" if removed else "Not logged in.")


@click.command()
@json_option
def whoami(as_json: bool) -> None:
    """Show who the stored credentials act as; exit 1 when they are not valid."""
    client = _context.client()
    me = client.get_current_user()
    info = {
        "platform_url": client.platform_url,
        "org_id": client.config.org_id,
        "workspace_id": client.config.workspace_id,
        "subject": me["subject"],
        "role": me["role"],
        "expires_at": me.get("expires_at"),
    }
    if as_json:
        print_json(info)
        return
    expires = info["expires_at"]
    if expires:
        from datetime import UTC, datetime

        left = datetime.fromisoformat(expires.replace("Z", "+00:00")) - datetime.now(UTC)
        expires = f"{expires} (in {max(0, int(left.total_seconds() // 60))} min)"
    print_fields(
        [
            ("URL", info["platform_url"]),
            ("Org", info["org_id"]),
            ("Workspace", info["workspace_id"]),
            ("Subject", info["subject"]),
            ("Role", info["role"]),
            ("Expires", expires),
        ]
    )
