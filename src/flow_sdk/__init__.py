"""Python client for the Flow platform.

Names load on first use, so that ``flow-sdk --help`` does not pay for httpx.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._errors import CLIAuthenticationError as CLIAuthenticationError
    from ._errors import CLIClientError as CLIClientError
    from ._errors import CLINotFoundError as CLINotFoundError
    from ._errors import CLIPermissionError as CLIPermissionError
    from .cli_client import CLIClient as CLIClient
    from .config import FlowConfig as FlowConfig
    from .config import load_config as load_config
    from .runtime import FlowSDK as FlowSDK

_LAZY = {
    "CLIAuthenticationError": "._errors",
    "CLIClient": ".cli_client",
    "CLIClientError": "._errors",
    "CLINotFoundError": "._errors",
    "CLIPermissionError": "._errors",
    "FlowConfig": ".config",
    "FlowSDK": ".runtime",
    "load_config": ".config",
}

__all__ = [
    "CLIAuthenticationError",
    "CLIClient",
    "CLIClientError",
    "CLINotFoundError",
    "CLIPermissionError",
    "FlowConfig",
    "FlowSDK",
    "__version__",
    "load_config",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flow_sdk' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
