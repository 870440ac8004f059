"""The ``flow-sdk`` command. Modules here import only click at load time, so ``--help`` is fast."""

from __future__ import annotations

import sys
from typing import Any

import click

from ._one_line import OneLineErrors

# name -> (module, attribute, the command's short help as click derives it). Commands load on first use,
# so `flow-sdk --help` imports no command module; a test keeps the help lines in sync.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "auth": ("auth", "auth", "Log in and out."),
    "completion": (
        "completion",
        "completion",
        'Print the shell completion script: eval "$(flow-sdk completion bash)".',
    ),
    "components": (
        "components",
        "components",
        "The component catalog: code blocks, workflows and configuration components.",
    ),
    "connectors": (
        "connectors",
        "connectors",
        "Connector instances (PostgreSQL, MySQL/MariaDB, SQLite) of the workspace.",
    ),
    "ddl": ("ddl", "ddl", "Preview (dry run) or execute one DDL statement on a connector instance."),
    "deployments": ("deployments", "deployments", "Put component versions into rings and follow them to active."),
    "jobs": ("jobs", "jobs", "Async jobs of a hosted service: get, wait for, list."),
    "login": ("auth", "login", "Exchange an API key for a token and save it with the tenant context."),
    "logout": ("auth", "logout", "Forget the stored token."),
    "orgs": ("tenancy", "orgs", "Organizations you can reach."),
    "rings": ("rings", "rings", "Deployment rings of the workspace, in promotion order."),
    "services": ("services", "services", "Hosted services: create, publish, call and read logs."),
    "status": (
        "status",
        "status",
        "Show the platform URL, its version, whether it answers, and the token's expiry; exit 1 when it is down.",
    ),
    "tokens": ("tokens", "tokens", "Service tokens (fl_hsl_...) for calling a hosted service."),
    "whoami": ("auth", "whoami", "Show who the stored credentials act as; exit 1 when they are not valid."),
    "workspaces": ("tenancy", "workspaces", "Workspaces of an organization."),
}


class FlowGroup(OneLineErrors):
    """Loads commands lazily, and turns every client error into one line with a hint and a
    non-zero exit: no tracebacks."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        from importlib import import_module

        command: click.Command = getattr(import_module(f".{entry[0]}", __package__), entry[1])
        _add_profile_option(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Shortened exactly as click shortens a loaded command's help.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=text).get_short_help_str(limit))
            for name, (_, _, text) in sorted(COMMANDS.items())
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


    def invoke(self, ctx: click.Context) -> Any:
        from .._errors import CLIClientError

        try:
            return super().invoke(ctx)
        except CLIClientError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            sys.exit(1)
        except OSError as exc:
            # A file the user named, a socket, a full disk: say which, in one line.
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


def _remember_profile(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value:
        ctx.find_root().meta["flow_profile"] = value


def _profile_option() -> click.Option:
    return click.Option(
        ["--profile"],
        envvar="FLOW_PROFILE",
        expose_value=False,
        is_eager=True,
        callback=_remember_profile,
        help="Named profile of the config file (default: the top-level one).",
    )


def _add_profile_option(command: click.Command) -> None:
    """Every command takes --profile, before or after its name (flow-sdk rings list --profile ci)."""
    if not any(p.name == "profile" for p in command.params):
        command.params.append(_profile_option())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_profile_option(sub)


@click.group(cls=FlowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="FLOW_CONFIG",
    type=click.Path(dir_okay=False),
    help="Config file (default ~/.flow/config.json).",
)
@click.option(
    "--profile",
    envvar="FLOW_PROFILE",
    expose_value=False,
    is_eager=True,
    callback=_remember_profile,
    help="Named profile of the config file (default: the top-level one).",
)
@click.version_option(package_name="flow-sdk", prog_name="flow-sdk")
def cli(config_path: str | None) -> None:
    """Work with the Flow platform from the command line."""


def main() -> None:
    cli(prog_name="flow-sdk")
