"""The root command's static command table stays true to the commands it loads."""

from __future__ import annotations

import subprocess
import sys

import click

from flow_sdk.cli.main import COMMANDS, cli


def test_every_lazy_entry_loads_a_command_with_that_help():
    ctx = click.Context(cli)
    for name, (_, _, help_line) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command), name
        assert command.get_short_help_str(limit=1000) == help_line, f"help of {name!r} drifted"


def test_help_imports_no_command_module():
    code = (
        "import sys; from flow_sdk.cli.main import main; sys.argv=['flow-sdk','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "from flow_sdk.cli.main import COMMANDS\n"
        "commands = {'flow_sdk.cli.' + module for module, _, _ in COMMANDS.values()}\n"
        "loaded = sorted(m for m in sys.modules if m in commands)\n"
        "assert loaded == [], loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_unknown_command_is_a_usage_error():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["nope"])
    assert result.exit_code == 2 and "No such command 'nope'" in result.output
