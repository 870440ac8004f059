"""``AsyncCLIClient``: ``CLIClient``'s namespaces and errors over ``httpx.AsyncClient``.

Every method of a namespace returns an awaitable::

    async with AsyncCLIClient(load_config()) as client:
        rings = await client.rings.list()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any

import httpx

from ._base_client import BaseClient
from ._errors import CLIAuthenticationError
from ._paging import DEFAULT_PAGE_SIZE, page_params, split_page
from ._transport import AsyncTransport
from .config import FlowConfig
from .results import Result


class AsyncCLIClient(BaseClient):
    """The async twin of ``CLIClient``: same namespaces, same errors, awaited.

    A remembered API key (``flow-sdk login --remember``) refreshes an expired token
    with one short blocking call, as the sync client does.
    """

    def __init__(
        self,
        config: FlowConfig | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._configure(config)
        self._transport = AsyncTransport(
            self.platform_url,
            token=self.config.access_token,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            refresh_token=self._token_refresher(),
        )

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncCLIClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @staticmethod
    async def exchange_api_key(platform_url: str, api_key: str, ttl_minutes: int = 60) -> str:
        """Trade an org API key for a JWT access token."""
        from .cli_client import CLIClient

        return await asyncio.to_thread(CLIClient.exchange_api_key, platform_url, api_key, ttl_minutes)

    async def verify_credentials(self) -> bool:
        try:
            await self.get_current_user()
        except CLIAuthenticationError:
            return False
        return True

    @property
    def access_token(self) -> str | None:
        return self._transport.token

    async def request(
        self, method: str, path: str, *, then: Callable[[Any], Any] | None = None, **kwargs: Any
    ) -> Any:
        response = await self._transport.request(method, path, **kwargs)
        # Every JSON object reads as a dict and by attribute (flow_sdk.results).
        value = response.json(object_hook=Result) if response.content and response.status_code != 204 else None
        return then(value) if then is not None else value

    async def list_all(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return [item async for item in self.iterate(path, params, page_size=DEFAULT_PAGE_SIZE)]

    async def iterate(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[Any]:
        cursor: str | None = None
        while True:
            body = await self.request("GET", path, params=page_params(params, cursor, page_size))
            items, cursor = split_page(body)
            for item in items:
                yield item
            if cursor is None:
                return

    async def poll(
        self, fetch: Callable[[], Any], done: Callable[[Any], bool], *, timeout: float, interval: float
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            current = await fetch()
            if done(current) or time.monotonic() >= deadline:
                return current
            await asyncio.sleep(interval)
