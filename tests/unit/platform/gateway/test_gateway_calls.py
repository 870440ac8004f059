"""Calls through the gateway to real worker processes."""

from __future__ import annotations

import os
import threading
import time
import uuid

import httpx

from flow_platform.runtime.bundle import EndpointSpec

ECHO = """
def main(request):
    return {"request": request}
"""

ASYNC_ECHO = """
import asyncio

async def main(request):
    await asyncio.sleep(0)
    return {"async": True, "params": request["path_params"]}
"""

FAILING = """
from flow_sdk.runtime import HTTPError

def main(request):
    if request["path"] == "/teapot":
        raise HTTPError(418, "short and stout", code="TEAPOT")
    secret = "s3cret-detail"
    raise ValueError(secret)
"""


def test_request_dict_reaches_the_handler(gateway_server, caller):
    sid = gateway_server.add_service([EndpointSpec("POST", "/items/{item_id}", ECHO)])
    response = caller.post(
        gateway_server.url_for(sid, "/items/42") + "?q=1&tag=a&tag=b",
        json={"text": "hi"},
        headers={
            "x-request-id": "req-123",
            "x-custom": "yes",
            "connection": "keep-alive, x-custom",
            "x-flow-claims": '{"forged": true}',
        },
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-123"
    assert response.headers["x-service-version"] == "1"
    request = response.json()["request"]
    assert request["method"] == "POST"
    assert request["path"] == "/items/42"
    assert request["path_params"] == {"item_id": "42"}
    assert request["query"] == {"q": "1", "tag": ["a", "b"]}
    assert request["body"] == {"text": "hi"}
    assert request["claims"] == {}
    headers = request["headers"]
    assert headers["x-request-id"] == "req-123"
    # credentials, hop-by-hop headers and spoofed control headers never reach the handler
    for name in ("authorization", "connection", "x-custom", "x-flow-claims", "keep-alive"):
        assert name not in headers


def test_async_handler_and_generated_request_id(gateway_server, caller):
    sid = gateway_server.add_service([EndpointSpec("GET", "/users/{uid}", ASYNC_ECHO)])
    response = caller.get(gateway_server.url_for(sid, "/users/7"))
    assert response.status_code == 200
    assert response.json() == {"async": True, "params": {"uid": "7"}}
    assert response.headers["x-request-id"].startswith("req_")


def test_http_error_and_handler_exception(gateway_server, caller):
    sid = gateway_server.add_service([EndpointSpec("GET", "/teapot", FAILING), EndpointSpec("GET", "/boom", FAILING)])
    teapot = caller.get(gateway_server.url_for(sid, "/teapot"), headers={"x-request-id": "r-1"})
    assert teapot.status_code == 418
    assert teapot.json() == {
        "code": "TEAPOT",
        "message": "short and stout",
        "details": [],
        "request_id": "r-1",
    }
    boom = caller.get(gateway_server.url_for(sid, "/boom"), headers={"x-request-id": "r-2"})
    assert boom.status_code == 500
    assert boom.json()["code"] == "HANDLER_ERROR"
    assert boom.json()["request_id"] == "r-2"
    assert "Traceback" not in boom.text and "s3cret" not in boom.text
    log = gateway_server.supervisor.read_log(sid, 1)
    assert "Traceback" in log and "s3cret-detail" in log and "r-2" in log


def test_schemas_are_enforced(gateway_server, caller):
    schema = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
    bad_response = 'def main(request):\n    return {"score": "high"}\n'
    sid = gateway_server.add_service(
        [
            EndpointSpec("POST", "/echo", ECHO, request_schema=schema),
            EndpointSpec(
                "GET",
                "/score",
                bad_response,
                response_schema={"type": "object", "properties": {"score": {"type": "number"}}},
            ),
        ]
    )
    rejected = caller.post(gateway_server.url_for(sid, "/echo"), json={"text": 5})
    assert rejected.status_code == 422
    assert rejected.json()["details"][0]["loc"] == ["body", "text"]
    missing = caller.post(gateway_server.url_for(sid, "/echo"), json={})
    assert missing.status_code == 422
    assert caller.post(gateway_server.url_for(sid, "/echo"), json={"text": "ok"}).status_code == 200
    mismatch = caller.get(gateway_server.url_for(sid, "/score"))
    assert mismatch.status_code == 500
    assert mismatch.json()["code"] == "RESPONSE_SCHEMA_MISMATCH"


def test_routing_errors(gateway_server, caller, make_token):
    v1 = [EndpointSpec("GET", "/status", 'def main(r):\n    return {"v": 1}\n')]
    v2 = [EndpointSpec("GET", "/status", 'def main(r):\n    return {"v": 2}\n')]
    sid = gateway_server.add_service(v1, v2)
    assert caller.get(gateway_server.url_for(sid, "/status")).json() == {"v": 2}
    pinned = caller.get(gateway_server.url_for(sid, "/v1/status"))
    assert pinned.json() == {"v": 1} and pinned.headers["x-service-version"] == "1"
    missing_version = caller.get(gateway_server.url_for(sid, "/v9/status"))
    assert missing_version.status_code == 404
    assert missing_version.json()["code"] == "VERSION_NOT_FOUND"
    assert caller.get(gateway_server.url_for(sid, "/nope")).status_code == 404
    wrong_method = caller.delete(gateway_server.url_for(sid, "/status"))
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET"
    # once a version is chosen, errors name it too
    assert wrong_method.headers["x-service-version"] == "2"
    assert caller.get(gateway_server.url_for(sid, "/v1/nope")).headers["x-service-version"] == "1"
    for unknown in (str(uuid.uuid4()), "nonexistent-uuid"):
        assert caller.get(gateway_server.url_for(unknown, "/status")).status_code == 404
    # the same service under another org's URL, or called with another org's token
    assert caller.get(gateway_server.url_for(sid, "/status", org_id="org-b")).status_code == 404
    other_org = {"authorization": f"Bearer {make_token('org-b')}"}
    assert caller.get(gateway_server.url_for(sid, "/status"), headers=other_org).status_code == 404
    # outside the gateway's URL space the platform answers
    assert caller.get(f"{gateway_server.url}/api/v1/orgs/org-a/workspaces").status_code == 418


def test_lifecycle_states(gateway_server, caller):
    sid = gateway_server.add_service([EndpointSpec("GET", "/h", "def main(r):\n    return 1\n")])
    url = gateway_server.url_for(sid, "/h")
    gateway_server.set_status(sid, "suspended")
    assert caller.get(url).status_code == 503
    gateway_server.set_status(sid, "active")
    assert caller.get(url).json() == 1
    gateway_server.set_status(sid, "archived")
    assert caller.get(url).status_code == 404


def test_auth_modes_and_body_cap(gateway_server, make_token):
    token = make_token
    ok = 'def main(r):\n    return "ok"\n'
    sid = gateway_server.add_service(
        [
            EndpointSpec("POST", "/platform", ok),
            EndpointSpec("POST", "/public", ok, auth_mode="public"),
            EndpointSpec("POST", "/token", ok, auth_mode="service_token"),
        ]
    )
    with httpx.Client(timeout=30) as anonymous:
        assert anonymous.post(gateway_server.url_for(sid, "/public")).json() == "ok"
        denied = anonymous.post(gateway_server.url_for(sid, "/platform"))
        assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"
        assert anonymous.post(gateway_server.url_for(sid, "/token")).status_code == 401
        expired = {"authorization": f"Bearer {token(ttl=-60)}"}
        assert anonymous.post(gateway_server.url_for(sid, "/platform"), headers=expired).status_code == 401
        forged = {"authorization": f"Bearer {token()[:-2]}xx"}
        assert anonymous.post(gateway_server.url_for(sid, "/platform"), headers=forged).status_code == 401
        good = {"authorization": f"Bearer {token()}"}
        # A gateway without a revocation store refuses service_token endpoints (fail closed),
        # and platform credentials never open them (tests/e2e/test_service_token_gateway.py).
        assert anonymous.post(gateway_server.url_for(sid, "/token"), headers=good).status_code == 401
        assert anonymous.post(gateway_server.url_for(sid, "/platform"), headers=good).json() == "ok"
        too_big = anonymous.post(gateway_server.url_for(sid, "/public"), content=b"x" * 5000)
        assert too_big.status_code == 413


def test_slow_call_does_not_block_a_second_caller(gateway_server, caller):
    # One worker serves both endpoints: they share the interpreter's builtins, so /release
    # can end the slow call (the sandbox hides the test's files from the handler).
    shared = "import builtins, threading\nEVENT = builtins.__dict__.setdefault('flow_release', threading.Event())\n"
    slow = shared + 'def main(request):\n    return "slow done" if EVENT.wait(30) else "never released"\n'
    release = shared + 'def main(request):\n    EVENT.set()\n    return "released"\n'
    fast = 'def main(r):\n    return "fast"\n'
    sid = gateway_server.add_service(
        [
            EndpointSpec("GET", "/slow", slow),
            EndpointSpec("GET", "/fast", fast),
            EndpointSpec("GET", "/release", release),
        ]
    )
    assert caller.get(gateway_server.url_for(sid, "/fast")).json() == "fast"  # warm
    results: dict[str, object] = {}
    first = threading.Thread(
        target=lambda: results.update(slow=caller.get(gateway_server.url_for(sid, "/slow")).json())
    )
    first.start()
    # The slow handler only returns once /release is called, which happens only after
    # these second calls (same endpoint and another one) were answered.
    assert caller.get(gateway_server.url_for(sid, "/fast")).json() == "fast"
    flag_other = caller.get(gateway_server.url_for(sid, "/fast"))
    assert flag_other.status_code == 200
    assert caller.get(gateway_server.url_for(sid, "/release")).json() == "released"
    first.join(timeout=30)
    assert results == {"slow": "slow done"}


def test_timeout_answers_504_and_others_keep_working(gateway_server, caller):
    sleepy = "import time\ndef main(r):\n    time.sleep(60)\n"
    fast = "import os\ndef main(r):\n    return int(os.readlink('/proc/self'))\n"
    sid = gateway_server.add_service(
        [
            EndpointSpec("GET", "/sleep", sleepy, timeout_seconds=0.5),
            EndpointSpec("GET", "/pid", fast),
        ]
    )
    other = gateway_server.add_service([EndpointSpec("GET", "/pid", fast)])
    first_pid = caller.get(gateway_server.url_for(sid, "/pid")).json()
    other_pid = caller.get(gateway_server.url_for(other, "/pid")).json()
    timed_out = caller.get(gateway_server.url_for(sid, "/sleep"))
    assert timed_out.status_code == 504
    assert timed_out.json()["code"] == "TIMEOUT"
    # the stuck worker was replaced; the other service never noticed
    new_pid = caller.get(gateway_server.url_for(sid, "/pid")).json()
    assert new_pid != first_pid
    assert caller.get(gateway_server.url_for(other, "/pid")).json() == other_pid
    assert "timed out" in gateway_server.supervisor.read_log(sid, 1)


def test_worker_death_answers_502_then_recovers(gateway_server, caller):
    code = """
import os
def main(r):
    if r["path"] == "/die":
        os._exit(3)
    return int(os.readlink('/proc/self'))
"""
    sid = gateway_server.add_service([EndpointSpec("GET", "/die", code), EndpointSpec("GET", "/pid", code)])
    before = caller.get(gateway_server.url_for(sid, "/pid")).json()
    died = caller.get(gateway_server.url_for(sid, "/die"))
    assert died.status_code == 502
    assert died.json()["code"] == "WORKER_CRASHED"
    after = caller.get(gateway_server.url_for(sid, "/pid"))
    assert after.status_code == 200, after.text
    assert after.json() != before
    assert "died during a call" in gateway_server.supervisor.read_log(sid, 1)
    assert not _alive(before)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_worker_killed_while_idle_is_restarted(gateway_server, caller):
    code = "import os\ndef main(r):\n    return int(os.readlink('/proc/self'))\n"
    sid = gateway_server.add_service([EndpointSpec("GET", "/pid", code)])
    first = caller.get(gateway_server.url_for(sid, "/pid")).json()
    os.kill(first, 9)
    # The supervisor brings a new worker up on its own, before any call asks for one.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        worker = gateway_server.supervisor.workers.get((sid, 1))
        if worker is not None and worker.pid != first:
            break
        time.sleep(0.02)
    assert worker is not None and worker.pid != first
    assert caller.get(gateway_server.url_for(sid, "/pid")).json() == worker.pid
    assert "exited unexpectedly (exit code -9)" in gateway_server.supervisor.read_log(sid, 1)


def test_code_that_fails_to_load_answers_502_and_logs_why(gateway_server, caller):
    sid = gateway_server.add_service(
        [EndpointSpec("GET", "/x", "import no_such_module_here\ndef main(r):\n    return 1\n")]
    )
    response = caller.get(gateway_server.url_for(sid, "/x"))
    assert response.status_code == 502
    assert response.json()["code"] == "WORKER_UNAVAILABLE"
    assert "No module named 'no_such_module_here'" in gateway_server.supervisor.read_log(sid, 1)
