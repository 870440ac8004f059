"""``flow-sdk completion bash|zsh|fish``: the shell's completion script, from click."""

from __future__ import annotations

import click


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script: eval "$(flow-sdk completion bash)"."""
    from click.shell_completion import get_completion_class

    from .main import cli

    cls = get_completion_class(shell)
    assert cls is not None  # click ships all three
    ctx = click.get_current_context()
    script = cls(cli, {}, ctx.find_root().info_name or "flow-sdk", "_FLOW_SDK_COMPLETE").source()
    click.echo(script)
