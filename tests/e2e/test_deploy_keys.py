"""Authentication as documented: X-API-Key token exchange, the owner's email, deploy keys."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import httpx
import pytest

from flow_sdk.cli_client import CLIClient, CLINotFoundError, CLIPermissionError
from flow_sdk.config import FlowConfig
from support.deployments import CODE, codeblock, deploy, wait_for
from support.hosted import deploy as deploy_service

FINAL = {"active", "failed", "rolled_back"}


def _client_for(tenant, key: str) -> CLIClient:
    token = CLIClient.exchange_api_key(tenant.url, key)
    return CLIClient(
        FlowConfig(access_token=token, platform_url=tenant.url, org_id=tenant.org_id, workspace_id=tenant.workspace_id)
    )


def test_docs_curl_token_exchange_takes_the_key_header_and_no_body(tenant):
    r = httpx.post(f"{tenant.url}/api/v1/auth/token", headers={"X-API-Key": tenant.api_key}, timeout=10)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = httpx.get(f"{tenant.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.json()["email"] is None and me.json()["kind"] == "org"


def test_me_carries_the_key_owners_email(tenant, client):
    made = client.api_keys.create(role="builder", email="ada@example.com")
    assert made["email"] == "ada@example.com"
    other = _client_for(tenant, made["api_key"])
    me = other.get_current_user()
    print(f"Logged in as: {me['email']}")
    assert me["email"] == "ada@example.com"
    assert client.get_current_user()["email"] is None
    other.close()


def test_cli_mints_deploy_keys_and_emails(platform, tenant):
    def run(*args: str) -> dict:
        r = subprocess.run(
            [sys.executable, "-m", "flow_platform", *args, "--json"],
            env=platform.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        result: dict = json.loads(r.stdout)
        return result

    made = run(
        "api-keys", "create", "--org", tenant.org_id, "--role", "builder", "--kind", "deploy",
        "--workspace", tenant.workspace_id, "--email", "ci@example.com",
    )  # fmt: skip
    assert made["api_key"].startswith("fl_deploy_") and made["kind"] == "deploy"
    with _client_for(tenant, made["api_key"]) as ci:
        me = ci.get_current_user()
    assert (me["email"], me["kind"], me["workspace_id"]) == ("ci@example.com", "deploy", tenant.workspace_id)
    boot = run("bootstrap", "--org", f"org-{uuid.uuid4().hex[:6]}", "--email", "root@example.com")
    r = httpx.post(f"{tenant.url}/api/v1/auth/token", headers={"X-API-Key": boot["api_key"]}, timeout=10)
    me2 = httpx.get(
        f"{tenant.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}, timeout=10
    )
    assert me2.json()["email"] == "root@example.com"


def test_a_deploy_key_needs_a_workspace(client):
    from flow_sdk.cli_client import CLIValidationError

    with pytest.raises(CLIValidationError):
        client.api_keys.create(role="builder", kind="deploy")


def test_deploy_key_deploys_and_promotes_in_its_workspace_only(platform, tenant, client):
    minted = client.api_keys.create(role="builder", kind="deploy", workspace_id=tenant.workspace_id, name="ci")
    assert minted["api_key"].startswith("fl_deploy_")
    ci = _client_for(tenant, minted["api_key"])
    dev, staging, production = (ci.rings.resolve(n) for n in ("dev", "staging", "production"))
    component = codeblock(client, CODE)
    service = deploy_service(client, [{"path": "/x", "method": "GET", "source": CODE}])

    on_dev = wait_for(ci.component_deployments, deploy(ci, component, dev)["id"], FINAL)
    assert on_dev["status"] == "active" and on_dev["created_by"] == minted["id"]
    promoted = ci.component_deployments.promote(on_dev["id"], staging)
    assert wait_for(ci.component_deployments, promoted["id"], FINAL)["status"] == "active"
    # A builder's deploy key stops before production, as its creator's builders do.
    with pytest.raises(CLIPermissionError):
        ci.component_deployments.promote(promoted["id"], production)
    rolled = ci.component_deployments.rollback(promoted["id"])
    assert rolled["status"] in {"rolling_back", "rolled_back"}

    # Every other write is a 403.
    writes = [
        lambda: codeblock(ci, CODE),
        lambda: ci.hosted_services.create({"slug": "s-ci", "name": "s", "execution_mode": "persistent"}),
        lambda: ci.hosted_services.service_tokens.mint(service_id=service["id"]),
        lambda: ci.execute_ddl(str(uuid.uuid4()), "CREATE TABLE t (id INT)", confirm=True),
        lambda: ci.api_keys.create(role="builder"),
        lambda: ci.hosted_services.archive(service["id"]),
    ]
    for write in writes:
        with pytest.raises(CLIPermissionError) as info:
            write()
        assert info.value.code == "FORBIDDEN"
    # The gateway refuses it too: it is not a credential for calling services.
    r = httpx.get(
        f"{tenant.url}/api/v1/orgs/{tenant.org_id}/services/{service['id']}/x",
        headers={"X-API-Key": minted["api_key"]},
        timeout=30,
    )
    assert r.status_code == 403, r.text

    # Another workspace of the same org is a 404.
    other_ws = client._request("POST", f"/api/v1/orgs/{tenant.org_id}/workspaces", json={"name": "other"})
    with pytest.raises(CLINotFoundError):
        ci._request("GET", f"/api/v1/orgs/{tenant.org_id}/workspaces/{other_ws['id']}/component-deployments")
    ci.close()


def test_an_admin_deploy_key_reaches_production(tenant, client):
    minted = client.api_keys.create(role="admin", kind="deploy", workspace_id=tenant.workspace_id)
    ci = _client_for(tenant, minted["api_key"])
    production = ci.rings.resolve("production")
    on_prod = wait_for(ci.component_deployments, deploy(ci, codeblock(client, CODE), production)["id"], FINAL)
    assert on_prod["status"] == "active"
    ci.close()
