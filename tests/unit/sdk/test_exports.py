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


def test_the_package_exports_every_public_name():
    from flow_sdk import _errors

    errors = {n for n in dir(_errors) if n.startswith("CLI") and n.endswith("Error")}
    expected = errors | {
        "AsyncCLIClient",
        "CLIClient",
        "FlowConfig",
        "FlowSDK",
        "HTTPError",
        "__version__",
        "load_config",
    }
    assert set(flow_sdk.__all__) == expected
    assert set(flow_sdk.__all__) - {"__version__"} == set(flow_sdk._LAZY)
    assert dir(flow_sdk) == sorted(flow_sdk.__all__)


def test_issue_names_import_from_the_package():
    from flow_sdk import AsyncCLIClient, CLIConflictError, CLIRateLimitError

    assert issubclass(CLIConflictError, flow_sdk.CLIClientError)
    assert issubclass(CLIRateLimitError, flow_sdk.CLIClientError)
    assert AsyncCLIClient is cli_client.AsyncCLIClient
    assert flow_sdk.CLIClient is cli_client.CLIClient


def test_cli_client_docstring_shows_the_example():
    doc = cli_client.CLIClient.__doc__ or ""
    assert "from flow_sdk.cli_client import CLIClient" in doc and "CLIClient(load_config())" in doc
