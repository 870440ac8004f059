"""A click group whose errors are one line: shared by `flow-sdk` and `flow-platform`."""

from __future__ import annotations

import sys
from typing import Any

import click


class OneLineErrors(click.Group):
    """A bad value is one line and a non-zero exit, never a usage block or a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Bad usage is one line too: click's standalone mode would print the usage block first."""
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # a bare group: its help, as click prints it
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            hint = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
            click.echo(f"error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
