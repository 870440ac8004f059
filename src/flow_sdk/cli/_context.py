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


def load() -> FlowConfig:
    from ..config import load_config

    return load_config(config_path())


def client() -> CLIClient:
    """A client for the stored login; closed when the command ends."""
    from ..cli_client import CLIClient

    ctx = click.get_current_context()
    c = CLIClient(load())
    ctx.call_on_close(c.close)
    return c
