"""``client.hosted_services.service_tokens`` on the wire, against httpx.MockTransport."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import httpx
import pytest

from flow_sdk.cli_client import CLIClient, CLIValidationError
from flow_sdk.config import FlowConfig

ORG, WS, SID = "o-1", "w-1", "s/1"  # a slash in the id must stay inside its segment


def _jwt() -> str:
    def part(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'EdDSA'})}.{part({'exp': int(time.time()) + 600})}.sig"


@pytest.fixture
def calls():
    return []


@pytest.fixture
def client(calls):
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        calls.append((request.method, request.url.raw_path.decode(), body))
        if body and body.get("ttl_minutes") == 0:
            return httpx.Response(422, json={"code": "VALIDATION_ERROR", "message": "ttl_minutes", "details": []})
        if request.url.path.endswith("/revocations"):
            return httpx.Response(200, json={"items": [{"jti": "j"}]})
        return httpx.Response(200, json={"ok": True})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    c = CLIClient(FlowConfig(_jwt(), "http://platform.test", ORG, WS), http_client=http, max_retries=0)
    yield c
    c.close()


BASE = f"/api/v1/orgs/{ORG}/workspaces/{WS}/hosted-services/s%2F1/service-tokens"


def test_spec_calls_map_to_the_wire(client, calls):
    tokens = client.hosted_services.service_tokens
    tokens.mint(service_id=SID, claims={"tenant_id": "t-123", "role": "reader"}, ttl_minutes=120)
    tokens.revoke(service_id=SID, jti="abc", expires_at="2026-11-30T06:00:00Z", reason="No longer needed")
    tokens.revoke(service_id=SID, jti="abc", expires_at=datetime(2026, 11, 30, 6, tzinfo=UTC))
    tokens.revoke_all(service_id=SID, reason="Rotating credentials")
    assert tokens.list_revocations(service_id=SID, include_expired=False) == [{"jti": "j"}]
    tokens.list_revocations(service_id=SID, include_expired=True)
    assert calls == [
        ("POST", BASE, {"claims": {"tenant_id": "t-123", "role": "reader"}, "ttl_minutes": 120}),
        ("POST", f"{BASE}/revoke", {"jti": "abc", "expires_at": "2026-11-30T06:00:00Z", "reason": "No longer needed"}),
        ("POST", f"{BASE}/revoke", {"jti": "abc", "expires_at": "2026-11-30T06:00:00+00:00", "reason": None}),
        ("POST", f"{BASE}/revoke-all", {"reason": "Rotating credentials"}),
        ("GET", f"{BASE}/revocations?include_expired=false&limit=500", None),
        ("GET", f"{BASE}/revocations?include_expired=true&limit=500", None),
    ]


def test_arguments_are_keyword_only_as_in_the_spec(client):
    with pytest.raises(TypeError):
        client.hosted_services.service_tokens.mint(SID)  # type: ignore[misc]


def test_422_is_a_validation_error(client):
    with pytest.raises(CLIValidationError) as info:
        client.hosted_services.service_tokens.mint(service_id=SID, ttl_minutes=0)
    assert info.value.status_code == 422


@pytest.mark.parametrize(("service_id", "encoded"), [("..", "%2E%2E"), (".", "%2E"), ("a/../b", "a%2F..%2Fb")])
def test_dot_ids_stay_one_segment(client, calls, service_id, encoded):
    client.hosted_services.service_tokens.mint(service_id=service_id)
    assert calls[-1][1] == f"/api/v1/orgs/{ORG}/workspaces/{WS}/hosted-services/{encoded}/service-tokens"


def test_empty_id_is_refused_before_any_request(client, calls):
    with pytest.raises(CLIValidationError, match="must not be empty"):
        client.hosted_services.service_tokens.mint(service_id="")
    with pytest.raises(CLIValidationError):
        client.components.get("")
    assert calls == []
