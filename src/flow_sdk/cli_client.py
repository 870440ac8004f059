"""``CLIClient``: a synchronous client for the Flow platform, used from outside it.

from flow_sdk.config import load_config
from flow_sdk.cli_client import CLIClient

client = CLIClient(load_config())
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

import httpx

from . import _logging
from ._async_client import AsyncCLIClient as AsyncCLIClient
from ._base_client import BaseClient
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
from ._paging import DEFAULT_PAGE_SIZE, page_params, split_page
from ._transport import Transport
from ._urls import api_path, normalize_platform_url
from .config import FlowConfig
from .resources.rings import CLIRingsNamespace as CLIRingsNamespace
from .results import Result

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
    "CLIRingsNamespace",
    "CLIServerError",
    "CLITimeoutError",
    "CLIValidationError",
]


class CLIClient(BaseClient):
    """A synchronous client for the Flow platform, for scripts, notebooks and CI.

    It reads the stored login (``~/.flow/config.json``, written by ``flow-sdk login``)::

        from flow_sdk.config import load_config
        from flow_sdk.cli_client import CLIClient

        client = CLIClient(load_config())
        result = client.invoke_service(service_id="<service-uuid>", method="POST",
                                       path="/analyze", body={"text": "..."})

    Namespaces: ``hosted_services`` (with ``service_tokens``, ``versions``,
    ``endpoints``), ``jobs``, ``components``, ``connector_instances``, ``rings``,
    ``component_deployments``, ``workflow_deployments``, ``api_keys``. Errors are
    ``CLIClientError`` subclasses. Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        config: FlowConfig | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._configure(config)
        self._transport = Transport(
            self.platform_url,
            token=self.config.access_token,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            refresh_token=self._token_refresher(),
        )

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> CLIClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- authentication ------------------------------------------------------------
    @staticmethod
    def exchange_api_key(platform_url: str, api_key: str, ttl_minutes: int = 60) -> str:
        """Trade an org API key for a JWT access token (what ``flow-sdk login`` does)."""
        token: str = CLIClient._exchange(platform_url, api_key, ttl_minutes)["access_token"]
        return token

    @staticmethod
    def _exchange(
        platform_url: str, api_key: str, ttl_minutes: int = 60, *, http_client: httpx.Client | None = None
    ) -> dict[str, Any]:
        _logging.setup_from_env()
        transport = Transport(normalize_platform_url(platform_url), http_client=http_client)
        try:
            # Minting a token changes nothing durable, so a retry cannot do harm.
            response = transport.request(
                "POST",
                api_path("auth", "token"),
                json={"ttl_minutes": ttl_minutes},
                headers={"X-API-Key": api_key},
                authenticated=False,
                idempotent=True,
            )
            result: dict[str, Any] = response.json()
            return result
        finally:
            transport.close()

    def verify_credentials(self) -> bool:
        """True when the stored credentials are accepted; False when expired or refused."""
        try:
            self.get_current_user()
        except CLIAuthenticationError:
            return False
        return True

    @property
    def access_token(self) -> str | None:
        """The token in use: the stored one, or a fresh one from a remembered API key."""
        return self._transport.token

    # -- the helpers namespaces are written against ---------------------------------
    def request(self, method: str, path: str, *, then: Callable[[Any], Any] | None = None, **kwargs: Any) -> Any:
        response = self._transport.request(method, path, **kwargs)
        # Every JSON object reads as a dict and by attribute (flow_sdk.results).
        value = response.json(object_hook=Result) if response.content and response.status_code != 204 else None
        return then(value) if then is not None else value

    def list_all(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return list(self.iterate(path, params, page_size=DEFAULT_PAGE_SIZE))

    def iterate(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int | None = None
    ) -> Iterator[Any]:
        cursor: str | None = None
        while True:
            items, cursor = split_page(self.request("GET", path, params=page_params(params, cursor, page_size)))
            yield from items
            if cursor is None:
                return

    def poll(self, fetch: Callable[[], Any], done: Callable[[Any], bool], *, timeout: float, interval: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            current = fetch()
            if done(current) or time.monotonic() >= deadline:
                return current
            time.sleep(interval)

    # Kept for scripts written against earlier releases.
    _request = request
