"""Authentication end to end: API keys, token exchange, roles and tenant isolation."""

from __future__ import annotations

import uuid

import httpx
import pytest

from flow_sdk.cli_client import (
    CLIAuthenticationError,
    CLIClient,
    CLINotFoundError,
    CLIPermissionError,
    CLIValidationError,
)
from flow_sdk.config import FlowConfig


def test_spec_api_key_exchange_snippet_runs_verbatim(tenant, capsys):
    from flow_sdk.cli_client import CLIClient

    token = CLIClient.exchange_api_key(
        platform_url=tenant.url,
        api_key=tenant.api_key,
        ttl_minutes=60,
    )
    print(f"Token: {token[:20]}...")
    assert capsys.readouterr().out.startswith("Token: eyJ")


def test_token_acts_as_the_key(client, tenant):
    me = client.get_current_user()
    assert me["org_id"] == tenant.org_id
    assert me["workspace_id"] == tenant.workspace_id
    assert me["role"] == "admin"
    assert me["subject"] == tenant.api_key_id
    assert client.verify_credentials() is True
    assert [o["id"] for o in client.list_orgs()] == [tenant.org_id]
    assert [w["id"] for w in client.list_workspaces(org_id=tenant.org_id)] == [tenant.workspace_id]


def test_wrong_key_is_an_authentication_error(tenant):
    wrong = tenant.api_key[:-7] + ("A" if tenant.api_key[-7] != "A" else "B") + tenant.api_key[-6:]
    with pytest.raises(CLIAuthenticationError) as info:
        CLIClient.exchange_api_key(tenant.url, wrong)
    assert info.value.status_code == 401
    assert info.value.request_id


def test_viewer_on_admin_only_action_is_a_permission_error(make_client):
    viewer = make_client("viewer")
    assert viewer.get_current_user()["role"] == "viewer"
    with pytest.raises(CLIPermissionError) as info:
        viewer.api_keys.create(role="admin")
    assert info.value.code == "FORBIDDEN"


def test_builder_cannot_manage_keys_but_admin_can(make_client):
    admin = make_client("admin")
    created = admin.api_keys.create(role="builder", name="ci")
    assert created["api_key"].startswith("fl_") and created["role"] == "builder"
    listed = admin.api_keys.list()
    assert created["id"] in {k["id"] for k in listed}
    assert all("api_key" not in k for k in listed)
    with pytest.raises(CLIPermissionError):
        make_client("builder").api_keys.list()


def test_random_uuid_is_not_found(client):
    with pytest.raises(CLINotFoundError) as info:
        client.list_workspaces(str(uuid.uuid4()))
    assert info.value.code == "NOT_FOUND"


def test_other_org_ids_are_404_never_403(platform, client, make_client):
    other = platform.bootstrap()
    with pytest.raises(CLINotFoundError):
        client.list_workspaces(other.org_id)
    with pytest.raises(CLINotFoundError):
        client.api_keys.revoke(other.api_key_id)
    viewer = make_client("viewer")
    # A role that may not act gets the same 403 whether or not the id exists: no leak.
    for key_id in (other.api_key_id, str(uuid.uuid4())):
        with pytest.raises(CLIPermissionError):
            viewer.api_keys.revoke(key_id)
    r = httpx.get(
        f"{platform.url}/api/v1/orgs/{other.org_id}/api-keys",
        headers={"X-API-Key": platform.create_key(platform.bootstrap(), "admin")},
    )
    assert r.status_code == 404
    assert r.json()["code"] == "NOT_FOUND"


def test_malformed_id_is_404(client):
    with pytest.raises(CLINotFoundError):
        client.list_workspaces("not-a-uuid")


def test_revoked_key_ends_its_tokens(make_client, platform, tenant):
    admin = make_client("admin")
    created = admin.api_keys.create(role="viewer")
    token = CLIClient.exchange_api_key(tenant.url, created["api_key"])
    with CLIClient(FlowConfig(token, tenant.url, tenant.org_id, tenant.workspace_id)) as viewer:
        assert viewer.verify_credentials()
        admin.api_keys.revoke(created["id"])
        assert viewer.verify_credentials() is False
    with pytest.raises(CLIAuthenticationError):
        CLIClient.exchange_api_key(tenant.url, created["api_key"])


