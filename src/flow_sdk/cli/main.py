"""The ``flow-sdk`` command. Modules here import only click at load time, so ``--help`` is fast."""

from __future__ import annotations

import sys
from typing import Any

import click

from . import auth, components, connectors, ddl, deployments, rings, services, tenancy, tokens


class FlowGroup(click.Group):
    """Turns every client error into one line with a hint and a non-zero exit: no tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        from .._errors import CLIClientError

        try:
            return super().invoke(ctx)
        except CLIClientError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=FlowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="FLOW_CONFIG",
    type=click.Path(dir_okay=False),
    help="Config file (default ~/.flow/config.json).",
)
@click.version_option(package_name="flow-sdk", prog_name="flow-sdk")
def cli(config_path: str | None) -> None:
    """Work with the Flow platform from the command line."""


cli.add_command(auth.login)
cli.add_command(auth.logout)
cli.add_command(auth.whoami)
cli.add_command(auth.auth)
cli.add_command(tenancy.orgs)
cli.add_command(tenancy.workspaces)
cli.add_command(rings.rings)
cli.add_command(components.components)
cli.add_command(deployments.deployments)
cli.add_command(services.services)
cli.add_command(connectors.connectors)
cli.add_command(ddl.ddl)
cli.add_command(tokens.tokens)


def main() -> None:
    cli(prog_name="flow-sdk")
