"""Gateway URLs, shared by ``CLIClient.invoke_service``, ``client.jobs`` and ``FlowSDK``."""

from __future__ import annotations

from .._urls import API_PREFIX, quote_path, segment


def gateway_path(org_id: str, service_id: str, path: str, version: int | None = None, *, async_: bool = False) -> str:
    """``/api/v1/orgs/{org}/services/{id}[/v{N}][/async]/{path}``."""
    if not path.startswith("/"):
        path = "/" + path
    url = f"{API_PREFIX}/orgs/{segment(org_id)}/services/{segment(service_id)}"
    if version is not None:
        url += f"/v{int(version)}"
    if async_:
        url += "/async"
    return url + quote_path(path)
