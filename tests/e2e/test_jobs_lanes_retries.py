"""Async jobs as documented: X-HSL-Lane, automatic retries with an attempt log, flow-sdk jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from flow_sdk.cli_client import CLIValidationError
from support.hosted import deploy

FLOW_SDK = str(Path(sys.executable).parent / "flow-sdk")
# Dies (the worker process with it) on its first attempt, answers on the next.
CRASH_ONCE = """
import os

def main(request):
    attempt = int(request["headers"]["x-hsl-attempt"])
    if attempt == 1:
        os._exit(3)
    return {"attempt": attempt, "echo": request["body"]}
"""
REFUSE = """
from flow_sdk.runtime import HTTPError

def main(request):
    raise HTTPError(400, "no such thing", code="BAD_THING")
"""
ALWAYS_CRASH = "import os\n\ndef main(request):\n    os._exit(3)\n"


def test_a_crashed_worker_is_retried_and_the_job_succeeds_on_its_second_attempt(client):
    sid = deploy(client, [{"path": "/work", "method": "POST", "source": CRASH_ONCE, "async_eligible": True}])["id"]
    job = client.jobs.submit(sid, "POST", "/work", body={"n": 1})
    done = client.jobs.wait(sid, job["job_id"], timeout=60)
    assert done["status"] == "succeeded", done
    assert done["result"] == {"attempt": 2, "echo": {"n": 1}}
    assert done["attempts"] == 2 and done["max_attempts"] == 3
    first, second = done["attempt_log"]
    assert (first["attempt"], first["outcome"], first["error"]["code"]) == (1, "retrying", "WORKER_CRASHED")
    assert (second["attempt"], second["outcome"], second["status_code"]) == (2, "succeeded", 200)


def test_a_handlers_http_error_is_final(client):
    sid = deploy(client, [{"path": "/work", "method": "POST", "source": REFUSE, "async_eligible": True}])["id"]
    done = client.jobs.wait(sid, client.jobs.submit(sid, "POST", "/work", body={})["job_id"], timeout=60)
    assert done["status"] == "failed" and done["status_code"] == 400
    assert done["error"]["code"] == "BAD_THING"
    assert done["attempts"] == 1 and [a["outcome"] for a in done["attempt_log"]] == ["failed"]


def test_retries_stop_at_the_endpoints_max_attempts(client):
    endpoint = {"path": "/work", "method": "POST", "source": ALWAYS_CRASH, "async_eligible": True, "max_attempts": 2}
    sid = deploy(client, [endpoint])["id"]
    done = client.jobs.wait(sid, client.jobs.submit(sid, "POST", "/work", body={})["job_id"], timeout=60)
    assert done["status"] == "failed" and done["error"]["code"] == "WORKER_CRASHED"
    assert [a["outcome"] for a in done["attempt_log"]] == ["retrying", "failed"]
    with pytest.raises(CLIValidationError):
        deploy(client, [{**endpoint, "max_attempts": 0}], publish=False)


def test_lane_is_recorded_and_checked(client, tenant):
    sid = deploy(client, [{"path": "/work", "method": "POST", "source": CRASH_ONCE, "async_eligible": True}])["id"]
    # The docs' curl line, as written.
    r = httpx.post(
        f"{tenant.url}/api/v1/orgs/{tenant.org_id}/services/{sid}/async/work",
        headers={"X-API-Key": tenant.api_key, "X-HSL-Target-Method": "POST", "X-HSL-Lane": "priority"},
        json={"n": 2},
        timeout=30,
    )
    assert r.status_code == 202 and r.json()["lane"] == "priority"
    assert client.jobs.wait(sid, r.json()["job_id"], timeout=60)["lane"] == "priority"
    standard = client.jobs.submit(sid, "POST", "/work", body={"n": 3})
    assert standard["lane"] == "standard"
    with pytest.raises(CLIValidationError) as info:
        client.jobs.submit(sid, "POST", "/work", body={}, lane="express")
    assert info.value.code == "INVALID_LANE"


def test_cli_jobs_get_wait_list(client, tmp_path):
    sid = deploy(client, [{"path": "/work", "method": "POST", "source": CRASH_ONCE, "async_eligible": True}])["id"]
    job = client.jobs.submit(sid, "POST", "/work", body={"n": 4}, lane="priority")
    config = tmp_path / "flow" / "config.json"
    client.config.save(config)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([FLOW_SDK, "--config", str(config), *args], capture_output=True, text=True, timeout=90)

    waited = run("jobs", "wait", sid, job["job_id"], "--json")
    assert waited.returncode == 0, waited.stderr
    assert json.loads(waited.stdout)["result"]["attempt"] == 2
    got = json.loads(run("jobs", "get", sid, job["job_id"], "--json").stdout)
    assert got["status"] == "succeeded" and len(got["attempt_log"]) == 2
    listed = json.loads(run("jobs", "list", sid, "--json").stdout)
    assert [j["job_id"] for j in listed] == [job["job_id"]]
    table = run("jobs", "list", sid, "--status", "succeeded")
    assert job["job_id"] in table.stdout and "priority" in table.stdout
