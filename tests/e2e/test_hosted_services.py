"""Hosted services end to end: the SDK builds them, the gateway and real workers serve them."""

from __future__ import annotations

import contextlib
import io
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from flow_sdk.cli_client import (
    CLIConflictError,
    CLINotFoundError,
    CLIServerError,
    CLIValidationError,
)
from support.hosted import add_endpoints, codeblock, deploy

HEALTH = 'def main(request):\n    return {"status": "ok"}\n'
ANALYZE = """
def main(request):
    text = request["body"]["text"]
    return {"sentiment": "positive" if "good" in text or "Analyze" in text else "neutral", "confidence": 0.92}
"""
PROCESS = 'def main(request):\n    return {"processed": request["body"]["input"]}\n'


def status_block(version: int) -> str:
    return f'def main(request):\n    return {{"version": {version}}}\n'


def run_snippet(code: str, client, service_id: str) -> str:
    """Run a spec snippet verbatim, with only its placeholder filled in."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code.replace("<service-uuid>", service_id), {"client": client})  # noqa: S102
    return out.getvalue()


def test_spec_snippets_run_verbatim(client):
    service = deploy(
        client,
        [
            {"path": "/health", "method": "GET", "source": HEALTH},
            {"path": "/analyze", "method": "POST", "source": ANALYZE},
            {"path": "/process", "method": "POST", "source": PROCESS},
            {"path": "/status", "method": "GET", "source": status_block(1)},
        ],
    )
    sid = service["id"]
    assert service["status"] == "active" and service["latest_version"] == 1

    invoked = run_snippet(
        """
result = client.invoke_service(
    service_id="<service-uuid>",
    method="POST",
    path="/analyze",
    body={"text": "Analyze this document for sentiment."},
)
print(result)
""",
        client,
        sid,
    )
    assert invoked.strip() == "{'sentiment': 'positive', 'confidence': 0.92}"

    examples = run_snippet(
        """
health = client.invoke_service(
    service_id="<service-uuid>",
    method="GET",
    path="/health",
)
print(f"Health: {health}")
result = client.invoke_service(
    service_id="<service-uuid>",
    method="POST",
    path="/process",
    body={"input": "test data"},
)
print(f"Result: {result}")
""",
        client,
        sid,
    )
    assert examples.splitlines() == ["Health: {'status': 'ok'}", "Result: {'processed': 'test data'}"]

    # version 2: same endpoints (copied), /status answers differently
    v2 = client.hosted_services.versions.create(sid)
    assert v2["number"] == 2 and v2["status"] == "draft"
    status_ep = next(e for e in client.hosted_services.endpoints.list(sid, v2["id"]) if e["path"] == "/status")
    client.hosted_services.endpoints.delete(sid, v2["id"], status_ep["id"])
    add_endpoints(client, sid, v2["id"], [{"path": "/status", "method": "GET", "source": status_block(2)}])
    client.hosted_services.versions.publish(sid, v2["id"])

    pinned = run_snippet(
        """
# Call version 2 of the service
result = client.invoke_service(
    service_id="<service-uuid>",
    method="GET",
    path="/status",
    version=2,
)
print(result)
""",
        client,
        sid,
    )
    assert pinned.strip() == "{'version': 2}"
    assert client.invoke_service(sid, "GET", "/status", version=1) == {"version": 1}
    assert client.invoke_service(sid, "GET", "/status") == {"version": 2}
    with pytest.raises(CLINotFoundError) as missing:
        client.invoke_service(sid, "GET", "/status", version=3)
    assert missing.value.code == "VERSION_NOT_FOUND"

    handled = run_snippet(
        """
from flow_sdk.cli_client import (
    CLIClient,
    CLIClientError,
    CLIAuthenticationError,
    CLIPermissionError,
    CLINotFoundError,
)
try:
    result = client.invoke_service(
        service_id="nonexistent-uuid",
        method="GET",
        path="/health",
    )
