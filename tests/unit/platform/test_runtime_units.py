"""Bundles, routing, the schema subset and the raw request the gateway builds."""

from __future__ import annotations

import pytest

from flow_platform.gateway.forward import build_request
from flow_platform.runtime.bundle import Bundle, EndpointSpec, RouteMiss, Router
from flow_platform.runtime.schema import unsupported_keywords, validate
from flow_sdk.runtime import HTTPError


def test_router_static_templated_and_misses():
    router = Router(
        [
            EndpointSpec("GET", "/users/{user_id}", ""),
            EndpointSpec("DELETE", "/users/{user_id}", ""),
            EndpointSpec("GET", "/health", ""),
            EndpointSpec("GET", "/a.b", ""),
        ]
    )
    assert router.match("GET", "/users/u1") == (0, {"user_id": "u1"})
    assert router.match("DELETE", "/users/u1") == (1, {"user_id": "u1"})
    assert router.match("GET", "/health") == (2, {})
    with pytest.raises(RouteMiss) as miss:
        router.match("POST", "/users/u1")
    assert miss.value.status == 405 and miss.value.allowed == ("DELETE", "GET")
    for path in ("/users/u1/extra", "/users/", "/aXb", "/nope"):
        with pytest.raises(RouteMiss) as miss:
            router.match("GET", path)
        assert miss.value.status == 404


def test_bundle_round_trip():
    bundle = Bundle(
        "s",
        3,
        (EndpointSpec("GET", "/x", "src", request_schema={"type": "object"}),),
        org_id="o",
        env={"A": "1"},
    )
    assert Bundle.loads(bundle.dumps()) == bundle


def test_schema_subset():
    schema = {
        "type": "object",
        "required": ["text"],
        "additionalProperties": False,
        "properties": {
            "text": {"type": "string", "minLength": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
            "n": {"type": "integer", "minimum": 0},
            "mode": {"enum": ["a", "b"]},
        },
    }
    assert validate({"text": "x", "tags": ["a"], "n": 2, "mode": "a"}, schema) == []
    errors = validate({"tags": ["a", 1, "c"], "n": True, "mode": "z", "extra": 1}, schema)
    locs = sorted(tuple(e["loc"]) for e in errors)
    assert locs == [("extra",), ("mode",), ("n",), ("tags",), ("tags", 1), ("text",)]
    assert validate(None, {"type": "object"}) != []
    assert validate(1.0, {"type": "integer"}) == []
    assert unsupported_keywords({"type": "object", "oneOf": [], "properties": {"a": {"$ref": "#"}}}) == [
        "/oneOf",
        "/properties/a/$ref",
    ]


def test_build_request_strips_hop_by_hop_and_credentials():
    raw = build_request(
        "POST",
        b"/x",
        b"a=1",
        [
            (b"host", b"h"),
            (b"authorization", b"Bearer t"),
            (b"x-api-key", b"fl_k"),
            (b"connection", b"close, x-secret"),
            (b"x-secret", b"1"),
            (b"transfer-encoding", b"chunked"),
            (b"x-flow-claims", b"{}"),
            (b"accept", b"*/*"),
        ],
        b"{}",
        "rid",
        {"tenant": "t"},
    )
    head = raw.split(b"\r\n\r\n")[0].decode()
    assert head.startswith("POST /x?a=1 HTTP/1.1\r\n")
    lowered = head.lower()
    for gone in ("authorization", "x-api-key", "connection", "x-secret", "transfer-encoding"):
        assert f"\r\n{gone}:" not in lowered
    assert 'x-flow-claims: {"tenant": "t"}' in head and "x-request-id: rid" in head
    assert "content-length: 2" in head and "accept: */*" in head


def test_http_error_defaults():
    err = HTTPError(404, "gone")
    assert (err.status, err.code, err.message, err.details) == (404, "NOT_FOUND", "gone", [])
    with pytest.raises(ValueError):
        HTTPError(200, "fine")


def test_route_epoch_is_shared_through_its_file(tmp_path):
    from flow_platform.gateway.routes import RouteEpoch

    writer, reader = RouteEpoch(tmp_path / "epoch"), RouteEpoch(tmp_path / "epoch")
    seen = reader()
    for _ in range(3):  # back-to-back bumps are each visible, however close together
        writer.bump()
        now = reader()
        assert now != seen
        seen = now
    assert reader() == seen
    writer.close()
    reader.close()
