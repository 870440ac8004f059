"""``AsyncCLIClient`` runs the spec's snippets, awaited, against the real platform."""

from __future__ import annotations

import asyncio

import pytest

from flow_sdk import AsyncCLIClient, CLIAuthenticationError, CLIClientError, CLINotFoundError
from flow_sdk.config import FlowConfig
from support.hosted import deploy

ANALYZE = 'def main(request):\n    return {"sentiment": "positive", "confidence": 0.92}\n'
STATUS = 'def main(request):\n    return {"version": 1}\n'
CODE = "def main(request=None):\n    return {'ok': True}\n"


@pytest.fixture
def config(client, tenant) -> FlowConfig:
    return FlowConfig(client.access_token, tenant.url, tenant.org_id, tenant.workspace_id)


def run(coro):
    return asyncio.run(coro)


def test_invoke_and_version_pinning(client, config):
    sid = deploy(
        client,
        [
            {"path": "/analyze", "method": "POST", "source": ANALYZE},
            {"path": "/status", "method": "GET", "source": STATUS},
        ],
    )["id"]

    async def main():
        async with AsyncCLIClient(config) as client:
            result = await client.invoke_service(
                service_id=sid,
                method="POST",
                path="/analyze",
                body={"text": "Analyze this document for sentiment."},
            )
            pinned = await client.invoke_service(service_id=sid, method="GET", path="/status", version=1)
            # Several calls at once share the pool.
            many = await asyncio.gather(
                *(client.invoke_service(service_id=sid, method="GET", path="/status") for _ in range(8))
            )
            return result, pinned, many

    result, pinned, many = run(main())
    assert result == {"sentiment": "positive", "confidence": 0.92}
    assert pinned == {"version": 1} and many == [{"version": 1}] * 8


def test_api_key_exchange_and_tenancy(tenant):
    async def main():
        token = await AsyncCLIClient.exchange_api_key(platform_url=tenant.url, api_key=tenant.api_key, ttl_minutes=60)
        async with AsyncCLIClient(FlowConfig(token, tenant.url, tenant.org_id, tenant.workspace_id)) as client:
            orgs = await client.list_orgs()
            workspaces = await client.list_workspaces(org_id=tenant.org_id)
            me = await client.get_current_user()
            return orgs, workspaces, me, await client.verify_credentials()

    orgs, workspaces, me, ok = run(main())
    assert [o["id"] for o in orgs] == [tenant.org_id]
    assert [w["id"] for w in workspaces] == [tenant.workspace_id]
    assert me["org_id"] == tenant.org_id and ok


def test_rings_components_and_deployments(config):
    async def main():
        async with AsyncCLIClient(config) as client:
            rings = await client.rings.list()
            ring_id = await client.rings.resolve("dev")
            component = await client.create_component(
                component_type="codeblock",
                data={"name": "my-processor", "version": "1.0.0", "source": CODE, "description": "Processes."},
            )
            deployment = await client.component_deployments.create(
                {
                    "ring_id": ring_id,
                    "deployment_notes": "release candidate",
                    "components": [{"component_id": component["id"], "component_type": "codeblock"}],
                }
            )
            deployment_id = deployment["deployments"][0]["id"]
            status = await client.component_deployments.status(deployment_id)
            settled = await client.component_deployments.wait(deployment_id, timeout=60)
            return rings, ring_id, status, settled

    rings, ring_id, status, settled = run(main())
    assert [r["name"] for r in rings][:3] == ["dev", "staging", "production"]
    assert ring_id == rings[0]["id"]
    assert status["status"] in {"queued", "building", "deploying", "validating", "active"}
    assert settled["status"] == "active"


def test_service_tokens_and_ddl(client, config):
    sid = deploy(client, [{"path": "/status", "method": "GET", "source": STATUS}])["id"]

    async def main():
        async with AsyncCLIClient(config) as client:
            tokens = client.hosted_services.service_tokens
            token_result = await tokens.mint(
                service_id=sid, claims={"tenant_id": "t-123", "role": "reader"}, ttl_minutes=120
            )
            await tokens.revoke(
                service_id=sid,
                jti=token_result["jti"],
                expires_at=token_result["expires_at"],
                reason="No longer needed",
            )
            await tokens.revoke_all(service_id=sid, reason="Rotating credentials")
            revocations = await tokens.list_revocations(service_id=sid, include_expired=False)
            instance = await client.connector_instances.create({"connector": "sqlite", "instance_name": "local"})
            preview = await client.execute_ddl(
                instance_id=instance["id"], sql="CREATE TABLE events (id TEXT, payload JSON)", confirm=False
            )
            result = await client.execute_ddl(
                instance_id=instance["id"],
                sql="CREATE TABLE events (id TEXT, payload JSON)",
                confirm=True,
                reason="Setting up event storage",
            )
            return token_result, revocations, preview, result

    token_result, revocations, preview, result = run(main())
    assert token_result["token"].startswith("fl_hsl_")
    assert {r["jti"] for r in revocations} >= {token_result["jti"]}
    assert preview["error"] is None and result["outcome"] == "succeeded"


def test_errors_are_the_sync_clients(config, tenant):
    async def main():
        async with AsyncCLIClient(config) as client:
            with pytest.raises(CLINotFoundError) as missing:
                await client.invoke_service(service_id="nonexistent-uuid", method="GET", path="/health")
        bad = FlowConfig("not-a-jwt", tenant.url, tenant.org_id, tenant.workspace_id)
        async with AsyncCLIClient(bad) as client:
            with pytest.raises(CLIAuthenticationError):
                await client.rings.list()
            assert await client.verify_credentials() is False
        return missing.value

    err = run(main())
    assert isinstance(err, CLIClientError) and err.status_code == 404 and err.request_id
