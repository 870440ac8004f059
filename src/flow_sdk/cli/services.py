"""``flow-sdk services ...``: hosted services, their versions and endpoints, and calls to them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import click

from . import _context
from ._types import POSITIVE, FiniteFloat
from .output import emit, json_argument, json_option, print_json

SERVICE_COLUMNS = ["id", "slug", "name", "status", "latest_version", "execution_mode"]
VERSION_COLUMNS = ["id", "number", "status", "published_at"]
ENDPOINT_COLUMNS = ["id", "method", "path", "auth_mode", "timeout_seconds", "async_eligible"]
# Per-endpoint sandbox limits: option name, body key, the platform's maximum.
LIMIT_OPTIONS = (
    ("--memory-mb", "memory_mb", 4096),
    ("--cpu-seconds", "cpu_seconds", 24 * 3600),
    ("--processes", "processes", 4096),
    ("--open-files", "open_files", 65536),
    ("--file-size-mb", "file_size_mb", 1024),
)


def _limit_options(command: Any) -> Any:
    for flag, key, maximum in reversed(LIMIT_OPTIONS):
        command = click.option(
            flag, key, type=click.IntRange(1, maximum), help=f"Sandbox limit, 1 to {maximum}. Default: the platform's."
        )(command)
    return command


@click.group()
def services() -> None:
    """Hosted services: create, publish, call and read logs."""


@services.command("create")
@click.option("--slug", required=True, help="lowercase letters, digits and hyphens; immutable")
@click.option("--name", required=True)
@click.option("--mode", "execution_mode", type=click.Choice(["invocation", "persistent"]), default="invocation")
@click.option("--ring-id", help="Required for invocation mode.")
@click.option("--description", default="")
@json_option
def create(slug: str, name: str, execution_mode: str, ring_id: str | None, description: str, as_json: bool) -> None:
    """Create a service; it starts as a draft with an empty draft version 1."""
    data = {
        "slug": slug,
        "name": name,
        "execution_mode": execution_mode,
        "ring_id": ring_id,
        "description": description,
    }
    emit(_context.client().hosted_services.create(data), as_json)


@services.command("list")
@json_option
def list_(as_json: bool) -> None:
    emit(_context.client().hosted_services.list(), as_json, columns=SERVICE_COLUMNS)


@services.command("get")
@click.argument("service_id")
@json_option
def get(service_id: str, as_json: bool) -> None:
    emit(_context.client().hosted_services.get(service_id), as_json)


def _lifecycle(action: str, doc: str) -> None:
    @services.command(action, help=doc)
    @click.argument("service_id")
    @json_option
    def command(service_id: str, as_json: bool) -> None:
        emit(getattr(_context.client().hosted_services, action)(service_id), as_json)


_lifecycle("suspend", "Stop serving calls (503) until reactivated.")
_lifecycle("reactivate", "Serve calls again after a suspend.")
_lifecycle("archive", "Retire the service for good; calls answer 404.")


def _draft_version(client: Any, service_id: str) -> dict[str, Any]:
    versions = client.hosted_services.versions.list(service_id)
    drafts = [v for v in versions if v["status"] == "draft"]
    if not drafts:
        raise click.UsageError("the service has no draft version: run `flow-sdk services versions create` first")
    draft: dict[str, Any] = drafts[-1]
    return draft


@services.command("publish")
@click.argument("service_id")
@click.option("--version", "version", help="Version id or number. Default: the draft.")
@json_option
def publish(service_id: str, version: str | None, as_json: bool) -> None:
    """Freeze a draft version and start serving it."""
    client = _context.client()
    version_id = version or _draft_version(client, service_id)["id"]
    emit(client.hosted_services.versions.publish(service_id, version_id), as_json)


@services.command("skills")
@click.argument("service_id")
@click.option("--version", type=int, help="A published version number. Default: the latest.")
@json_option
def skills(service_id: str, version: int | None, as_json: bool) -> None:
    """The skills frozen with a published version: one per endpoint, with checksums."""
    bundle = _context.client().hosted_services.skills(service_id, version=version)
    if as_json:
        print_json(bundle)
        return
    click.echo(f"{bundle['service']['slug']} v{bundle['version']}  {bundle['checksum']}")
    rows = [
        {
            "name": s["manifest"]["name"],
            "method": s["http"]["method"],
            "path": s["http"]["path"],
            "auth": s["auth"]["mode"],
            "agent_tool": s["manifest"]["expose_as_agent_tool"],
            "checksum": s["checksum"][:19],
        }
        for s in bundle["skills"]
    ]
    emit(rows, False)


@services.command("logs")
@click.argument("service_id")
@click.option("--version", type=POSITIVE, help="Default: the latest published version.")
@click.option("--tail", type=click.IntRange(min=0), help="Only the last N lines (read from the end of the log).")
def logs(service_id: str, version: int | None, tail: int | None) -> None:
    """Print what the version's workers wrote to stdout and stderr."""
    click.echo(_context.client().hosted_services.logs(service_id, version=version, tail=tail), nl=False)


@services.command("invoke")
@click.argument("service_id")
@click.argument("method")
@click.argument("path")
@click.option("--body", help="JSON body, or @file.json.")
@click.option("--query", multiple=True, metavar="K=V", help="Query parameter; repeatable.")
@click.option("--version", type=POSITIVE, help="Pin the call to this published version.")
def invoke(
    service_id: str, method: str, path: str, body: str | None, query: tuple[str, ...], version: int | None
) -> None:
    """Call an endpoint and print its JSON result."""
    values: dict[str, list[str]] = {}
    for item in query:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected K=V, got {item!r}", param_hint="--query")
        values.setdefault(key, []).append(value)
    params = {k: v[0] if len(v) == 1 else v for k, v in values.items()}
    result = _context.client().invoke_service(
        service_id, method, path, body=json_argument(body, "--body"), query=params or None, version=version
    )
    print_json(result)


