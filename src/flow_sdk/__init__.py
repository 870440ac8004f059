"""Python client for the Flow platform.

Names load on first use, so that ``flow-sdk --help`` does not pay for httpx.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._async_client import AsyncCLIClient as AsyncCLIClient
    from ._errors import CLIAuthenticationError as CLIAuthenticationError
    from ._errors import CLIClientError as CLIClientError
    from ._errors import CLIConfigError as CLIConfigError
    from ._errors import CLIConflictError as CLIConflictError
    from ._errors import CLIConnectionError as CLIConnectionError
    from ._errors import CLINotFoundError as CLINotFoundError
    from ._errors import CLIPermissionError as CLIPermissionError
    from ._errors import CLIRateLimitError as CLIRateLimitError
    from ._errors import CLIServerError as CLIServerError
    from ._errors import CLITimeoutError as CLITimeoutError
    from ._errors import CLIValidationError as CLIValidationError
    from .cli_client import CLIClient as CLIClient
    from .config import FlowConfig as FlowConfig
    from .config import load_config as load_config
    from .runtime import FlowSDK as FlowSDK
    from .runtime import HTTPError as HTTPError

_LAZY = {
    "AsyncCLIClient": "._async_client",
    "CLIAuthenticationError": "._errors",
    "CLIClient": ".cli_client",
    "CLIClientError": "._errors",
    "CLIConfigError": "._errors",
    "CLIConflictError": "._errors",
    "CLIConnectionError": "._errors",
    "CLINotFoundError": "._errors",
    "CLIPermissionError": "._errors",
    "CLIRateLimitError": "._errors",
    "CLIServerError": "._errors",
    "CLITimeoutError": "._errors",
    "CLIValidationError": "._errors",
    "FlowConfig": ".config",
    "FlowSDK": ".runtime",
    "HTTPError": ".runtime",
    "load_config": ".config",
}

__all__ = [
    "AsyncCLIClient",
    "CLIAuthenticationError",
    "CLIClient",
    "CLIClientError",
    "CLIConfigError",
    "CLIConflictError",
    "CLIConnectionError",
    "CLINotFoundError",
    "CLIPermissionError",
    "CLIRateLimitError",
    "CLIServerError",
    "CLITimeoutError",
    "CLIValidationError",
    "FlowConfig",
    "FlowSDK",
    "HTTPError",
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
