"""The one place HTTP happens: pooled connections, request ids, retries, error mapping.

Retries cover connection failures and 408/429/502/503/504, with exponential backoff
and full jitter, honouring ``Retry-After`` up to a cap. Only requests that are safe to
repeat are retried: GET/HEAD/OPTIONS/PUT/DELETE, and a POST that carries an
``Idempotency-Key``. A POST without one is retried only when the connection failed
before anything was sent, since then the platform cannot have acted on it.

The retry logic is written once, without I/O (``_Core.steps``, a generator that asks
for "send" or "sleep N" and is told what happened); ``Transport`` drives it with
``httpx.Client`` and ``time.sleep``, ``AsyncTransport`` with ``httpx.AsyncClient`` and
``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import random
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
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

# Asked for a fresh access token when the stored one has expired (a remembered API key).
TokenRefresher = Callable[[], str]
# What a step of the retry logic is told: the answer, or the transport failure.
Outcome = httpx.Response | httpx.TransportError | None


def default_timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


@dataclass(slots=True)
class Call:
    """One logical request, however many attempts it takes."""

    method: str
    url: str
    headers: dict[str, str]
    request_id: str
    idempotent: bool
    options: dict[str, Any]  # json / params / timeout for build_request, only those that are set


class _Core:
    """Builds calls and decides retries; never touches the network."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        refresh_token: TokenRefresher | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max(0, max_retries)
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(default_headers or {})}
        self._refresh = refresh_token
        self.token = token

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._token_exp = expires_at(value) if value else None
        self._auth = f"Bearer {value}" if value else None

    @property
    def token_expires_at(self) -> float | None:
        return self._token_exp

    def check_token(self) -> None:
        """Fail before any network traffic when the stored token has already expired.

        With a remembered API key, trade it for a fresh token instead of failing.
        """
        if self._token_exp is not None and self._token_exp <= time.time() + EXPIRY_MARGIN_SECONDS:
            if self._refresh is None:
                raise CLIAuthenticationError(
                    "the stored access token has expired", code="TOKEN_EXPIRED", hint=LOGIN_HINT
                )
            self.token = self._refresh()

    def prepare(
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
    ) -> Call:
        method = method.upper()
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        hdrs = dict(self._headers)
        if authenticated and self._auth:
            self.check_token()
            hdrs["Authorization"] = self._auth
        if headers:
            hdrs.update(headers)
        request_id = hdrs.setdefault("X-Request-ID", f"req_{uuid.uuid4().hex}")
        if idempotent is None:
            idempotent = method in SAFE_METHODS or any(
                k.lower() in ("idempotency-key", "x-idempotency-key") for k in hdrs
            )
        options: dict[str, Any] = {}
        if json is not None:
            options["json"] = json
        if params:
            # Only a non-empty query: httpx merges and re-parses the URL for any params.
            query = {k: v for k, v in params.items() if v is not None}
            if query:
                options["params"] = query
        if timeout is not None:
            options["timeout"] = default_timeout(timeout)
        return Call(method, url, hdrs, request_id, idempotent, options)

    def steps(self, call: Call) -> Generator[float | None, Outcome, httpx.Response]:
        """The retry logic: yields ``None`` for "send it", a float for "sleep that long"."""
        attempt = 0
        while True:
            outcome = yield None
            if isinstance(outcome, httpx.TransportError):
                never_sent = isinstance(outcome, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
                if attempt < self.max_retries and (call.idempotent or never_sent):
                    attempt += 1
                    yield self._delay(attempt, None, call, type(outcome).__name__)
                    continue
                raise _transport_error(outcome, call) from None
            assert outcome is not None
            response = outcome
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "%s %s -> %d request_id=%s",
                    call.method,
                    _redact(call.url),
                    response.status_code,
                    response.headers.get("x-request-id", call.request_id),
                )
            status = response.status_code
            if status in RETRY_STATUSES and attempt < self.max_retries and (call.idempotent or status == 429):
                attempt += 1
                response.close()
                yield self._delay(attempt, response.headers.get("retry-after"), call, str(status))
                continue
            if status >= 400:
                raise _status_error(response, call)
            return response

    def _delay(self, attempt: int, retry_after: str | None, call: Call, why: str) -> float:
        delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
        hinted = _parse_retry_after(retry_after)
        if hinted is not None:
            delay = min(hinted, RETRY_AFTER_CAP)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("retry %d of %s %s in %.2fs after %s", attempt, call.method, _redact(call.url), delay, why)
        return delay


class Transport(_Core):
    """Drives the retry logic with ``httpx.Client``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
        default_headers: Mapping[str, str] | None = None,
        refresh_token: TokenRefresher | None = None,
    ) -> None:
        super().__init__(
            base_url,
            token=token,
            max_retries=max_retries,
            default_headers=default_headers,
            refresh_token=refresh_token,
        )
        self._owns_client = http_client is None
        self._http = http_client or httpx.Client(
            timeout=default_timeout(timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        call = self.prepare(method, path, **kwargs)
        request = self._http.build_request(call.method, call.url, headers=call.headers, **call.options)
        steps = self.steps(call)
        outcome: Outcome = None
        try:
            next(steps)
            while True:
                try:
                    outcome = self._http.send(request)
                except httpx.TransportError as exc:
                    outcome = exc
                delay = steps.send(outcome)
                if delay is not None:
                    time.sleep(delay)
                    next(steps)
        except StopIteration as done:
            response: httpx.Response = done.value
            return response


class AsyncTransport(_Core):
    """Drives the same retry logic with ``httpx.AsyncClient``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        refresh_token: TokenRefresher | None = None,
    ) -> None:
        super().__init__(
            base_url,
            token=token,
            max_retries=max_retries,
            default_headers=default_headers,
            refresh_token=refresh_token,
        )
        self._owns_client = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=default_timeout(timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        call = self.prepare(method, path, **kwargs)
        request = self._http.build_request(call.method, call.url, headers=call.headers, **call.options)
        steps = self.steps(call)
        outcome: Outcome = None
        try:
            next(steps)
            while True:
                try:
                    outcome = await self._http.send(request)
                except httpx.TransportError as exc:
                    outcome = exc
                delay = steps.send(outcome)
                if delay is not None:
                    await asyncio.sleep(delay)
                    next(steps)
        except StopIteration as done:
            response: httpx.Response = done.value
            return response


def _transport_error(exc: httpx.TransportError, call: Call) -> CLIClientError:
    cls = CLITimeoutError if isinstance(exc, httpx.TimeoutException) else CLIConnectionError
    what = "timed out" if cls is CLITimeoutError else f"could not connect ({type(exc).__name__})"
    return cls(
        f"{what}: is the platform running at {_origin(call.url)}?",
        method=call.method,
        url=_redact(call.url),
        request_id=call.request_id,
    )


def _status_error(response: httpx.Response, call: Call) -> CLIClientError:
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
        "method": call.method,
        "url": _redact(call.url),
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
