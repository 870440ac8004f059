"""Hostile handlers and components against the real server: each is refused or contained.

The platform here runs with small limits (a ceiling of 3 live workers, 3 s idle stop,
64 processes per worker) so that the tests reach them quickly.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_sdk.cli_client import CLIClient, CLIServerError
from flow_sdk.config import FlowConfig
from support.deployments import codeblock as deploy_codeblock
from support.deployments import deploy as deploy_component
from support.deployments import wait_for
from support.hosted import add_endpoints, deploy
from support.platform import RunningPlatform
from support.sandbox import processes_of_uid, processes_with, require, worker_processes

CEILING = 3
SETTINGS = {"FLOW_MAX_WORKERS": str(CEILING), "FLOW_WORKER_IDLE_SECONDS": "3", "FLOW_WORKER_PROCESSES": "64"}

HOSTILE = """
import errno, os, socket, time

def _err(e):
    return errno.errorcode.get(getattr(e, "errno", None) or 0, type(e).__name__)

def main(request, flow):
    what, q = request["path"].strip("/"), request["query"]
    if what == "whoami":
        return {"uid": os.getuid(), "cwd": os.getcwd()}
    if what == "packet":
        try:
            socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
            return "opened"
        except OSError as e:
            return _err(e)
    if what == "tcp":
        try:
            socket.create_connection(("127.0.0.1", int(q["port"])), timeout=3)
            return "connected"
        except OSError as e:
            return _err(e)
    if what == "unix":
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(q["path"])
            return "connected"
        except OSError as e:
            return _err(e)
    if what == "setsid":
        if os.fork() == 0:
            os.setsid()
            os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 3000", q["marker"]])
        return "started"
    if what == "alloc":
        return len(bytearray(2 * 1024 ** 3))
    if what == "forks":
        n = 0
        try:
            while n < 10000:
                if os.fork() == 0:
                    time.sleep(3000)
                    os._exit(0)
                n += 1
        except OSError as e:
            return {"forked": n, "error": _err(e)}
        return {"forked": n}
    if what == "write":
        try:
            with open("big", "wb") as f:
                chunk = b"x" * (1 << 20)
                for _ in range(2048):
                    f.write(chunk)
            return "written"
        except OSError as e:
            return _err(e)
    if what == "invoke":
        return flow.services.invoke(q["service"], "GET", "/ping")
