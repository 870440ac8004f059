"""Platform URL handling shared by the client and the command line.

Every API path is built by ``api_path``: each segment is percent-encoded on its own,
so an id can never add a segment (``/``) or climb out of its route (``.``/``..``).
"""

from __future__ import annotations

from urllib.parse import quote

from ._errors import CLIValidationError

API_PREFIX = "/api/v1"
# Characters a path may keep as they are (RFC 3986 pchar plus "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def normalize_platform_url(url: str) -> str:
    """``https://host``, ``https://host/`` and ``https://host/api/v1/`` all mean the same."""
    url = url.strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"platform URL must start with http:// or https://, got {url!r}")
    return url


def _no_dot_segment(segment: str) -> str:
    # "." and ".." would be resolved away by the HTTP client (RFC 3986 5.2.4) and so
    # climb out of the route; percent-encoded they stay one literal segment.
    return segment.replace(".", "%2E") if segment in (".", "..") else segment


def segment(value: object) -> str:
    """One path segment from a caller's value: it can never change the route."""
    text = str(value)
    if not text:
        raise CLIValidationError("an id in the request path must not be empty", code="EMPTY_ID")
    return _no_dot_segment(quote(text, safe=""))


def api_path(*segments: object) -> str:
    """``/api/v1/<seg>/<seg>...`` with every segment encoded by ``segment``."""
    return API_PREFIX + "".join("/" + segment(s) for s in segments)


def quote_path(path: str) -> str:
    """A caller's path (may hold several segments), quoted, with no dot segments."""
    return "/".join(_no_dot_segment(part) for part in quote(path, safe=_PATH_SAFE).split("/"))
