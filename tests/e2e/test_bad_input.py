"""Inputs that once reached the store or int() unchecked: each is a 404 or a 422 with the one error body."""

from __future__ import annotations

import uuid

import httpx
import pytest

from support.hosted import deploy

ECHO = "def main(request):\n    return {'ok': True}\n"
BAD_VERSIONS = ["²", "①", "٣", str(2**63), str(10**30), "0" * 5000]


def _error(answer: httpx.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"code", "message", "details", "request_id"}
    assert body["code"] == code
    assert body["request_id"] == answer.headers["x-request-id"]
    return body


@pytest.fixture
def http(tenant):
    with httpx.Client(base_url=tenant.url, headers={"X-API-Key": tenant.api_key}, timeout=30) as client:
        yield client


@pytest.fixture
def ws(tenant) -> str:
    return f"/api/v1/orgs/{tenant.org_id}/workspaces/{tenant.workspace_id}"


@pytest.fixture
def service(client) -> dict:
    return deploy(client, [{"path": "/echo", "method": "GET", "source": ECHO, "auth_mode": "public"}])


def test_gateway_answers_any_version_segment_like_an_unknown_service(tenant, http, service):
    gateway = f"/api/v1/orgs/{tenant.org_id}/services"
    assert httpx.get(f"{tenant.url}{gateway}/{service['id']}/v1/echo").status_code == 200
    unknown = httpx.get(f"{tenant.url}{gateway}/{uuid.uuid4()}/echo").json()
    assert unknown["code"] == "SERVICE_NOT_FOUND"

    def same_as_unknown(answer: httpx.Response) -> None:
        body = _error(answer, 404, "SERVICE_NOT_FOUND")
        assert body["message"] == unknown["message"] and body["details"] == unknown["details"]

    for segment in ["v²", "v①", "v٣", f"v{2**63}", f"v{10**30}", "v0"]:
        for sid in (service["id"], str(uuid.uuid4()), "not-a-uuid", "%00"):
            # Before authentication: nothing tells an existing service from an unknown one.
            same_as_unknown(httpx.get(f"{tenant.url}{gateway}/{sid}/{segment}/echo"))
            if sid != service["id"]:
                same_as_unknown(http.get(f"{gateway}/{sid}/{segment}/echo"))
        # A member of the org learns why: that version does not exist.
        _error(http.get(f"{gateway}/{service['id']}/{segment}/echo"), 404, "VERSION_NOT_FOUND")


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_version_routes_answer_404_for_numbers_that_cannot_exist(http, ws, service, version):
    base = f"{ws}/hosted-services/{service['id']}/versions/{version}"
    _error(http.get(f"{base}/endpoints"), 404, "VERSION_NOT_FOUND")
    _error(http.post(f"{base}/publish"), 404, "VERSION_NOT_FOUND")


@pytest.mark.parametrize("position", [2**63, 10**30, -1, 2**31])
def test_ring_position_beyond_the_store_is_422(http, ws, position):
    body = _error(http.post(f"{ws}/rings", json={"name": "far", "position": position}), 422, "VALIDATION_ERROR")
    assert body["details"][0]["field"] == "body.position"


@pytest.mark.parametrize("ttl", [2**63, 10**30])
def test_huge_ttls_are_422(tenant, http, ws, service, ttl):
    _error(
        httpx.post(f"{tenant.url}/api/v1/auth/token", json={"api_key": tenant.api_key, "ttl_minutes": ttl}),
        422,
        "VALIDATION_ERROR",
    )
    tokens = f"{ws}/hosted-services/{service['id']}/service-tokens"
    _error(http.post(tokens, json={"ttl_minutes": ttl}), 422, "VALIDATION_ERROR")
    _error(http.get(f"{ws}/hosted-services/{service['id']}/logs", params={"tail": ttl}), 422, "VALIDATION_ERROR")
    _error(http.get(f"{ws}/hosted-services/{service['id']}/logs", params={"version": ttl}), 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("name", ["nul\x00inside", "line\nbreak", "bell\x07", "x" * 201])
def test_names_with_control_characters_or_too_long_are_422(tenant, http, ws, name):
    org = f"/api/v1/orgs/{tenant.org_id}"
    for path, body in [
        (f"{org}/workspaces", {"name": name}),
        (f"{ws}/rings", {"name": name}),
        (f"{ws}/components", {"component_type": "codeblock", "name": name, "version": "1.0.0", "source": ECHO}),
        (f"{ws}/hosted-services", {"slug": "ok-slug", "name": name, "execution_mode": "persistent"}),
        (f"{ws}/connector-instances", {"connector": "sqlite", "instance_name": name}),
        (f"{org}/api-keys", {"role": "viewer", "name": name}),
    ]:
        answer = _error(http.post(path, json=body), 422, "VALIDATION_ERROR")
        assert answer["details"], path


def test_nul_anywhere_in_a_body_query_or_path_name_is_422(http, ws, service):
    body = _error(
        http.post(f"{ws}/components", json={"component_type": "codeblock", "name": "n", "config": {"k": ["a\x00"]}}),
        422,
        "VALIDATION_ERROR",
    )
    assert "config.k.0" in body["message"]
    tokens = f"{ws}/hosted-services/{service['id']}/service-tokens"
    _error(http.post(tokens, json={"claims": {"tenant\x00": 1}}), 422, "VALIDATION_ERROR")
    _error(http.post(f"{tokens}/revoke", json={"jti": "j", "reason": "a\x00b"}), 422, "VALIDATION_ERROR")
    _error(http.get(f"{ws}/components", params={"name": "a\x00b"}), 422, "VALIDATION_ERROR")
    _error(http.get(f"{ws}/component-deployments", params={"status": "a\x00b"}), 422, "VALIDATION_ERROR")
    _error(http.get(f"{ws}/rings/resolve/a%00b"), 422, "VALIDATION_ERROR")
    # Ids are looked up, so a malformed one is simply one that does not exist.
    _error(http.get(f"{ws}/components/a%00b"), 404, "NOT_FOUND")
    _error(http.get(f"{ws}/hosted-services/{service['id']}/jobs/%C2%B2"), 404, "NOT_FOUND")


def test_source_over_the_documented_limit_is_422(http, ws):
    from flow_platform.schemas.common import SOURCE_MAX_CHARS

    big = "x = 1\n" * (SOURCE_MAX_CHARS // 6 + 1)
    body = {"component_type": "codeblock", "name": "big", "version": "1.0.0", "source": big}
    answer = _error(http.post(f"{ws}/components", json=body), 422, "VALIDATION_ERROR")
    assert answer["details"][0]["field"] == "body.source"


def test_endpoint_timeout_must_be_finite(http, ws, service):
    draft = http.post(f"{ws}/hosted-services/{service['id']}/versions").json()
    block = http.get(f"{ws}/components").json()["items"][0]["id"]
    # Python's json module reads NaN and Infinity; pydantic would take them as floats.
    raw = '{"path": "/x", "method": "GET", "code_block_id": "' + block + '", "timeout_seconds": NaN}'
    answer = http.post(
        f"{ws}/hosted-services/{service['id']}/versions/{draft['id']}/endpoints",
        content=raw,
        headers={"content-type": "application/json"},
    )
    _error(answer, 422, "VALIDATION_ERROR")
