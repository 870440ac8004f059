"""The raw HTTP/1.1 request the gateway sends a service worker."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

# RFC 9110 section 7.6.1, plus what the gateway sets itself or must never forward:
# the caller's platform credentials stay out of service code (claims carry identity).
NOT_FORWARDED = frozenset(
    b"connection keep-alive proxy-connection proxy-authenticate proxy-authorization te "
    b"trailer trailers transfer-encoding upgrade host content-length authorization "
    b"x-api-key x-request-id".split()
)


def quote_path(path: str) -> bytes:
    """A decoded path as a request target the worker decodes back to exactly `path`."""
    return quote(path, safe="/!$&'()*+,;=:@~-._").encode("ascii")


def build_request(
    method: str,
    target: bytes,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    request_id: str,
    claims: dict[str, Any],
    endpoint: int | None = None,
) -> bytes:
    """The raw HTTP/1.1 request for the worker, without hop-by-hop or credential headers.

    `endpoint` is the index of the endpoint the gateway matched: the worker runs that one.
    """
    skip = NOT_FORWARDED
    for name, value in headers:
        if name == b"connection":  # headers it names are hop-by-hop too
            skip = skip | {token.strip().lower() for token in value.split(b",")}
    lines = [method.encode(), b" ", target]
    if query:
        lines += [b"?", query]
    lines.append(b" HTTP/1.1\r\nhost: worker\r\nx-request-id: %s\r\n" % request_id.encode())
    for name, value in headers:
        if name not in skip and not name.startswith(b"x-flow-"):
            lines += [name, b": ", value, b"\r\n"]
    if claims:
        lines += [b"x-flow-claims: ", json.dumps(claims).encode(), b"\r\n"]
    if endpoint is not None:
        lines.append(b"x-flow-endpoint: %d\r\n" % endpoint)
    lines.append(b"content-length: %d\r\n\r\n" % len(body))
    lines.append(body)
    return b"".join(lines)


def forwarded_headers(headers: dict[bytes, bytes]) -> dict[str, str]:
    """The caller's headers an async job keeps for its worker call, as text."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items() if k not in NOT_FORWARDED}