except CLIAuthenticationError:
    print("Token expired. Run: flow-sdk login --api-key ... --url ...")
except CLIPermissionError:
    print("You do not have access to this service.")
except CLINotFoundError:
    print("Service or endpoint not found.")
except CLIClientError as e:
    print(f"API error: {e}")
""",
        client,
        sid,
    )
    assert handled.strip() == "Service or endpoint not found."


def test_published_versions_are_frozen_and_lifecycle_rules(client):
    service = deploy(client, [{"path": "/health", "method": "GET", "source": HEALTH}])
    sid = service["id"]
    v1 = client.hosted_services.versions.list(sid)[0]
    block = codeblock(client, HEALTH)
    with pytest.raises(CLIConflictError):
        client.hosted_services.endpoints.create(sid, v1["id"], {"path": "/x", "method": "GET", "code_block_id": block})
    with pytest.raises(CLIConflictError):
        client.hosted_services.versions.publish(sid, v1["id"])
    with pytest.raises(CLIConflictError):
        client.hosted_services.reactivate(sid)  # active, not suspended
    with pytest.raises(CLIConflictError):  # the slug is unique in the workspace
        client.hosted_services.create({"slug": service["slug"], "name": "again", "execution_mode": "persistent"})
    with pytest.raises(CLIValidationError) as bad_slug:
        client.hosted_services.create({"slug": "Not_A_Slug", "name": "x", "execution_mode": "persistent"})
    assert bad_slug.value.body["details"][0]["field"] == "slug"
    with pytest.raises(CLIValidationError) as no_ring:
        client.hosted_services.create({"slug": "needs-ring", "name": "x", "execution_mode": "invocation"})
    assert no_ring.value.body["details"][0]["field"] == "ring_id"

    assert client.hosted_services.suspend(sid)["status"] == "suspended"
    with pytest.raises(CLIServerError) as suspended:
        client.invoke_service(sid, "GET", "/health")
    assert suspended.value.status_code == 503
    assert client.hosted_services.reactivate(sid)["status"] == "active"
    assert client.invoke_service(sid, "GET", "/health") == {"status": "ok"}
    assert client.hosted_services.archive(sid)["status"] == "archived"
    with pytest.raises(CLINotFoundError):
        client.invoke_service(sid, "GET", "/health")
    with pytest.raises(CLIConflictError):
        client.hosted_services.versions.create(sid)


def test_suspend_and_archive_stop_the_workers(client):
    source = "import os\ndef main(r):\n    return int(os.readlink('/proc/self'))\n"
    sid = deploy(client, [{"path": "/pid", "method": "GET", "source": source}])["id"]
    first = client.invoke_service(sid, "GET", "/pid")
    client.hosted_services.suspend(sid)
    assert _gone(first)
    client.hosted_services.reactivate(sid)
    second = client.invoke_service(sid, "GET", "/pid")
    assert second != first
    client.hosted_services.archive(sid)
    assert _gone(second)


def _gone(pid: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().split()[2] == "Z":
            return True
        time.sleep(0.05)
    return False


def test_draft_service_and_unknown_paths(client):
    draft = client.hosted_services.create(
        {"slug": f"d-{uuid.uuid4().hex[:8]}", "name": "d", "execution_mode": "persistent"}
    )
    with pytest.raises(CLINotFoundError) as info:
        client.invoke_service(draft["id"], "GET", "/health")
    assert info.value.code == "VERSION_NOT_FOUND"
    sid = deploy(
        client, [{"path": "/users/{user_id}", "method": "GET", "source": "def main(r):\n    return r['path_params']\n"}]
    )["id"]
    assert client.invoke_service(sid, "GET", "/users/u-1") == {"user_id": "u-1"}
    with pytest.raises(CLINotFoundError) as unknown:
        client.invoke_service(sid, "GET", "/nope")
    assert unknown.value.status_code == 404
    with pytest.raises(CLINotFoundError) as wrong_method:
        client.invoke_service(sid, "DELETE", "/users/u-1")
    assert wrong_method.value.status_code == 405


def test_schema_rejection_and_response_mismatch(client):
    schema = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}}
    sid = deploy(
        client,
        [
            {"path": "/analyze", "method": "POST", "source": ANALYZE, "request_schema": schema},
            {
                "path": "/score",
                "method": "GET",
                "source": 'def main(r):\n    return {"score": "high"}\n',
                "response_schema": {"type": "object", "properties": {"score": {"type": "number"}}},
            },
        ],
    )["id"]
    with pytest.raises(CLIValidationError) as rejected:
        client.invoke_service(sid, "POST", "/analyze", body={"text": 42})
    assert rejected.value.status_code == 422
    assert rejected.value.body["details"][0]["loc"] == ["body", "text"]
    with pytest.raises(CLIValidationError):
        client.invoke_service(sid, "POST", "/analyze", body={})
    assert client.invoke_service(sid, "POST", "/analyze", body={"text": "good"})["sentiment"] == "positive"
    with pytest.raises(CLIServerError) as mismatch:
        client.invoke_service(sid, "GET", "/score")
    assert mismatch.value.code == "RESPONSE_SCHEMA_MISMATCH"
    block = codeblock(client, HEALTH)
    version = client.hosted_services.versions.create(sid)
    for bad_path in ("/a/{x}/{x}", "/v2/thing", "/async/thing", "no-slash", "/a//b"):
        with pytest.raises(CLIValidationError):
            client.hosted_services.endpoints.create(
                sid, version["id"], {"path": bad_path, "method": "GET", "code_block_id": block}
            )
    with pytest.raises(CLIValidationError):  # keywords outside the enforced subset are refused
        client.hosted_services.endpoints.create(
            sid,
            version["id"],
            {"path": "/y", "method": "POST", "code_block_id": block, "request_schema": {"oneOf": []}},
        )


def test_timeout_crash_and_handler_error(client):
    failing = """
