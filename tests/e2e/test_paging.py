"""Lists that page: 1,000 components come back whole through both clients, in pages."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from flow_sdk import AsyncCLIClient, CLIClient, CLIValidationError
from flow_sdk.config import FlowConfig

COUNT = 1000


@pytest.fixture(scope="module")
def big(platform):
    """One tenant holding 1,000 components, shared by this module's tests (they only read)."""
    from flow_platform.domain.components import create_component

    tenant = platform.bootstrap()
    with platform.session() as session:
        for i in range(COUNT):
            create_component(
                session,
                workspace_id=tenant.workspace_id,
                created_by="test",
                component_type="prompt",
                name=f"p{i:04d}",
                version="1.0.0",
                config={"template": "x"},
            )
    token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
    config = FlowConfig(token, tenant.url, tenant.org_id, tenant.workspace_id)
    return tenant, config, {f"p{i:04d}" for i in range(COUNT)}


def _counting(calls: list[httpx.URL]):
    def hook(request: httpx.Request) -> None:
        calls.append(request.url)

    return hook


def test_sync_client_follows_the_cursor(big):
    _, config, thousand = big
    calls: list[httpx.URL] = []
    with httpx.Client(event_hooks={"request": [_counting(calls)]}) as http:
        client = CLIClient(config, http_client=http)
        items = client.components.list()
        assert len(items) == COUNT and {c["name"] for c in items} == thousand
        assert len(calls) == 2  # 500 a page
        assert [c["name"] for c in client.components.iter(page_size=300)] == sorted(thousand)
        assert len(calls) == 2 + 4


def test_async_client_follows_the_cursor(big):
    _, config, thousand = big

    async def main() -> tuple[list[dict], list[str]]:
        async with AsyncCLIClient(config) as client:
            every = await client.components.list()
            names = [c["name"] async for c in client.components.iter(page_size=250)]
            return every, names

    every, names = asyncio.run(main())
    assert len(every) == COUNT and {c["name"] for c in every} == thousand
    assert names == sorted(thousand)


def test_pages_on_the_wire(platform, big):
    tenant, config, thousand = big
    headers = {"Authorization": f"Bearer {config.access_token}"}
    path = f"/api/v1/orgs/{tenant.org_id}/workspaces/{tenant.workspace_id}/components"
    first = platform.get(path, headers=headers).json()
    assert len(first["items"]) == 100 and first["next_cursor"]  # the default page size
    seen = [c["name"] for c in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = platform.get(path, headers=headers, params={"limit": 1000, "cursor": cursor}).json()
        seen += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(thousand)
    bad = platform.get(path, headers=headers, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["code"] == "BAD_REQUEST"
    assert platform.get(path, headers=headers, params={"limit": 0}).status_code == 422


def test_openapi_documents_limit_and_cursor(platform):
    spec = platform.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        get = item.get("get")
        if not get:
            continue
        schema = get["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/Page_"):
            names = {p["name"] for p in get.get("parameters", [])}
            assert {"limit", "cursor"} <= names, path
            assert "next_cursor" in spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]


def test_an_empty_id_never_reaches_the_server(client):
    with pytest.raises(CLIValidationError):
        client.components.get("")
