"""Gateway URLs, shared by ``CLIClient.invoke_service``, ``client.jobs`` and ``FlowSDK``."""

from __future__ import annotations

from .._urls import api_path, quote_path


def gateway_path(org_id: str, service_id: str, path: str, version: int | None = None, *, async_: bool = False) -> str:
    """``/api/v1/orgs/{org}/services/{id}[/v{N}][/async]/{path}``."""
    if not path.startswith("/"):
        path = "/" + path
    extra: list[str] = []
    if version is not None:
        extra.append(f"v{int(version)}")
    if async_:
        extra.append("async")
    return api_path("orgs", org_id, "services", service_id, *extra) + quote_path(path)
