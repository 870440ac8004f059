"""The per-workspace MCP server, driven by the official mcp SDK's own client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from support.hosted import deploy

ANALYZE = """
def main(request):
    return {"user": request["path_params"]["user_id"], "words": len(request["body"]["text"].split())}
"""
HEALTH = 'def main(request):\n    return {"status": "ok"}\n'
SCHEMA = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}


def _mcp(tenant, headers: dict[str, str], work: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    url = f"{tenant.url}/api/v1/orgs/{tenant.org_id}/workspaces/{tenant.workspace_id}/mcp"

    async def run() -> Any:
        async with httpx.AsyncClient(headers=headers, timeout=60) as http:
            async with streamable_http_client(url, http_client=http) as (read, write, _):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await work(session)

    return asyncio.run(run())


def test_mcp_lists_exactly_the_agent_tools_and_calls_them_through_the_gateway(platform, tenant, client):
    service = deploy(
        client,
        [
            {
                "path": "/users/{user_id}/analyze",
                "method": "POST",
                "source": ANALYZE,
                "request_schema": SCHEMA,
                "expose_as_agent_tool": True,
                "tool_description": "Count the words of a user's text",
            },
            {"path": "/health", "method": "GET", "source": HEALTH},
        ],
    )
    admin = {"X-API-Key": tenant.api_key}
    listed = _mcp(tenant, admin, lambda s: s.list_tools())
    assert [t.name for t in listed.tools] == [f"{service['slug']}__post_users_user_id_analyze"]
    tool = listed.tools[0]
    assert tool.description == "Count the words of a user's text"
    assert tool.inputSchema["properties"]["body"] == SCHEMA
    assert tool.inputSchema["properties"]["path_params"]["required"] == ["user_id"]

    arguments = {"path_params": {"user_id": "u-7"}, "body": {"text": "three little words"}}
    result = _mcp(tenant, admin, lambda s: s.call_tool(tool.name, arguments))
    assert not result.isError, result
    assert result.structuredContent == {"user": "u-7", "words": 3}

    # Gateway rules hold: the endpoint's request schema refuses a body without "text".
    refused = _mcp(tenant, admin, lambda s: s.call_tool(tool.name, {"path_params": {"user_id": "u"}, "body": {}}))
    assert refused.isError and "422" in refused.content[0].text
    unknown = _mcp(tenant, admin, lambda s: s.call_tool("nope", {}))
    assert unknown.isError

    # A bearer token works as well as a key.
    token = httpx.post(f"{tenant.url}/api/v1/auth/token", headers=admin, timeout=10).json()["access_token"]
    with_token = _mcp(tenant, {"Authorization": f"Bearer {token}"}, lambda s: s.list_tools())
    assert [t.name for t in with_token.tools] == [tool.name]


def test_a_viewer_of_another_workspace_gets_no_tools(platform, tenant, client):
    deploy(
        client,
        [{"path": "/x", "method": "POST", "source": HEALTH, "expose_as_agent_tool": True}],
    )
    other_ws = client._request("POST", f"/api/v1/orgs/{tenant.org_id}/workspaces", json={"name": "elsewhere"})
    viewer = client.api_keys.create(role="viewer", workspace_id=other_ws["id"])
    listed = _mcp(tenant, {"X-API-Key": viewer["api_key"]}, lambda s: s.list_tools())
    assert listed.tools == []
    outsider = platform.bootstrap()
    assert _mcp(tenant, {"X-API-Key": outsider.api_key}, lambda s: s.list_tools()).tools == []
    # A viewer of the workspace sees the tool.
    mine = client.api_keys.create(role="viewer", workspace_id=tenant.workspace_id)
    assert len(_mcp(tenant, {"X-API-Key": mine["api_key"]}, lambda s: s.list_tools()).tools) == 1