"""
PATHS = ("whoami", "packet", "tcp", "unix", "setsid", "alloc", "forks", "write", "invoke")
PING = 'def main(request):\n    return "pong"\n'


@pytest.fixture(scope="module")
def boxed(backend: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    name = "postgres" if backend else "sqlite"
    running = RunningPlatform(tmp_path_factory.mktemp(f"boxed-{name}"), backend, name, extra_env=SETTINGS)
    running.start()
    yield running
    running.close()


def _client(running: RunningPlatform) -> CLIClient:
    tenant = running.bootstrap()
    token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
    ids = {"org_id": tenant.org_id, "workspace_id": tenant.workspace_id}
    return CLIClient(FlowConfig(access_token=token, platform_url=tenant.url, **ids))


@pytest.fixture
def boxed_client(boxed: RunningPlatform) -> Iterator[CLIClient]:
    made = _client(boxed)
    yield made
    made.close()


def _report(boxed: RunningPlatform) -> dict:
    report: dict = boxed.get("/version").json()["sandbox"]
    return report


def _gone(pids_of: object, deadline_s: float = 30.0) -> list[int]:
    """Poll until the scan finds nothing (or the deadline passes); what it last found."""
    deadline = time.monotonic() + deadline_s
    while True:
        found = pids_of()  # type: ignore[operator]
        if not found or time.monotonic() > deadline:
            return list(found)
        time.sleep(0.1)


def test_hostile_handlers_are_refused_or_contained(boxed, boxed_client):
    report = _report(boxed)
    require(report, "landlock", "seccomp", "namespaces", "uid switch")
    client = boxed_client
    ping = deploy(client, [{"path": "/ping", "method": "GET", "source": PING}])["id"]
    other = deploy(client, [{"path": "/whoami", "method": "GET", "source": HOSTILE}])["id"]
    sid = deploy(client, [{"path": f"/{p}", "method": "GET", "source": HOSTILE} for p in PATHS])["id"]
    me = client.invoke_service(sid, "GET", "/whoami")
    neighbour = client.invoke_service(other, "GET", "/whoami")
    assert me["uid"] >= 1_000_000 and neighbour["uid"] >= 1_000_000 and me["uid"] != neighbour["uid"]

    # seccomp (and no CAP_NET_RAW): no packet socket to read others' traffic with
    assert client.invoke_service(sid, "GET", "/packet") == "EPERM"
    # its own network namespace: the platform's TCP port is out of reach ...
    port = boxed.url.rsplit(":", 1)[1]
    assert client.invoke_service(sid, "GET", "/tcp", query={"port": port}) in ("ENETUNREACH", "ECONNREFUSED")
    # ... and so is another worker's socket (hidden by its mount namespace, 0700 to its uid)
    sibling = str(Path(neighbour["cwd"]) / "w.sock")
    assert client.invoke_service(sid, "GET", "/unix", query={"path": sibling}) in ("ENOENT", "EACCES")
    # but the platform's API is there, over the platform's Unix socket
    assert client.invoke_service(sid, "GET", "/invoke", query={"service": ping}) == "pong"
    # a file past the size limit (64 MiB by default) is refused
    assert client.invoke_service(sid, "GET", "/write") == "EFBIG"
    # a setsid() child that would sleep for an hour
    marker = f"flow-marker-{uuid.uuid4().hex}"
    assert client.invoke_service(sid, "GET", "/setsid", query={"marker": marker}) == "started"
    assert _gone(lambda: [] if processes_with(marker) else ["not yet"], 10) == []  # it started
    # a fork loop stops at the process limit, and takes no one else's slots
    forks = client.invoke_service(sid, "GET", "/forks")
    assert forks["error"] == "EAGAIN" and 0 < forks["forked"] < 64
    assert client.invoke_service(ping, "GET", "/ping") == "pong"
    assert boxed.get("/health").status_code == 200
    # 2 GB: the handler is ended, the call answers 502 WORKER_OUT_OF_MEMORY, the platform serves on
    with pytest.raises(CLIServerError) as oom:
        client.invoke_service(sid, "GET", "/alloc")
    assert (oom.value.status_code, oom.value.code) == (502, "WORKER_OUT_OF_MEMORY")
    assert boxed.get("/health").status_code == 200
    assert "ran out of memory" in client.hosted_services.logs(sid)
    # the worker that ran out of memory took all its processes with it: setsid child, forks
    assert _gone(lambda: processes_with(marker)) == []
    assert _gone(lambda: processes_of_uid(me["uid"])) == []
    # and the next call gets a fresh worker
    assert client.invoke_service(sid, "GET", "/whoami")["cwd"] != me["cwd"]


def test_suspend_and_archive_end_every_process_of_the_worker(boxed, boxed_client):
    require(_report(boxed), "namespaces")
    client = boxed_client
    for action in ("suspend", "archive"):
        sid = deploy(client, [{"path": f"/{p}", "method": "GET", "source": HOSTILE} for p in PATHS])["id"]
        marker = f"flow-marker-{uuid.uuid4().hex}"
        uid = client.invoke_service(sid, "GET", "/whoami")["uid"]
        assert client.invoke_service(sid, "GET", "/setsid", query={"marker": marker}) == "started"
        assert _gone(lambda: [] if processes_with(marker) else ["not yet"], 10) == []  # noqa: B023
        getattr(client.hosted_services, action)(sid)
        assert _gone(lambda: processes_with(marker)) == [], action  # noqa: B023
        assert _gone(lambda: processes_of_uid(uid)) == [], action  # noqa: B023
    assert boxed.get("/health").status_code == 200


def test_platform_shutdown_ends_setsid_children(backend, tmp_path: Path):
    running = RunningPlatform(tmp_path / "data", backend, "postgres" if backend else "sqlite", extra_env=SETTINGS)
    running.start()
    try:
        require(_report(running), "namespaces")
        client = _client(running)
        sid = deploy(client, [{"path": f"/{p}", "method": "GET", "source": HOSTILE} for p in PATHS])["id"]
        marker = f"flow-marker-{uuid.uuid4().hex}"
        assert client.invoke_service(sid, "GET", "/setsid", query={"marker": marker}) == "started"
        assert _gone(lambda: [] if processes_with(marker) else ["not yet"], 10) == []
        client.close()
    finally:
        running.close()
    assert _gone(lambda: processes_with(marker)) == []


def test_a_component_leaving_a_setsid_child_still_deploys(boxed, boxed_client):
    require(_report(boxed), "namespaces")
    marker = f"flow-marker-{uuid.uuid4().hex}"
    # At import time: a child in its own session that holds the probe's stdout and stderr.
    source = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execv('/bin/sh', ['/bin/sh', '-c', 'sleep 3000', {marker!r}])\n"
        "def main(request):\n"
        "    return {'ok': True}\n"
    )
    client = boxed_client
    component = deploy_codeblock(client, source)
    deployment = deploy_component(client, component, client.rings.resolve("dev"))
    # The probe's 30 s wall limit bounds each stage; the child cannot hold it open.
    final = wait_for(client.component_deployments, deployment["id"], {"active", "failed", "rolled_back"}, 120)
    assert final["status"] == "active", final
    assert _gone(lambda: processes_with(marker)) == []


@pytest.fixture(scope="module")
def boxed_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    """The worker ceiling and idle stop live in the supervisor, whatever the database."""
    running = RunningPlatform(tmp_path_factory.mktemp("boxed-ceiling"), None, "sqlite", extra_env=SETTINGS)
    running.start()
    yield running
    running.close()


def test_live_workers_stay_under_the_ceiling_and_idle_ones_stop(boxed_sqlite):
    client = _client(boxed_sqlite)
    platform_pid = boxed_sqlite.proc.pid if boxed_sqlite.proc is not None else 0
    service = client.hosted_services.create(
        {"slug": f"svc-{uuid.uuid4().hex[:12]}", "name": "many versions", "execution_mode": "persistent"}
    )
    sid = service["id"]
    draft = client.hosted_services.versions.list(sid)[0]
    add_endpoints(client, sid, draft["id"], [{"path": "/ping", "method": "GET", "source": PING}])
    client.hosted_services.versions.publish(sid, draft["id"])
    for _ in range(199):
        draft = client.hosted_services.versions.create(sid)
        client.hosted_services.versions.publish(sid, draft["id"])
    for number in range(1, 201):
        assert client.invoke_service(sid, "GET", "/ping", version=number) == "pong"
        # Stopped workers exit in the background: the count must come down to the ceiling.
        assert _gone(lambda: worker_processes(platform_pid)[CEILING:], 30) == [], number
    assert "least recently used" in client.hosted_services.logs(sid, version=1)
    # Idle for 3 s: the worker of version 200 is stopped ...
    assert _gone(lambda: worker_processes(platform_pid)) == []
    assert "idle for 3 s" in client.hosted_services.logs(sid, version=200)
    # ... and its next call starts a new one.
    assert client.invoke_service(sid, "GET", "/ping", version=200) == "pong"
    assert len(worker_processes(platform_pid)) == 1
    client.close()
