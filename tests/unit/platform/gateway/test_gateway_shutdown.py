"""No worker outlives the platform, however the platform ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

from flow_platform.runtime.bundle import EndpointSpec

PID = "import os\ndef main(r):\n    return int(os.readlink('/proc/self'))\n"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead but not yet reaped by its parent
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def test_stopping_the_server_stops_every_worker(new_gateway_server, make_token):
    server = new_gateway_server()
    sleepy = "import time\ndef main(r):\n    time.sleep(60)\n"
    pids = []
    with httpx.Client(headers={"authorization": f"Bearer {make_token()}"}, timeout=30) as client:
        for _ in range(3):
            sid = server.add_service(
                [
                    EndpointSpec("GET", "/pid", PID),
                    EndpointSpec("GET", "/sleep", sleepy, timeout_seconds=0.3),
                ]
            )
            pids.append(client.get(server.url_for(sid, "/pid")).json())
        # a worker retired after a timeout is stopped once its last call has ended
        assert client.get(server.url_for(sid, "/sleep")).status_code == 504
        assert wait_gone([pids.pop()]) == []
        pids.append(client.get(server.url_for(sid, "/pid")).json())
    assert all(alive(p) for p in pids)
    server.stop()
    assert wait_gone(pids) == []


def test_workers_exit_when_the_platform_is_killed(tmp_path: Path):
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from flow_platform.runtime.bundle import Bundle, EndpointSpec
        from flow_platform.runtime.supervisor import Supervisor

        async def main():
            sup = Supervisor(Path({str(tmp_path)!r}))
            for n in (1, 2):
                endpoint = EndpointSpec("GET", "/", "def main(r): return 1")
                worker = await sup.warm(Bundle("svc", n, (endpoint,)))
                print(worker.pid, flush=True)
            await asyncio.sleep(600)

        asyncio.run(main())
        """
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the socket dir a SIGKILLed platform leaves behind
    platform = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    assert platform.stdout is not None
    pids = [int(platform.stdout.readline()), int(platform.stdout.readline())]
    assert all(alive(p) for p in pids)
    platform.send_signal(signal.SIGKILL)  # no cleanup code runs in the platform
    platform.wait()
    platform.stdout.close()
    assert wait_gone(pids) == []
