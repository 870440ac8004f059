"""The gateway's security properties, over raw HTTP against the real platform."""

from __future__ import annotations

import http.client
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

from support.hosted import deploy

SECRET = 'def main(r):\n    return "secret"\n'
OK = 'def main(r):\n    return "ok"\n'


def raw_get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """GET `path` exactly as written (no client-side normalisation or re-encoding)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else {}
    finally:
        conn.close()


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


def test_a_workspace_bound_key_reaches_only_its_workspace(client, platform, tenant):
    from flow_platform.domain.api_keys import create_api_key
    from flow_platform.domain.tenancy import create_workspace

    sid = deploy(client, [{"path": "/health", "method": "GET", "source": OK}])["id"]
    with platform.session() as session:
        elsewhere = create_workspace(session, tenant.org_id, f"other-{uuid.uuid4().hex[:6]}").id
        bound_elsewhere = create_api_key(
            session, platform.settings, org_id=tenant.org_id, role="admin", workspace_id=elsewhere
        ).key
        bound_here = create_api_key(
            session, platform.settings, org_id=tenant.org_id, role="viewer", workspace_id=tenant.workspace_id
        ).key
    path = f"/api/v1/orgs/{tenant.org_id}/services/{sid}/health"
    unknown = without_request_id(raw_get(tenant.url, f"/api/v1/orgs/{tenant.org_id}/services/{uuid.uuid4()}/x")[1])
    assert raw_get(tenant.url, path, {"X-API-Key": bound_here}) == (200, "ok")
    status, body = raw_get(tenant.url, path, {"X-API-Key": bound_elsewhere})
    assert (status, body["code"]) == (404, unknown["code"])
    # ... and the same through an access token exchanged from that key
    token = httpx.post(f"{tenant.url}/api/v1/auth/token", json={"api_key": bound_elsewhere}, timeout=30)
    token.raise_for_status()
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    status, body = raw_get(tenant.url, path, bearer)
    assert (status, body["code"]) == (404, unknown["code"])