@services.group("versions")
def versions() -> None:
    """Versions of a service."""


@versions.command("list")
@click.argument("service_id")
@json_option
def versions_list(service_id: str, as_json: bool) -> None:
    emit(_context.client().hosted_services.versions.list(service_id), as_json, columns=VERSION_COLUMNS)


@versions.command("create")
@click.argument("service_id")
@json_option
def versions_create(service_id: str, as_json: bool) -> None:
    """Open a new draft version holding a copy of the latest version's endpoints."""
    emit(_context.client().hosted_services.versions.create(service_id), as_json)


@services.group("endpoints")
def endpoints() -> None:
    """Endpoints of a service version."""


@endpoints.command("add")
@click.argument("service_id")
@click.option(
    "--method", required=True, type=click.Choice(["GET", "POST", "PUT", "PATCH", "DELETE"], case_sensitive=False)
)
@click.option("--path", required=True, help="e.g. /analyze or /users/{user_id}")
@click.option("--file", "code_file", type=click.Path(exists=True, dir_okay=False), help="Python file with the handler.")
@click.option("--code-block-id", help="An existing codeblock component instead of --file.")
@click.option("--entrypoint", default="main", show_default=True)
@click.option("--version", "version", help="Version id or number. Default: the draft.")
@click.option(
    "--timeout",
    "timeout_seconds",
    type=FiniteFloat(min=0, max=300, min_open=True),
    help="Seconds (default 30, at most 300).",
)
@click.option("--auth-mode", type=click.Choice(["platform", "service_token", "public"]), default="platform")
@click.option("--async-eligible", is_flag=True)
@click.option("--request-schema", help="JSON Schema, or @file.json.")
@click.option("--response-schema", help="JSON Schema, or @file.json.")
@click.option("--name", default="")
@click.option("--agent-tool", "expose_as_agent_tool", is_flag=True, help="List it as a tool on the MCP server.")
@click.option("--tool-description", default="", help="What an agent reads about the tool.")
@_limit_options
@click.option(
    "--network",
    type=click.Choice(["none", "outbound"]),
    default="none",
    show_default=True,
    help="outbound: the version's worker may open network connections.",
)
@json_option
def endpoints_add(
    service_id: str,
    method: str,
    path: str,
    code_file: str | None,
    code_block_id: str | None,
    entrypoint: str,
    version: str | None,
    timeout_seconds: float | None,
    auth_mode: str,
    async_eligible: bool,
    request_schema: str | None,
    response_schema: str | None,
    name: str,
    expose_as_agent_tool: bool,
    tool_description: str,
    network: str,
    as_json: bool,
    **limits: int | None,
) -> None:
    """Add an endpoint to a draft version, with its code from a .py file (or a code block)."""
    if bool(code_file) == bool(code_block_id):
        raise click.UsageError("give exactly one of --file or --code-block-id")
    client = _context.client()
    version_id = version or _draft_version(client, service_id)["id"]
    if code_file:
        code_block_id = _publish_file(client, service_id, Path(code_file), entrypoint)
    data = {
        "method": method.upper(),
        "path": path,
        "code_block_id": code_block_id,
        "timeout_seconds": timeout_seconds,
        "auth_mode": auth_mode,
        "async_eligible": async_eligible,
        "request_schema": json_argument(request_schema, "--request-schema"),
        "response_schema": json_argument(response_schema, "--response-schema"),
        "name": name,
        "expose_as_agent_tool": expose_as_agent_tool,
        "tool_description": tool_description,
        "network": network,
    }
    chosen = {key: value for key, value in limits.items() if value is not None}
    if chosen:
        data["limits"] = chosen
    emit(client.hosted_services.endpoints.create(service_id, version_id, data), as_json)


@endpoints.command("list")
@click.argument("service_id")
@click.option("--version", "version", help="Version id or number. Default: the newest version.")
@json_option
def endpoints_list(service_id: str, version: str | None, as_json: bool) -> None:
    client = _context.client()
    version_id = version or client.hosted_services.versions.list(service_id)[-1]["id"]
    emit(client.hosted_services.endpoints.list(service_id, version_id), as_json, columns=ENDPOINT_COLUMNS)


def _publish_file(client: Any, service_id: str, path: Path, entrypoint: str) -> str:
    """The file as a codeblock component, named after the service and file, versioned by content."""
    from ..cli_client import CLIConflictError

    source = path.read_text()
    slug = client.hosted_services.get(service_id)["slug"]
    name = re.sub(r"[^A-Za-z0-9._-]", "-", f"{slug}-{path.stem}")[:200]
    # Same file, same component: the catalog is immutable, so the content picks the version.
    version = "1.0.0+" + hashlib.sha256(f"{entrypoint}\n{source}".encode()).hexdigest()[:12]
    data = {"name": name, "version": version, "source": source, "entrypoint": entrypoint}
    try:
        block_id: str = client.create_component("codeblock", data)["id"]
    except CLIConflictError:
        existing = [c for c in client.components.list(type="codeblock", name=name) if c["version"] == version]
        block_id = existing[0]["id"]
    return block_id
