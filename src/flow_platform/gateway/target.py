"""Where a gateway call goes, read once from the raw URL.

`/api/v1/orgs/{org}/services/{id}[/v{N}][/async]/{path}`. The raw path is split before
any segment is decoded, so an encoded "/" (`%2F`) can never move a segment past the
checks: the endpoint matched on the decoded `path` is the one the worker runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from ..domain.ids import INT32_MAX, ascii_number
from .auth import not_found

# What a "v²" or a "v99999999999" segment pins: numbering starts at 1, so no version has it.
NEVER_PUBLISHED = 0


@dataclass(frozen=True, slots=True)
class Target:
    org_id: str
    service_id: str
    pinned: int | None  # the /v{N} segment; NEVER_PUBLISHED when it names no version that can exist
    is_async: bool
    path: str  # decoded, always starting with "/"


def parse_target(raw_path: bytes) -> Target:
    """Split a gateway URL, or raise the unknown-service 404 for one that cannot name a service."""
    # ['', 'api', 'v1', 'orgs', org, 'services', id, rest...]
    parts = raw_path.decode("latin-1").split("/", 7)
    if len(parts) < 7:
        raise not_found()
    org_id, service_id = unquote(parts[4]), unquote(parts[6])
    if not service_id or "/" in org_id or "/" in service_id:
        raise not_found()
    rest_raw = parts[7] if len(parts) > 7 else ""

    pinned: int | None = None
    head_raw, _, tail_raw = rest_raw.partition("/")
    head = unquote(head_raw)
    first = head.partition("/")[0]
    if head != first and (first == "async" or version_number(first) is not None):
        raise not_found()  # an encoded "/" after a version or async segment
    number = version_number(head)
    if number is not None:
        pinned, rest_raw = number, tail_raw
        head_raw, _, tail_raw = rest_raw.partition("/")
        head = unquote(head_raw)
        if head.partition("/")[0] == "async" and head != "async":
            raise not_found()
    is_async = head == "async"
    if is_async:
        rest_raw = tail_raw
    return Target(org_id, service_id, pinned, is_async, "/" + unquote(rest_raw))


def version_number(segment: str) -> int | None:
    """`v12` -> 12; None when `segment` is not a version segment.

    `v` and digits of any script make a version segment: "v²" and "v①" are versions, just
    never published ones (NEVER_PUBLISHED), so no handler path can ever look like one.
    """
    if len(segment) < 2 or segment[0] != "v" or not segment[1:].isdigit():
        return None
    number = ascii_number(segment[1:], INT32_MAX)
    return NEVER_PUBLISHED if number is None else number
