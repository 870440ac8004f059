"""Platform URL handling shared by the client and the command line."""

from __future__ import annotations

API_PREFIX = "/api/v1"


def normalize_platform_url(url: str) -> str:
    """``https://host``, ``https://host/`` and ``https://host/api/v1/`` all mean the same."""
    url = url.strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"platform URL must start with http:// or https://, got {url!r}")
    return url
