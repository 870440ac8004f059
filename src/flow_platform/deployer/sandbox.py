"""Build and smoke-run code blocks in an isolated interpreter, never in the platform itself.

Each probe is a fresh ``python -I`` (no user site, no PYTHON* variables, no current
folder on the path) in an empty temporary folder with a scrubbed environment, in the
sandbox that hosted-service workers get (`flow_platform.sandbox`: its own uid, PID,
mount and network namespaces, Landlock, no capabilities, seccomp), plus rlimits on
CPU, memory, processes, file size and open files, set before the code block runs.
Whatever the code block starts dies with the probe (its PID namespace), so the wall
time limit holds even when a child holds the probe's pipes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flow_platform.sandbox import uids
from flow_platform.sandbox.policy import Policy, unsafe_no_sandbox

from ..scratch import ScratchSpace, make_private_dir
from .capture import communicate

PROBE = Path(__file__).with_name("_probe.py")


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 64 * 1024**2
    open_files: int = 256
    processes: int = 64  # processes and threads (RLIMIT_NPROC, under the probe's own uid)


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    stage: str = ""  # syntax | import | entrypoint | run | timeout | crash
    error: str = ""
    output: str = ""  # what the code block printed, truncated
    confined: bool = False  # whether Landlock rules applied (see _probe.py)


# Lets the deployer kill running probes when the platform stops.
Tracker = Callable[[subprocess.Popen[bytes] | None], None]


class Spare:
    """A probe interpreter that has started and waits on stdin for its one job."""

    def __init__(self, scratch: ScratchSpace | None = None) -> None:
        # In the platform's scratch space, so a crash leaves nothing the next start misses.
        self._workdir = scratch.make("probe-") if scratch else make_private_dir("flow-probe-")
        workdir = str(self._workdir)
        env = {"PATH": os.defpath, "HOME": workdir, "TMPDIR": workdir, "LC_ALL": "C.UTF-8", "MALLOC_ARENA_MAX": "2"}
        enabled = not unsafe_no_sandbox()
        self.uid = uids.lease() if enabled else None
        uids.give(self._workdir, self.uid)
        policy = Policy(enabled=enabled, uid=self.uid.uid if self.uid is not None else None)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(PROBE), policy.dumps()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )

    def discard(self) -> None:
        _kill_group(self.proc)
        if self.proc.poll() is None:
            self.proc.wait(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        if self.uid is not None:
            self.uid.release()
        shutil.rmtree(self._workdir, ignore_errors=True)


class WarmProbes:
    """Keeps probe interpreters started ahead of need, so a probe skips Python's start-up.

    Two spares, because a deployment takes two probes (build, then smoke run) a few
    milliseconds apart: the second must not wait for the replacement of the first.
    Every job still gets a fresh process of its own: a spare is used once, then discarded.
    """

    def __init__(self, spares: int = 2, scratch: ScratchSpace | None = None) -> None:
        self._scratch = scratch
        self._lock = threading.Lock()
        self._spares: list[Spare] = []
        self._size = spares
        self._closed = False

    def take(self) -> Spare:
        with self._lock:
            spare = self._spares.pop(0) if self._spares else None
        # Replace it off the caller's path: forking the platform process takes milliseconds.
        threading.Thread(target=self._refill, name="probe-refill", daemon=True).start()
        return spare or Spare(self._scratch)

    def _refill(self) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._spares) >= self._size:
                    return
            spare = Spare(self._scratch)
            with self._lock:
                if not self._closed and len(self._spares) < self._size:
                    self._spares.append(spare)
                    continue
            spare.discard()
            return

    def close(self) -> None:
        with self._lock:
            self._closed = True
            spares, self._spares = self._spares, []
        for spare in spares:
            spare.discard()


def run_probe(
    mode: str,
    source: str,
    entrypoint: str,
    *,
    filename: str = "<codeblock>",
    limits: Limits | None = None,
    track: Tracker | None = None,
    warm: WarmProbes | None = None,
) -> ProbeResult:
    """``mode`` is "build" (compile, import, find the entrypoint) or "validate" (also call it)."""
    limits = limits or Limits()
    job = {
        "mode": mode,
        "source": source,
        "entrypoint": entrypoint,
        "filename": filename,
        "limits": {
            "wall_seconds": limits.wall_seconds,
            "cpu_seconds": limits.cpu_seconds,
            "memory_bytes": limits.memory_bytes,
            "file_bytes": limits.file_bytes,
            "open_files": limits.open_files,
            "processes": limits.processes,
        },
    }
    spare = warm.take() if warm is not None else Spare()
    proc = spare.proc
    if track is not None:
        track(proc)
    timer = threading.Timer(limits.wall_seconds, _kill_group, (proc,))
    timer.start()
    try:
        # Bounded: a code block printing without end costs the platform no memory.
        out, err = communicate(proc, json.dumps(job).encode(), stdout_limit=1024**2, stderr_tail=8192)
    finally:
        timer.cancel()
        if track is not None:
            track(None)
        spare.discard()  # whatever the code block left running dies with the probe
    output = err.decode("utf-8", "replace")[-2000:]
    if proc.returncode in (-signal.SIGKILL, -signal.SIGXCPU, -signal.SIGALRM) and not out:
        return ProbeResult(False, "timeout", f"timed out after {limits.wall_seconds:g} s", output)
    try:
        result = json.loads(out)
    except ValueError:
        last = output.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return ProbeResult(False, "crash", f"the sandbox process died: {last[0]}", output)
    return ProbeResult(
        bool(result.get("ok")), result.get("stage", ""), result.get("error", ""), output, bool(result.get("confined"))
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop a running probe and everything it started."""
    _kill_group(proc)
