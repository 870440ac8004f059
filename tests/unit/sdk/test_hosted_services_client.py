"""invoke_service, client.jobs and FlowSDK against httpx.MockTransport: URLs, bodies, errors."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from flow_sdk import FlowSDK
from flow_sdk.cli_client import CLIClient, CLINotFoundError, CLIServerError
from flow_sdk.config import FlowConfig


def _jwt() -> str:
    def part(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'EdDSA'})}.{part({'exp': int(time.time()) + 600})}.sig"


def _client(handler) -> CLIClient:
    config = FlowConfig(access_token=_jwt(), platform_url="http://p.test", org_id="org-1", workspace_id="ws-1")
    return CLIClient(config, http_client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_invoke_service_url_body_query_and_version():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client = _client(handler)
    assert client.invoke_service("svc-1", "post", "/analyze", body={"text": "hi"}, query={"lang": "en"}) == {"ok": True}
    client.invoke_service("svc-1", "GET", "users/a b", version=2)
    first, second = seen
    assert first.method == "POST"
    assert first.url.path == "/api/v1/orgs/org-1/services/svc-1/analyze"
    assert first.url.params["lang"] == "en"
    assert json.loads(first.content) == {"text": "hi"}
    assert first.headers["authorization"].startswith("Bearer ")
    assert second.url.raw_path == b"/api/v1/orgs/org-1/services/svc-1/v2/users/a%20b"


def test_invoke_service_errors_carry_the_code_and_are_not_retried():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path.endswith("/slow"):
            return httpx.Response(504, json={"code": "TIMEOUT", "message": "late", "details": [], "request_id": "r"})
        return httpx.Response(
            404, json={"code": "VERSION_NOT_FOUND", "message": "no", "details": [], "request_id": "r"}
        )

    client = _client(handler)
    with pytest.raises(CLINotFoundError) as missing:
        client.invoke_service("svc-1", "GET", "/x", version=9)
    assert missing.value.code == "VERSION_NOT_FOUND"
    with pytest.raises(CLIServerError) as late:
        client.invoke_service("svc-1", "GET", "/slow")
    assert late.value.status_code == 504
    assert len(calls) == 2  # a 504 on GET is not retried: the handler may have acted


def test_jobs_submit_and_get():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(202, json={"job_id": "j1", "status": "staged", "poll_url": "/x"})
        return httpx.Response(200, json={"job_id": "j1", "status": "succeeded", "result": 1})

    client = _client(handler)
    job = client.jobs.submit("svc-1", "put", "/items", body={"a": 1}, version=3, idempotency_key="k")
    assert job["status"] == "staged"
    assert client.jobs.wait("svc-1", "j1")["result"] == 1
    submit, poll = seen
    assert submit.url.path == "/api/v1/orgs/org-1/services/svc-1/v3/async/items"
    assert submit.headers["x-hsl-target-method"] == "PUT" and submit.headers["x-idempotency-key"] == "k"
    assert poll.url.path == "/api/v1/orgs/org-1/workspaces/ws-1/hosted-services/svc-1/jobs/j1"


def test_flow_sdk_reads_the_runtime_environment(monkeypatch):
    env = {
        "ORG_ID": "org-9",
        "WORKSPACE_ID": "ws-9",
        "SERVICE_ID": "svc-9",
        "RING_ID": "ring-9",
        "REQUEST_ID": "req-abc",
        "PLATFORM_API_URL": "http://platform.test/api/v1/",
        "AUTH_TOKEN": _jwt(),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[1, 2])

    flow = FlowSDK(http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert (flow.org_id, flow.workspace_id, flow.service_id, flow.ring_id) == ("org-9", "ws-9", "svc-9", "ring-9")
    assert flow.services.invoke("other", "GET", "/list", query={"n": "2"}, version=1) == [1, 2]
    (request,) = seen
    assert str(request.url) == "http://platform.test/api/v1/orgs/org-9/services/other/v1/list?n=2"
    assert request.headers["x-request-id"] == "req-abc"
    assert request.headers["authorization"] == f"Bearer {env['AUTH_TOKEN']}"
    flow.close()


def test_flow_sdk_without_platform_url_says_so(monkeypatch):
    monkeypatch.delenv("PLATFORM_API_URL", raising=False)
    with pytest.raises(RuntimeError, match="PLATFORM_API_URL"):
        FlowSDK(org_id="o").services.invoke("s", "GET", "/x")
