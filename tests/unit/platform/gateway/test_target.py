"""Reading a gateway URL: every shape of version segment, and what cannot name a service."""

from __future__ import annotations

import pytest

from flow_platform.gateway.auth import GatewayError
from flow_platform.gateway.target import Target, parse_target, version_number

BASE = "/api/v1/orgs/org-1/services/svc-1"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/health", Target("org-1", "svc-1", None, False, "/health")),
        ("/v2/health", Target("org-1", "svc-1", 2, False, "/health")),
        ("/async/jobs", Target("org-1", "svc-1", None, True, "/jobs")),
        ("/v3/async/jobs", Target("org-1", "svc-1", 3, True, "/jobs")),
        ("", Target("org-1", "svc-1", None, False, "/")),
        ("/a%20b", Target("org-1", "svc-1", None, False, "/a b")),
        # Other scripts' digits and numbers past the store's range name a version that cannot exist.
        ("/v%C2%B2/x", Target("org-1", "svc-1", 0, False, "/x")),
        ("/v%E2%91%A0/x", Target("org-1", "svc-1", 0, False, "/x")),
        ("/v9223372036854775808/x", Target("org-1", "svc-1", 0, False, "/x")),
        ("/v" + "9" * 5000 + "/x", Target("org-1", "svc-1", 0, False, "/x")),
    ],
)
def test_targets(url: str, expected: Target) -> None:
    assert parse_target((BASE + url).encode("ascii")) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orgs/org-1/services",
        "/api/v1/orgs/org-1/services/",
        "/api/v1/orgs/org%2F1/services/svc-1/x",
        "/api/v1/orgs/org-1/services/svc%2F1/x",
        BASE + "/v2%2Fhealth",  # an encoded "/" after a version segment
        BASE + "/async%2Fjobs",
        BASE + "/v2/async%2Fjobs",
    ],
)
def test_urls_that_name_no_service_are_the_unknown_service_404(url: str) -> None:
    with pytest.raises(GatewayError) as caught:
        parse_target(url.encode())
    assert (caught.value.status, caught.value.code) == (404, "SERVICE_NOT_FOUND")


@pytest.mark.parametrize(
    ("segment", "number"),
    [
        ("v1", 1),
        ("v007", 7),
        ("v", None),
        ("x1", None),
        ("v1a", None),
        ("v-1", None),
        ("v\u00b2", 0),
        ("v2147483648", 0),
    ],
)
def test_version_number(segment: str, number: int | None) -> None:
    assert version_number(segment) == number