import os, time
def main(request):
    if request["path"] == "/sleep":
        time.sleep(60)
    if request["path"] == "/die":
        os._exit(7)
    if request["path"] == "/boom":
        raise RuntimeError("very secret detail")
    return int(os.readlink('/proc/self'))
"""
    sid = deploy(
        client,
        [
            {"path": "/sleep", "method": "GET", "source": failing, "timeout_seconds": 1},
            {"path": "/die", "method": "GET", "source": failing},
            {"path": "/boom", "method": "GET", "source": failing},
            {"path": "/pid", "method": "GET", "source": failing},
        ],
    )["id"]
    first = client.invoke_service(sid, "GET", "/pid")
    with pytest.raises(CLIServerError) as timed_out:
        client.invoke_service(sid, "GET", "/sleep")
    assert (timed_out.value.status_code, timed_out.value.code) == (504, "TIMEOUT")
    # the platform and the service keep serving, on a fresh worker
    assert client.hosted_services.get(sid)["status"] == "active"
    second = client.invoke_service(sid, "GET", "/pid")
    assert second != first

    with pytest.raises(CLIServerError) as boom:
        client.invoke_service(sid, "GET", "/boom")
    assert (boom.value.status_code, boom.value.code) == (500, "HANDLER_ERROR")
    assert "Traceback" not in str(boom.value.body) and "very secret" not in str(boom.value.body)

    with pytest.raises(CLIServerError) as died:
        client.invoke_service(sid, "GET", "/die")
    assert (died.value.status_code, died.value.code) == (502, "WORKER_CRASHED")
    assert client.invoke_service(sid, "GET", "/pid") not in (first, second)

    logs = client.hosted_services.logs(sid, version=1)
    assert "very secret detail" in logs and "Traceback" in logs
    assert "timed out" in logs and "died during a call" in logs


def test_print_output_reaches_the_logs(client):
    sid = deploy(
        client,
        [
            {
                "path": "/hello",
                "method": "GET",
                "source": 'def main(r):\n    print("hello from the handler")\n    return 1\n',
            }
        ],
    )["id"]
    assert client.invoke_service(sid, "GET", "/hello") == 1
    assert "hello from the handler" in client.hosted_services.logs(sid)


def test_auth_modes_over_raw_http(client, tenant):
    ok = 'def main(r):\n    return "ok"\n'
    sid = deploy(
        client,
        [
            {"path": "/platform", "method": "GET", "source": ok},
            {"path": "/public", "method": "GET", "source": ok, "auth_mode": "public"},
            {"path": "/token", "method": "GET", "source": ok, "auth_mode": "service_token"},
        ],
    )["id"]
    base = f"{tenant.url}/api/v1/orgs/{tenant.org_id}/services/{sid}"
    bearer = {"Authorization": f"Bearer {client.config.access_token}"}
    with httpx.Client(timeout=30) as http:
        assert http.get(f"{base}/public").json() == "ok"
        anonymous = http.get(f"{base}/platform")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
        assert http.get(f"{base}/token").status_code == 401
        assert http.get(f"{base}/platform", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
        assert http.get(f"{base}/platform", headers=bearer).json() == "ok"
        # service_token endpoints take service tokens only, never platform credentials
        assert http.get(f"{base}/token", headers=bearer).status_code == 401
        minted = client.hosted_services.service_tokens.mint(service_id=sid)
        assert http.get(f"{base}/token", headers={"Authorization": f"Bearer {minted['token']}"}).json() == "ok"
        assert http.get(f"{base}/platform", headers={"X-API-Key": tenant.api_key}).json() == "ok"
        answer = http.get(f"{base}/public", headers={"X-Request-ID": "trace-me-1"})
        assert answer.headers["x-request-id"] == "trace-me-1"
        assert answer.headers["x-service-version"] == "1"


def test_another_orgs_service_is_not_found(client, platform, make_client):
    sid = deploy(client, [{"path": "/health", "method": "GET", "source": HEALTH}])["id"]
    other_tenant = platform.bootstrap()
    other = make_client(tenant_=other_tenant)
    with pytest.raises(CLINotFoundError) as real:
        other.invoke_service(sid, "GET", "/health")
    with pytest.raises(CLINotFoundError) as made_up:
        other.invoke_service(str(uuid.uuid4()), "GET", "/health")
    with pytest.raises(CLINotFoundError) as bad_path:
        other.invoke_service(sid, "GET", "/no-such-endpoint")

    def whole(body: dict) -> dict:
        return {k: v for k, v in body.items() if k != "request_id"}

    assert whole(real.value.body) == whole(made_up.value.body) == whole(bad_path.value.body)
    # nor with the service's own org id in the URL
    url = f"{other_tenant.url}/api/v1/orgs/{client.config.org_id}/services/{sid}/health"
    response = httpx.get(url, headers={"Authorization": f"Bearer {other.config.access_token}"}, timeout=30)
    assert response.status_code == 404 and whole(response.json()) == whole(real.value.body)


def test_a_slow_caller_does_not_block_a_second_one(client):
    # One worker serves every endpoint of a version, so they share the interpreter's
    # builtins: /release ends the slow call (the sandbox hides the test's files).
    shared = "import builtins, threading\nEVENT = builtins.__dict__.setdefault('flow_release', threading.Event())\n"
    slow = shared + 'def main(request):\n    return "slow" if EVENT.wait(30) else "never released"\n'
    release = shared + 'def main(request):\n    EVENT.set()\n    return "released"\n'
    sid = deploy(
        client,
        [
            {"path": "/slow", "method": "GET", "source": slow},
            {"path": "/fast", "method": "GET", "source": HEALTH},
            {"path": "/release", "method": "GET", "source": release},
        ],
    )["id"]
    results: dict[str, object] = {}
    first = threading.Thread(target=lambda: results.update(slow=client.invoke_service(sid, "GET", "/slow")))
    first.start()
    # The slow call only returns after /release, which we call after these answered.
    assert client.invoke_service(sid, "GET", "/fast") == {"status": "ok"}
    assert client.invoke_service(sid, "GET", "/fast") == {"status": "ok"}
    assert client.invoke_service(sid, "GET", "/release") == "released"
    first.join(60)
    assert results == {"slow": "slow"}


def test_flow_sdk_calls_another_service(client):
    callee = deploy(
        client, [{"path": "/double", "method": "POST", "source": "def main(r):\n    return r['body']['n'] * 2\n"}]
    )
    caller_src = f"""
