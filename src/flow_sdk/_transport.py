"""The one place HTTP happens: pooled connections, request ids, retries, error mapping.

Retries cover connection failures and 408/429/502/503/504, with exponential backoff
and full jitter, honouring ``Retry-After`` up to a cap. Only requests that are safe to
repeat are retried: GET/HEAD/OPTIONS/PUT/DELETE, and a POST that carries an
``Idempotency-Key``. A POST without one is retried only when the connection failed
before anything was sent, since then the platform cannot have acted on it.
"""

from __future__ import annotations

import logging
import platform
import random
import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from ._errors import (
    LOGIN_HINT,
    CLIAuthenticationError,
    CLIClientError,
    CLIConnectionError,
    CLIRateLimitError,
    CLITimeoutError,
    error_class_for,
)
from ._jwt import expires_at
from ._version import __version__

log = logging.getLogger("flow_sdk")

USER_AGENT = f"flow-sdk/{__version__} python/{platform.python_version()}"
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 30.0
# Refuse a token this close to expiry rather than fail half-way through a call.
EXPIRY_MARGIN_SECONDS = 5


def default_timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


class Transport:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.max_retries = max(0, max_retries)
        self._owns_client = http_client is None
        self._http = http_client or httpx.Client(
            timeout=default_timeout(timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(default_headers or {})}
        self._token_exp = expires_at(token) if token else None

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def check_token(self) -> None:
        """Fail before any network traffic when the stored token has already expired."""
        if self._token_exp is not None and self._token_exp <= time.time() + EXPIRY_MARGIN_SECONDS:
            raise CLIAuthenticationError("the stored access token has expired", code="TOKEN_EXPIRED", hint=LOGIN_HINT)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        idempotent: bool | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        method = method.upper()
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        hdrs = dict(self._headers)
        if authenticated and self.token:
            self.check_token()
            hdrs["Authorization"] = f"Bearer {self.token}"
        if headers:
            hdrs.update(headers)
        hdrs.setdefault("X-Request-ID", f"req_{uuid.uuid4().hex}")
        if idempotent is None:
            idempotent = method in SAFE_METHODS or any(
                k.lower() in ("idempotency-key", "x-idempotency-key") for k in hdrs
            )
        query = {k: v for k, v in (params or {}).items() if v is not None}
        request_timeout: Any = default_timeout(timeout) if timeout is not None else httpx.USE_CLIENT_DEFAULT
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self._http.request(
                    method, url, json=json, params=query, headers=hdrs, timeout=request_timeout
                )
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
                if attempt < self.max_retries and (idempotent or never_sent):
                    attempt += 1
                    self._sleep(attempt, None, method, url, type(exc).__name__)
                    continue
                raise self._transport_error(exc, method, url, hdrs["X-Request-ID"]) from None
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.debug(
                "%s %s -> %d (%.1f ms) request_id=%s",
                method,
                _redact(url),
                response.status_code,
                elapsed_ms,
                response.headers.get("x-request-id", hdrs["X-Request-ID"]),
            )
            if (
                response.status_code in RETRY_STATUSES
                and attempt < self.max_retries
                and (idempotent or response.status_code == 429)
            ):
                attempt += 1
                response.close()
                self._sleep(attempt, response.headers.get("retry-after"), method, url, str(response.status_code))
                continue
            if response.is_error:
                raise self._status_error(response, method, url)
            return response

    def _sleep(self, attempt: int, retry_after: str | None, method: str, url: str, why: str) -> None:
        delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
        hinted = _parse_retry_after(retry_after)
        if hinted is not None:
            delay = min(hinted, RETRY_AFTER_CAP)
        log.debug("retry %d of %s %s in %.2fs after %s", attempt, method, _redact(url), delay, why)
        time.sleep(delay)

    @staticmethod
    def _transport_error(exc: httpx.TransportError, method: str, url: str, request_id: str) -> CLIClientError:
        cls = CLITimeoutError if isinstance(exc, httpx.TimeoutException) else CLIConnectionError
        what = "timed out" if cls is CLITimeoutError else f"could not connect ({type(exc).__name__})"
        return cls(
            f"{what}: is the platform running at {_origin(url)}?",
            method=method,
            url=_redact(url),
            request_id=request_id,
        )

    @staticmethod
    def _status_error(response: httpx.Response, method: str, url: str) -> CLIClientError:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        code = message = None
        if isinstance(body, dict):
            code = body.get("code") if isinstance(body.get("code"), str) else None
            message = body.get("message") if isinstance(body.get("message"), str) else None
        status = response.status_code
        cls = error_class_for(status)
        kwargs: dict[str, Any] = {
            "status_code": status,
            "code": code,
            "request_id": (body.get("request_id") if isinstance(body, dict) else None)
            or response.headers.get("x-request-id"),
            "method": method,
            "url": _redact(url),
            "body": body,
            "hint": LOGIN_HINT if status == 401 else None,
        }
        if cls is CLIRateLimitError:
            kwargs["retry_after"] = _parse_retry_after(response.headers.get("retry-after"))
        return cls(message or response.reason_phrase or f"HTTP {status}", **kwargs)


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}"


def _redact(url: str) -> str:
    """Drop the query string from logged URLs: callers may put secrets there."""
    return url.split("?", 1)[0]
