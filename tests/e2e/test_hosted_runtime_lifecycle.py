"""The runtime against the platform's own lifetime: restarts and exits leave nothing behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_sdk.cli_client import CLIClient, CLIClientError
from flow_sdk.config import FlowConfig
from support.hosted import add_endpoints, deploy
from support.platform import RunningPlatform

PID = (
    "import os, time\ndef main(r):\n    if r['path'] == '/slow':\n        time.sleep(30)\n"
    "    return int(os.readlink('/proc/self'))\n"
)


@pytest.fixture
def own_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPlatform]:
    # The runtime's socket dir goes under TMPDIR: a platform killed with SIGKILL cannot
    # remove it, so keep it inside the test's own temp dir.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    running = RunningPlatform(tmp_path / "platform", None, "sqlite")
    running.start()
    yield running
    running.close()


def _client(running: RunningPlatform) -> CLIClient:
    tenant = running.bootstrap()
    token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
    return CLIClient(
        FlowConfig(access_token=token, platform_url=tenant.url, org_id=tenant.org_id, workspace_id=tenant.workspace_id)
    )


def _gone(pids: list[int], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                stat = Path(f"/proc/{pid}/stat")
                if stat.exists() and stat.read_text().split()[2] != "Z":
                    alive.append(pid)
            except ProcessLookupError:
                pass
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_serve_leaves_no_worker_behind(own_platform: RunningPlatform, sig: int):
    with _client(own_platform) as client:
        pids = []
        for _ in range(2):
            sid = deploy(client, [{"path": "/pid", "method": "GET", "source": PID}])["id"]
            pids.append(client.invoke_service(sid, "GET", "/pid"))
    own_platform.stop(sig)
    assert _gone(pids), f"workers {pids} outlived the platform"


def test_async_jobs_survive_a_restart(own_platform: RunningPlatform):
    with _client(own_platform) as client:
        sid = deploy(
            client,
            [
                {"path": "/slow", "method": "POST", "source": PID, "async_eligible": True, "timeout_seconds": 5},
                {"path": "/pid", "method": "POST", "source": PID, "async_eligible": True},
            ],
        )["id"]
        interrupted = client.jobs.submit(sid, "POST", "/slow")
        deadline = time.monotonic() + 30
        while client.jobs.get(sid, interrupted["job_id"])["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(own_platform.url.rsplit(":", 1)[1])
        own_platform.stop()
        staged_id = _stage_job(own_platform, sid)  # as if the platform had stopped before running it
        own_platform.start(port)
        rerun = client.jobs.wait(sid, staged_id, timeout=30)
        assert rerun["status"] == "succeeded" and isinstance(rerun["result"], int)
        # Its runner is gone: once its lease (timeout + grace) has run out, a sweep fails it.
        job = client.jobs.wait(sid, interrupted["job_id"], timeout=60)
        assert job["status"] == "failed" and job["error"]["code"] == "INTERRUPTED"
        after = client.jobs.submit(sid, "POST", "/pid")
        assert client.jobs.wait(sid, after["job_id"], timeout=30)["status"] == "succeeded"


def _stage_job(running: RunningPlatform, service_id: str) -> str:
    from flow_platform.store.tables import HostedService, ServiceJob

    with running.session() as session:
        service = session.get(HostedService, service_id)
        job = ServiceJob(org_id=service.org_id, service_id=service_id, version=1, method="POST", path="/pid")
        session.add(job)
        session.commit()
        return job.id


def test_two_platform_processes_on_one_postgres_see_each_others_changes(backend, platform, client, tmp_path):
    if backend is None:
        pytest.skip("only platform processes sharing a PostgreSQL database need NOTIFY")
    second = RunningPlatform(tmp_path / "second", backend, "postgres")  # its own data dir: no shared epoch file
    second.secret_key = platform.secret_key
    second.start()
    try:
        status = 'def main(r):\n    return {"v": %d}\n'
        sid = deploy(client, [{"path": "/status", "method": "GET", "source": status % 1}])["id"]
        config = client.config
        via_second = CLIClient(FlowConfig(config.access_token, second.url, config.org_id, config.workspace_id))
        assert via_second.invoke_service(sid, "GET", "/status") == {"v": 1}  # the second caches the route

        v2 = client.hosted_services.versions.create(sid)
        old = client.hosted_services.endpoints.list(sid, v2["id"])[0]
        client.hosted_services.endpoints.delete(sid, v2["id"], old["id"])
        add_endpoints(client, sid, v2["id"], [{"path": "/status", "method": "GET", "source": status % 2}])
        client.hosted_services.versions.publish(sid, v2["id"])
        assert _eventually(lambda: via_second.invoke_service(sid, "GET", "/status") == {"v": 2})

        client.hosted_services.suspend(sid)
        assert _eventually(lambda: _status(via_second, sid) == 503)
        via_second.close()
    finally:
        second.close()


def _status(client: CLIClient, sid: str) -> int:
    try:
        client.invoke_service(sid, "GET", "/status")
    except CLIClientError as err:
        return err.status_code or 0
    return 200


def _eventually(check, seconds: float = 10) -> bool:
    """NOTIFY arrives asynchronously; without it the second process would never see the change."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