def main(request, flow):
    doubled = flow.services.invoke({callee["id"]!r}, "POST", "/double", body={{"n": request["body"]["n"]}})
    return {{"doubled": doubled, "service": flow.service_id, "request_id": flow.request_id}}
"""
    caller = deploy(client, [{"path": "/run", "method": "POST", "source": caller_src}])
    result = client.invoke_service(caller["id"], "POST", "/run", body={"n": 21})
    assert result["doubled"] == 42
    assert result["service"] == caller["id"]
    assert result["request_id"].startswith("req_")


def test_async_jobs(client):
    sid = deploy(
        client,
        [
            {"path": "/analyze", "method": "POST", "source": ANALYZE, "async_eligible": True},
            {"path": "/health", "method": "GET", "source": HEALTH},
        ],
    )["id"]
    job = client.jobs.submit(sid, "POST", "/analyze", body={"text": "good news"}, idempotency_key="k-1")
    assert job["status"] == "staged" and job["job_id"] and job["poll_url"].endswith(job["job_id"])
    done = client.jobs.wait(sid, job["job_id"], timeout=30)
    assert done["status"] == "succeeded"
    assert done["result"] == {"sentiment": "positive", "confidence": 0.92}
    again = client.jobs.submit(sid, "POST", "/analyze", body={"text": "good news"}, idempotency_key="k-1")
    assert again["job_id"] == job["job_id"]
    with pytest.raises(CLIValidationError) as refused:
        client.jobs.submit(sid, "GET", "/health")
    assert refused.value.code == "NOT_ASYNC_ELIGIBLE"
    failing = client.jobs.submit(sid, "POST", "/analyze", body={"no_text": 1}, version=1)
    failed = client.jobs.wait(sid, failing["job_id"], timeout=30)
    assert failed["status"] == "failed" and failed["error"]["code"] == "HANDLER_ERROR"


def test_roles_builders_manage_viewers_only_read_and_call(client, make_client):
    from flow_sdk.cli_client import CLIPermissionError

    sid = deploy(client, [{"path": "/health", "method": "GET", "source": HEALTH}])["id"]
    viewer = make_client("viewer")
    with pytest.raises(CLIPermissionError):
        viewer.hosted_services.create({"slug": "nope", "name": "x", "execution_mode": "persistent"})
    with pytest.raises(CLIPermissionError):
        viewer.hosted_services.suspend(sid)
    assert viewer.hosted_services.get(sid)["status"] == "active"
    assert viewer.invoke_service(sid, "GET", "/health") == {"status": "ok"}
    builder = make_client("builder")
    assert builder.hosted_services.versions.create(sid)["number"] == 2


def test_invocation_mode_takes_a_ring_of_the_workspace(client, platform, make_client):
    ring_id = client.rings.resolve("dev")
    service = client.hosted_services.create(
        {"slug": f"inv-{uuid.uuid4().hex[:8]}", "name": "inv", "execution_mode": "invocation", "ring_id": ring_id}
    )
    assert (service["execution_mode"], service["ring_id"]) == ("invocation", ring_id)
    other = make_client(tenant_=platform.bootstrap())
    foreign_ring = other.rings.resolve("dev")
    with pytest.raises(CLIValidationError) as info:
        client.hosted_services.create(
            {"slug": "foreign-ring", "name": "x", "execution_mode": "invocation", "ring_id": foreign_ring}
        )
    assert info.value.body["details"][0]["field"] == "ring_id"
