"""What code running inside the platform imports: ``FlowSDK`` and ``HTTPError``.

This module is loaded by every runtime worker, so it stays light: the HTTP client is
imported only when a handler first calls the platform.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ._wire import code_for_status

if TYPE_CHECKING:
    import httpx

    from ._transport import Transport

__all__ = ["FlowSDK", "HTTPError"]


class HTTPError(Exception):
    """Raise from a handler to answer `status` with the platform's standard error body."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        details: list[Any] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"HTTPError status must be 4xx or 5xx, got {status}")
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or code_for_status(status)
        self.details = list(details or [])

    def __repr__(self) -> str:
        return f"HTTPError({self.status}, {self.message!r}, code={self.code!r})"




class FlowSDK:
    """The platform, as seen from code running inside it (a hosted service's handler).

    Everything defaults to the environment the runtime sets: ``ORG_ID``,
    ``WORKSPACE_ID``, ``SERVICE_ID``, ``RING_ID``, ``REQUEST_ID``, ``PLATFORM_API_URL``
    and ``AUTH_TOKEN``. With ``PLATFORM_API_SOCKET`` set (a sandboxed worker has no
    network), requests go to the platform over that Unix socket instead. The request
    id travels with every call, so one id follows a request from service to service.
    """

    def __init__(
        self,
        *,
        platform_url: str | None = None,
        token: str | None = None,
        org_id: str | None = None,
        workspace_id: str | None = None,
        service_id: str | None = None,
        ring_id: str | None = None,
        request_id: str | None = None,
        timeout: float = 30.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        env = os.environ
        self.platform_url = (platform_url or env.get("PLATFORM_API_URL") or "").rstrip("/")
        self.token = token or env.get("AUTH_TOKEN") or None
        self.org_id = org_id or env.get("ORG_ID", "")
        self.workspace_id = workspace_id or env.get("WORKSPACE_ID", "")
        self.service_id = service_id or env.get("SERVICE_ID", "")
        self.ring_id = ring_id or env.get("RING_ID", "")
        self.request_id = request_id or env.get("REQUEST_ID") or None
        self.timeout = timeout
        self._http_client = http_client
        self._own_client: httpx.Client | None = None

    @cached_property
    def services(self) -> _Services:
        return _Services(self)

    @cached_property
    def _transport(self) -> Transport:
        from ._transport import Transport
        from ._urls import normalize_platform_url

        if not self.platform_url:
            raise RuntimeError("FlowSDK needs PLATFORM_API_URL (set by the platform runtime)")
        headers = {"X-Request-ID": self.request_id} if self.request_id else None
        client = self._http_client
        socket_path = os.environ.get("PLATFORM_API_SOCKET")
        if client is None and socket_path:
            import httpx

            from ._transport import default_timeout

            transport = httpx.HTTPTransport(uds=socket_path)
            client = self._own_client = httpx.Client(transport=transport, timeout=default_timeout(self.timeout))
        return Transport(
            normalize_platform_url(self.platform_url),
            token=self.token,
            timeout=self.timeout,
            http_client=client,
            default_headers=headers,
        )

    def close(self) -> None:
        if "_transport" in self.__dict__:
            self._transport.close()
        if self._own_client is not None:
            self._own_client.close()
            self._own_client = None


class _Services:
    def __init__(self, sdk: FlowSDK) -> None:
        self._sdk = sdk

    def invoke(
        self,
        service_id: str,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, Any] | None = None,
        version: int | None = None,
    ) -> Any:
        """Call another hosted service of the org, like ``CLIClient.invoke_service``."""
        from .resources.invoke import gateway_path

        url = gateway_path(self._sdk.org_id, service_id, path, version)
        response = self._sdk._transport.request(method, url, json=body, params=query, idempotent=False)
        return response.json() if response.content else None
