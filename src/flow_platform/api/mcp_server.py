"""A Model Context Protocol server per workspace, for the endpoints published as agent tools.

``/api/v1/orgs/{org_id}/workspaces/{workspace_id}/mcp`` speaks MCP over the streamable
HTTP transport (the official ``mcp`` SDK, stateless: every request carries the caller's
own platform credentials, ``Authorization: Bearer`` or ``X-API-Key``).

- ``tools/list``: the endpoints marked ``expose_as_agent_tool`` in the latest published
  version of each active service of the workspace, read from the version's frozen skill
  snapshot (description and input schema). A caller who may not read the workspace
  gets no tools.
- ``tools/call``: calls the endpoint through the gateway, in process, with the caller's
  credentials, so every gateway rule (auth mode, schemas, timeouts, 404s) holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import mcp.types as types
from fastapi import FastAPI
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from sqlalchemy import select
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..domain.errors import DomainError, NotFound
from ..domain.roles import Role
from ..domain.tenancy import read_workspace
from ..platform import Platform
from ..runtime.bundle import PARAM_SEGMENT
from ..store.tables import HostedService, ServiceVersion
from .deps import get_any_principal, refuse_deploy_key

PATH = "/api/v1/orgs/{org_id}/workspaces/{workspace_id}/mcp"
_FORWARDED = ("authorization", "x-api-key", "x-request-id")


@dataclass(frozen=True)
class Tool:
    name: str
    service_id: str
    skill: dict[str, Any]


def _tool_name(slug: str, skill_name: str) -> str:
    return f"{slug}__{skill_name}"[:64]


def read_tools(platform: Platform, request: Request) -> list[Tool]:
    """The workspace's agent tools the caller may see; none when it may not read the workspace."""
    with platform.sessions() as session:
        principal = get_any_principal(request, session, platform.settings)  # a bad credential is an error
        try:
            refuse_deploy_key(principal)
            if request.path_params["org_id"] != principal.org_id:
                return []
            ws = read_workspace(session, principal.org_id, request.path_params["workspace_id"])
        except DomainError:
            return []
        if principal.bound_workspace not in (None, ws.id) or not principal.role.allows(Role.VIEWER):
            return []
        services = session.scalars(
            select(HostedService).where(HostedService.workspace_id == ws.id, HostedService.status == "active")
        )
        tools = []
        for service in services:
            latest = session.scalar(
                select(ServiceVersion)
                .where(ServiceVersion.service_id == service.id, ServiceVersion.status == "published")
                .order_by(ServiceVersion.number.desc())
                .limit(1)
            )
            snapshot = latest.skill_snapshot if latest is not None else None
            for skill in (snapshot or {}).get("skills", []):
                if skill["manifest"]["expose_as_agent_tool"]:
                    tools.append(Tool(_tool_name(service.slug, skill["manifest"]["name"]), service.id, skill))
        return tools


def _http_request(server: Server[Any, Any]) -> Request:
    request = server.request_context.request
    if not isinstance(request, Request):
        raise RuntimeError("the MCP server answers over HTTP only")
    return request


def build_server() -> Server[Any, Any]:
    server: Server[Any, Any] = Server(
        "flow-platform", instructions="Hosted-service endpoints of this workspace, published as agent tools."
    )

    @server.list_tools()  # type: ignore[no-untyped-call,untyped-decorator]
    async def list_tools() -> list[types.Tool]:
        request = _http_request(server)
        tools = await asyncio.to_thread(read_tools, request.app.state.platform, request)
        return [
            types.Tool(
                name=tool.name,
                title=tool.skill["manifest"]["title"],
                description=tool.skill["manifest"]["description"],
                inputSchema=tool.skill["input_schema"],
            )
            for tool in tools
        ]

    # The gateway validates the body against the endpoint's own schema, with its own error body.
    @server.call_tool(validate_input=False)  # type: ignore[untyped-decorator]
    async def call_tool(name: str, arguments: dict[str, Any]) -> Any:
        request = _http_request(server)
        tools = await asyncio.to_thread(read_tools, request.app.state.platform, request)
        tool = next((t for t in tools if t.name == name), None)
        if tool is None:
            raise NotFound(f"no tool named {name!r} in this workspace")
        return await _invoke(request, tool, arguments or {})

    return server


async def _invoke(request: Request, tool: Tool, arguments: dict[str, Any]) -> Any:
    """One call through the gateway (in process), as the caller."""
    http = tool.skill["http"]
    params = arguments.get("path_params") or {}
    try:
        path = PARAM_SEGMENT.sub(lambda m: quote(str(params[m.group(1)]), safe=""), http["path"])
    except KeyError as missing:
        raise ValueError(f"path_params.{missing.args[0]} is required") from None
    headers = {k: v for k, v in request.headers.items() if k in _FORWARDED}
    body = arguments.get("body") if http["method"] != "GET" else None
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://platform") as client:
        response = await client.request(
            http["method"],
            f"/api/v1/orgs/{request.path_params['org_id']}/services/{tool.service_id}{path}",
            params=arguments.get("query") or None,
            json=body,
            headers=headers,
            timeout=None,  # the gateway enforces the endpoint's own timeout
        )
    answer = response.json() if response.content else None
    if response.status_code >= 400:
        raise RuntimeError(f"{response.status_code} {json.dumps(answer)}")
    if isinstance(answer, dict):
        return answer
    return [types.TextContent(type="text", text=json.dumps(answer))]


class McpEndpoint:
    """The ASGI app routed at ``PATH``; its session manager runs for the app's lifetime."""

    def __init__(self) -> None:
        self.manager = StreamableHTTPSessionManager(app=build_server(), stateless=True, json_response=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.manager.handle_request(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield


def install(app: FastAPI) -> McpEndpoint:
    """Route ``PATH`` (any method: the transport uses POST, GET and DELETE) to the MCP endpoint."""
    endpoint = McpEndpoint()
    app.router.routes.append(Route(PATH, endpoint=endpoint, include_in_schema=False))
    return endpoint
