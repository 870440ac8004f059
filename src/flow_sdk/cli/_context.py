"""What every command needs: the config path and a client built from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pathlib import Path

    from ..cli_client import CLIClient
    from ..config import FlowConfig


def config_path() -> Path | None:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    path = root.params.get("config_path") if root else None
    if not path:
        return None
    from pathlib import Path

    return Path(path)


def profile() -> str | None:
    """The profile named by --profile (anywhere on the line) or FLOW_PROFILE."""
    ctx = click.get_current_context(silent=True)
    name = ctx.find_root().meta.get("flow_profile") if ctx else None
    return name or None


def load() -> FlowConfig:
    from ..config import load_config

    return load_config(config_path(), profile=profile())


def client() -> CLIClient:
    """A client for the stored login; closed when the command ends.

    A token refreshed from a remembered API key is saved back, so the next command
    does not trade the key again.
    """
    from ..cli_client import CLIClient

    ctx = click.get_current_context()
    config = load()
    c = CLIClient(config)

    def done() -> None:
        c.close()
        if c.access_token and c.access_token != config.access_token:
            from ..config import save_config

            config.access_token = c.access_token
            save_config(config, config_path())

    ctx.call_on_close(done)
    return c