def test_x_api_key_wins_over_bearer(platform, tenant):
    good = httpx.get(
        f"{tenant.url}/api/v1/auth/me",
        headers={"X-API-Key": tenant.api_key, "Authorization": "Bearer not-a-token"},
    )
    assert good.status_code == 200 and good.json()["auth_method"] == "api_key"
    token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
    bad = httpx.get(
        f"{tenant.url}/api/v1/auth/me",
        headers={"X-API-Key": "fl_wrong", "Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 401


@pytest.mark.parametrize("ttl", [0, -5])
def test_non_positive_ttl_is_422(tenant, ttl):
    with pytest.raises(CLIValidationError) as info:
        CLIClient.exchange_api_key(tenant.url, tenant.api_key, ttl_minutes=ttl)
    assert info.value.status_code == 422
    assert info.value.body["details"][0]["field"] == "ttl_minutes"


def test_long_ttl_is_clamped_to_a_day(tenant):
    r = httpx.post(
        f"{tenant.url}/api/v1/auth/token", json={"ttl_minutes": 10**6}, headers={"X-API-Key": tenant.api_key}
    )
    assert r.status_code == 200
    assert r.json()["expires_in"] == 24 * 60 * 60


def test_error_body_shape_and_request_id_echo(platform):
    r = httpx.get(f"{platform.url}/api/v1/auth/me", headers={"X-Request-ID": "trace-123"})
    assert r.status_code == 401
    assert r.headers["x-request-id"] == "trace-123"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json() == {
        "code": "UNAUTHENTICATED",
        "message": "missing credentials: send a Bearer token or X-API-Key",
        "details": [],
        "request_id": "trace-123",
    }


def test_health_version_openapi(platform):
    assert platform.get("/health").json()["status"] == "ok"
    assert platform.get("/version").json()["api"] == "v1"
    spec = platform.get("/openapi.json").json()
    assert "/api/v1/auth/token" in spec["paths"]


def test_last_used_at_is_recorded(client, tenant):
    keys = {k["id"]: k for k in client.api_keys.list()}
    assert keys[tenant.api_key_id]["last_used_at"] is not None


def test_a_key_bound_to_a_workspace_manages_only_that_workspace_s_keys(client, tenant):
    # An admin key bound to workspace B must not mint an org-wide key (which reaches
    # workspace A), nor list or revoke keys outside B.
    base = f"{tenant.url}/api/v1/orgs/{tenant.org_id}"
    client._request("POST", f"/api/v1/orgs/{tenant.org_id}/workspaces", json={"name": "b"})
    ws_b = [w for w in client.list_workspaces(tenant.org_id) if w["name"] == "b"][0]["id"]
    bound = client.api_keys.create(role="admin", workspace_id=ws_b)
    other_b = client.api_keys.create(role="viewer", workspace_id=ws_b)
    headers = {"X-API-Key": bound["api_key"]}

    for body in ({"role": "admin"}, {"role": "admin", "workspace_id": tenant.workspace_id}):
        answer = httpx.post(f"{base}/api-keys", json=body, headers=headers, timeout=10)
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "FORBIDDEN"
    minted = httpx.post(f"{base}/api-keys", json={"role": "builder", "workspace_id": ws_b}, headers=headers, timeout=10)
    assert minted.status_code == 201, minted.text
    assert minted.json()["workspace_id"] == ws_b

    listed = httpx.get(f"{base}/api-keys", headers=headers, timeout=10).json()["items"]
    assert {k["id"] for k in listed} == {bound["id"], other_b["id"], minted.json()["id"]}

    refused = httpx.delete(f"{base}/api-keys/{tenant.api_key_id}", headers=headers, timeout=10)
    assert refused.status_code == 404, refused.text
    assert client.verify_credentials() is True
    assert tenant.api_key_id in {k["id"] for k in client.api_keys.list()}
    revoked = httpx.delete(f"{base}/api-keys/{other_b['id']}", headers=headers, timeout=10)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None


def test_a_key_bound_to_a_workspace_sees_and_creates_no_other_workspace(client, tenant):
    base = f"{tenant.url}/api/v1/orgs/{tenant.org_id}"
    client._request("POST", f"/api/v1/orgs/{tenant.org_id}/workspaces", json={"name": "b2"})
    ws_b = [w for w in client.list_workspaces(tenant.org_id) if w["name"] == "b2"][0]["id"]
    bound = client.api_keys.create(role="admin", workspace_id=ws_b)["api_key"]
    token = CLIClient.exchange_api_key(tenant.url, bound)
    for headers in ({"X-API-Key": bound}, {"Authorization": f"Bearer {token}"}):
        listed = httpx.get(f"{base}/workspaces", headers=headers, timeout=10)
        assert [w["id"] for w in listed.json()["items"]] == [ws_b]
        made = httpx.post(f"{base}/workspaces", json={"name": "sneaky"}, headers=headers, timeout=10)
        assert made.status_code == 403, made.text
        other = httpx.get(f"{base}/workspaces/{tenant.workspace_id}/components", headers=headers, timeout=10)
        assert other.status_code == 404
        switched = httpx.get(f"{tenant.url}/api/v1/auth/me", headers={**headers, "X-Workspace-ID": tenant.workspace_id})
        assert switched.status_code == 404
    assert all(w["name"] != "sneaky" for w in client.list_workspaces(tenant.org_id))
