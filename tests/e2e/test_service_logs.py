"""A version's log under a flood of handler output, and the platform's temporary folders
across a `kill -9` and a restart."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_platform.runtime.logs import cut_marker
from flow_platform.scratch import scratch_root
from flow_sdk.cli_client import CLIClient
from flow_sdk.config import FlowConfig
from support.deployments import codeblock, wait_for
from support.deployments import deploy as deploy_component
from support.hosted import deploy
from support.platform import RunningPlatform

FLOW_SDK = str(Path(sys.executable).parent / "flow-sdk")
FILE_BYTES = 1024 * 1024  # the smallest cap the platform allows: rotation shows quickly
FILES = 3

FLOOD = """
def main(request):
    line = "x" * 999
    for i in range(request["body"]["lines"]):
        print(line)
    print("L" * 100000)
    for i in range(5):
        print("end", i)
    return {"printed": True}
"""


class SmallLogPlatform(RunningPlatform):
    @property
    def env(self) -> dict[str, str]:
        env = super().env
        env["FLOW_SERVICE_LOG_BYTES"] = str(FILE_BYTES)
        env["FLOW_SERVICE_LOG_FILES"] = str(FILES)
        return env


@pytest.fixture
def own_platform(backend: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningPlatform]:
    # The scratch root goes under TMPDIR when that path is short enough: keep it here then.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    running = SmallLogPlatform(tmp_path / "platform", backend, "postgres" if backend else "sqlite")
    running.start()
    yield running
    running.close()


def _client(running: RunningPlatform) -> CLIClient:
    tenant = running.bootstrap()
    token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
    return CLIClient(
        FlowConfig(access_token=token, platform_url=tenant.url, org_id=tenant.org_id, workspace_id=tenant.workspace_id)
    )


def _eventually(check, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def test_a_flood_of_output_stays_under_the_cap_and_tail_reads_the_end(own_platform, tmp_path):
    with _client(own_platform) as client:
        sid = deploy(client, [{"path": "/flood", "method": "POST", "source": FLOOD}])["id"]
        # 12 MB through a log of 3 files of 1 MiB: it rotates about a dozen times.
        assert client.invoke_service(sid, "POST", "/flood", body={"lines": 12_000}) == {"printed": True}
        last = "end 0\nend 1\nend 2\nend 3\nend 4\n"
        # The pump copies the pipe on its own thread: the call may answer before the log has it all.
        assert _eventually(lambda: client.hosted_services.logs(sid, version=1, tail=5) == last)

        files = sorted((own_platform.data_dir / "service-logs" / sid).iterdir())
        assert [f.name for f in files] == ["v1.log", "v1.log.1", "v1.log.2"]
        assert all(0 < f.stat().st_size < FILE_BYTES for f in files), [f.stat().st_size for f in files]

        whole = client.hosted_services.logs(sid, version=1)
        assert len(whole.encode()) < FILES * FILE_BYTES
        assert "L" * 16384 + cut_marker(16384).decode() + "\nend 0\n" in whole
        assert "L" * 16385 not in whole

        config = tmp_path / "flow" / "config.json"
        client.config.save(config)
        done = subprocess.run(
            [FLOW_SDK, "--config", str(config), "services", "logs", sid, "--tail", "5"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == last

        bad = subprocess.run(
            [FLOW_SDK, "--config", str(config), "services", "logs", sid, "--tail", "-1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode != 0 and "Traceback" not in bad.stderr


def _process_folders(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()


def test_kill_9_leaves_temporary_folders_that_the_next_start_removes(own_platform):
    root = scratch_root(own_platform.data_dir)
    client = _client(own_platform)
    source = "def main(r):\n    return 1\n"
    sid = deploy(client, [{"path": "/one", "method": "GET", "source": source}])["id"]
    assert client.invoke_service(sid, "GET", "/one") == 1
    component = codeblock(client, "def main(request):\n    return {'ok': True}\n")
    dep = deploy_component(client, component, client.rings.resolve("dev"))
    assert wait_for(client.component_deployments, dep["id"], {"active"})["status"] == "active"

    (first,) = _process_folders(root)
    inside = [p.name for p in (root / first).iterdir()]
    # the worker's folder and the deployer's spare probes' folders
    assert any(n.startswith("r") for n in inside) and any(n.startswith("probe-") for n in inside), inside

    port = int(own_platform.url.rsplit(":", 1)[1])
    own_platform.stop(signal.SIGKILL)
    assert (root / first).is_dir()  # nothing could clean up

    own_platform.start(port)
    assert first not in _process_folders(root)
    assert client.invoke_service(sid, "GET", "/one") == 1  # the new process makes its own
    (second,) = _process_folders(root)
    assert second != first
    client.close()

    own_platform.stop(signal.SIGTERM)
    assert not root.exists() or list(root.iterdir()) == []
