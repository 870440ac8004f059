"""The public face stays complete and sorted (as httpx's test_exported_members does)."""

from __future__ import annotations

import subprocess
import sys

import flow_sdk
import flow_sdk.cli_client as cli_client


def test_all_is_sorted_and_resolvable():
    for module in (flow_sdk, cli_client):
        assert module.__all__ == sorted(module.__all__)
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_cli_client_exports_every_exception():
    errors = {n for n in dir(cli_client) if n.startswith("CLI") and n.endswith("Error")}
    assert errors <= set(cli_client.__all__)
    assert {"CLIClientError", "CLIAuthenticationError", "CLIPermissionError", "CLINotFoundError"} <= errors


def test_spec_exception_hierarchy():
    from flow_sdk.cli_client import (
        CLIAuthenticationError,
        CLIClientError,
        CLINotFoundError,
        CLIPermissionError,
    )

    for cls in (CLIAuthenticationError, CLIPermissionError, CLINotFoundError):
        assert issubclass(cls, CLIClientError)


def test_client_package_never_imports_the_platform_or_httpx_eagerly():
    code = (
        "import sys, flow_sdk, flow_sdk.cli.main; "
        "assert not [m for m in sys.modules if m.startswith('flow_platform')]; "
        "assert 'httpx' not in sys.modules, 'httpx loaded by --help path'; "
        "import flow_sdk.cli_client; "
        "assert not [m for m in sys.modules if m.startswith('flow_platform')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
