"""Every option of both commands answers a bad value with one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from flow_platform.cli import main as platform_cli
from flow_sdk.cli.main import cli as sdk_cli

PLATFORM = [
    ["serve", "--port", "99999"],
    ["serve", "--port", "-1"],
    ["serve", "--port", "http"],
    ["serve", "--log-level", "loud"],
    ["serve", "--host", "bad\x01host"],
    ["serve", "--host", "no.such.host.invalid", "--port", "0"],
    ["serve", "--data-dir", "a\x00b"],
    ["bootstrap", "--org", "tab\there"],
    ["bootstrap", "--workspace", "x" * 201],
    ["bootstrap", "--database-url", "nope://"],
    ["api-keys", "create", "--org", "²", "--role", "admin"],
    ["api-keys", "create", "--org", "x", "--role", "boss"],
    ["api-keys", "create", "--org", "x", "--role", "admin", "--name", "nul\x00"],
    ["api-keys", "revoke", "①"],
    ["no-such-command"],
]

SDK = [
    ["login", "--url", "http://127.0.0.1:9", "--api-key", "k", "--ttl-minutes", str(2**63)],
    ["login", "--url", "http://127.0.0.1:9", "--api-key", "k", "--ttl-minutes", "0"],
    ["login", "--url", "not a url", "--api-key", "k"],
    ["rings", "create", "r", "--position", str(10**30)],
    ["rings", "create", "r", "--position", "-1"],
    ["services", "logs", "s", "--tail", "-5"],
    ["services", "logs", "s", "--version", "²"],
    ["services", "invoke", "s", "GET", "/", "--version", str(2**63)],
    ["deployments", "status", "d", "--wait", "--timeout", "nan"],
    ["deployments", "status", "d", "--wait", "--timeout", "inf"],
    ["connectors", "create", "--connector", "postgres", "--name", "n", "--port", "70000"],
    ["connectors", "create", "--connector", "postgres", "--name", "n", "--lock-timeout-ms", "0"],
    ["tokens", "mint", "s", "--ttl-minutes", str(10**30)],
    ["services", "invoke"],
]


def _one_line_error(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code not in (0, None), result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output


@pytest.mark.parametrize("args", PLATFORM, ids=lambda a: " ".join(a)[:60])
def test_flow_platform_bad_values(args: list[str], tmp_path: Path) -> None:
    if args[0] in ("bootstrap", "api-keys") and "--data-dir" not in args:
        args = [*args, "--data-dir", str(tmp_path)]
    _one_line_error(CliRunner().invoke(platform_cli, args))


@pytest.mark.parametrize("args", SDK, ids=lambda a: " ".join(a)[:60])
def test_flow_sdk_bad_values(args: list[str]) -> None:
    _one_line_error(CliRunner().invoke(sdk_cli, args))
