"""``flow-sdk status``: is the platform of the current profile up, and is the login still good?"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import _context
from .output import json_option, print_fields, print_json


@click.command()
@json_option
def status(as_json: bool) -> None:
    """Show the platform URL, its version, whether it answers, and the token's expiry; exit 1 when it is down."""
    import time
    from datetime import UTC, datetime

    import httpx

    from .._jwt import expires_at
    from .._urls import normalize_platform_url

    config = _context.load()
    url = normalize_platform_url(config.platform_url)
    exp = expires_at(config.access_token)
    info: dict[str, Any] = {
        "profile": config.profile or "default",
        "platform_url": url,
        "reachable": False,
        "server_version": None,
        "token_expires_at": datetime.fromtimestamp(exp, UTC).isoformat() if exp else None,
        "token_expired": exp is not None and exp <= time.time(),
        "error": None,
    }
    try:
        answer = httpx.get(f"{url}/version", timeout=5.0)
        answer.raise_for_status()
        info["server_version"] = answer.json().get("version")
        info["reachable"] = True
    except (httpx.HTTPError, ValueError) as exc:
        info["error"] = f"{type(exc).__name__}: {exc}"
    if as_json:
        print_json(info)
    else:
        expiry = info["token_expires_at"] or "-"
        if info["token_expired"]:
            expiry += " (expired)"
        print_fields(
            [
                ("Profile", info["profile"]),
                ("URL", url),
                ("Reachable", "yes" if info["reachable"] else f"no ({info['error']})"),
                ("Server version", info["server_version"]),
                ("Token expires", expiry),
            ]
        )
    if not info["reachable"]:
        sys.exit(1)
