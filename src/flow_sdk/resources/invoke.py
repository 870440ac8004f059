"""Gateway URLs, shared by ``CLIClient.invoke_service``, ``client.jobs`` and ``FlowSDK``."""

from __future__ import annotations

from urllib.parse import quote

from .._urls import API_PREFIX

# Characters a path may keep as they are (RFC 3986 pchar plus "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def gateway_path(org_id: str, service_id: str, path: str, version: int | None = None, *, async_: bool = False) -> str:
    """``/api/v1/orgs/{org}/services/{id}[/v{N}][/async]/{path}``."""
    if not path.startswith("/"):
        path = "/" + path
    url = f"{API_PREFIX}/orgs/{quote(str(org_id), safe='')}/services/{quote(str(service_id), safe='')}"
    if version is not None:
        url += f"/v{int(version)}"
    if async_:
        url += "/async"
    return url + quote(path, safe=_PATH_SAFE)
