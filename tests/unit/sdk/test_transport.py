"""The client's transport against httpx.MockTransport: retries, errors, headers, expiry."""

from __future__ import annotations

import base64
import json
import logging
import time

import httpx
import pytest

from flow_sdk import _transport
from flow_sdk.cli_client import (
    CLIAuthenticationError,
    CLIClient,
    CLIClientError,
    CLIConflictError,
    CLIConnectionError,
    CLINotFoundError,
    CLIPermissionError,
    CLIRateLimitError,
    CLIServerError,
    CLIValidationError,
)
from flow_sdk.config import FlowConfig


def _jwt(exp: float) -> str:
    def part(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'EdDSA'})}.{part({'exp': int(exp), 'sub': 'k'})}.sig"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(_transport.time, "sleep", slept.append)
    return slept


def make(handler, **kw) -> CLIClient:
    cfg = FlowConfig(_jwt(time.time() + 3600), "http://flow.test", "org", "ws")
    return CLIClient(cfg, http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kw)


def error(status: int, code: str = "X", headers=None) -> httpx.Response:
    body = {"code": code, "message": f"failed {status}", "details": [], "request_id": "req_srv"}
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    "status,cls",
    [
        (400, CLIValidationError),
        (401, CLIAuthenticationError),
        (403, CLIPermissionError),
        (404, CLINotFoundError),
        (409, CLIConflictError),
        (422, CLIValidationError),
        (500, CLIServerError),
        (418, CLIClientError),
    ],
)
def test_status_maps_to_error_class(status, cls):
    client = make(lambda r: error(status, "SOME_CODE"))
    with pytest.raises(cls) as info:
        client.get_current_user()
    e = info.value
    assert type(e) is cls
    assert (e.status_code, e.code, e.request_id, e.method) == (status, "SOME_CODE", "req_srv", "GET")
    assert e.url == "http://flow.test/api/v1/auth/me"
    assert e.body["message"] == f"failed {status}"
    assert str(e) == f"{status} SOME_CODE: failed {status} (GET http://flow.test/api/v1/auth/me) [request req_srv]"


def test_headers_user_agent_request_id_and_bearer():
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"items": []})

    client = make(handler)
    client.list_orgs()
    client.list_orgs()
    ua = seen[0].headers["user-agent"]
    assert ua.startswith("flow-sdk/") and " python/" in ua
    assert seen[0].headers["authorization"].startswith("Bearer ")
    ids = {r.headers["x-request-id"] for r in seen}
    assert len(ids) == 2 and all(i.startswith("req_") for i in ids)


def test_get_is_retried_on_503_then_succeeds(no_sleep):
    calls = iter([error(503), error(502), httpx.Response(200, json={"items": [{"id": "o"}]})])
    client = make(lambda r: next(calls))
    assert client.list_orgs() == [{"id": "o"}]
    assert len(no_sleep) == 2


def test_retries_stop_after_max_retries(no_sleep):
    count = 0

    def handler(r):
        nonlocal count
        count += 1
        return error(504)

    with pytest.raises(CLIServerError):
        make(handler, max_retries=3).list_orgs()
    assert count == 4


def test_post_without_idempotency_key_is_not_retried_on_503():
    count = 0

    def handler(r):
        nonlocal count
        count += 1
        return error(503)

    client = make(handler)
    with pytest.raises(CLIServerError):
        client.api_keys.create(role="viewer")
    assert count == 1


def test_post_with_idempotency_key_is_retried():
    responses = iter([error(503), httpx.Response(201, json={"ok": True})])
    client = make(lambda r: next(responses))
    result = client._request("POST", "/api/v1/x", json={}, headers={"Idempotency-Key": "abc"})
    assert result == {"ok": True}


def test_retry_after_is_honoured_up_to_a_cap(no_sleep):
    responses = iter(
        [
            error(429, headers={"Retry-After": "7"}),
            error(429, headers={"Retry-After": "9999"}),
            httpx.Response(200, json={"items": []}),
        ]
    )
    make(lambda r: next(responses)).list_orgs()
    assert no_sleep == [7.0, _transport.RETRY_AFTER_CAP]


def test_rate_limit_error_carries_retry_after():
    with pytest.raises(CLIRateLimitError) as info:
        make(lambda r: error(429, headers={"Retry-After": "3"}), max_retries=0).list_orgs()
    assert info.value.retry_after == 3.0


def test_connection_error_is_retried_then_raised(no_sleep):
    count = 0

    def handler(r):
        nonlocal count
        count += 1
        raise httpx.ConnectError("refused", request=r)

    with pytest.raises(CLIConnectionError, match="is the platform running"):
        make(handler).api_keys.create(role="viewer")  # never sent, so even a POST retries
    assert count == 3


def test_read_timeout_on_post_is_not_retried():
    count = 0

    def handler(r):
        nonlocal count
        count += 1
        raise httpx.ReadTimeout("slow", request=r)

    from flow_sdk.cli_client import CLITimeoutError

    with pytest.raises(CLITimeoutError):
        make(handler).api_keys.create(role="viewer")
    assert count == 1


def test_expired_token_fails_before_any_request():
    def handler(r):
        raise AssertionError("no request may be sent with an expired token")

    cfg = FlowConfig(_jwt(time.time() - 60), "http://flow.test", "org", "ws")
    client = CLIClient(cfg, http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(CLIAuthenticationError) as info:
        client.list_orgs()
    assert "flow-sdk login" in info.value.hint
    assert client.verify_credentials() is False


def test_debug_log_never_contains_the_token(caplog, monkeypatch):
    monkeypatch.setenv("FLOW_LOG", "debug")
    client = make(lambda r: httpx.Response(200, json={"items": []}))
    with caplog.at_level(logging.DEBUG, logger="flow_sdk"):
        client.list_orgs()
        with pytest.raises(CLIAuthenticationError):
            CLIClient._exchange(
                "http://flow.test",
                "fl_secretkey",
                http_client=httpx.Client(transport=httpx.MockTransport(lambda r: error(401))),
            )
    text = caplog.text
    assert "GET http://flow.test/api/v1/orgs -> 200" in text
    assert client.config.access_token not in text and "fl_secretkey" not in text


def test_ids_are_quoted_into_one_path_segment():
    seen = []

    def handler(r):
        seen.append(r.url.raw_path)
        return httpx.Response(200, json={"items": []})

    make(handler).list_workspaces("../../admin")
    assert seen == [b"/api/v1/orgs/..%2F..%2Fadmin/workspaces?limit=500"]


@pytest.mark.parametrize("evil", ["..", ".", "../.."])
def test_dot_segments_cannot_climb_out_of_the_route(evil):
    seen = []

    def handler(r):
        seen.append(r.url.raw_path)
        return httpx.Response(200, json={"items": []})

    make(handler).list_workspaces(evil)
    assert seen[0].startswith(b"/api/v1/orgs/") and seen[0].endswith(b"/workspaces?limit=500")
    assert b"/../" not in seen[0] and b"/./" not in seen[0]


def test_invoke_path_dot_segments_stay_inside_the_service():
    from flow_sdk.resources.invoke import gateway_path

    url = gateway_path("o", "s", "/../../workspaces/w/connector-instances")
    assert url == "/api/v1/orgs/o/services/s/%2E%2E/%2E%2E/workspaces/w/connector-instances"
    assert gateway_path("o", "..", "/x") == "/api/v1/orgs/o/services/%2E%2E/x"
    assert gateway_path("o", "s", "/a b?c") == "/api/v1/orgs/o/services/s/a%20b%3Fc"
