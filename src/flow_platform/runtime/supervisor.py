"""Starts, watches, replaces and stops the worker processes of published versions.

One worker process per (service, version), started on its first call and kept warm.
Isolation: each worker runs in its own session (process group) with a scrubbed
environment, its own working directory and a 0700 socket directory, so services share
nothing with each other or with the platform but the interpreter's installed packages.

Failure handling:
- crash while idle: restarted at once (with backoff if it keeps crashing);
- crash mid-call: that call gets `WorkerCrashed` (the gateway answers 502), then restart;
- timeout: the call gets `WorkerTimeout` (504) and the worker is retired: new calls go
  to a fresh worker while calls already running on the old one finish; the old process
  group is killed once none is left (a stuck thread cannot be stopped any other way);
- platform exit: `aclose()` terminates every process group; should the platform die
  without it, each worker sees its parent pipe close and exits (`worker._watch_parent`).

Sandbox (`flow_platform.sandbox`): each worker gets a uid of its own (when the platform
runs as root), its own PID, mount and network namespaces (so nothing it starts outlives
it) and resource limits. Workers nobody called for `idle_seconds` are stopped, and at
most `max_workers` run at once: starting one more stops the least recently used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from flow_platform.runtime.bundle import Bundle
from flow_platform.runtime.logs import LogPolicy, OutputPump, VersionLog, log_files, read_all, read_tail
from flow_platform.runtime.upstream import (
    UpstreamConnection,
    WorkerCrashed,
    WorkerTimeout,
    WorkerUnavailable,
)
from flow_platform.sandbox import uids
from flow_platform.sandbox.policy import DEFAULTS, Limits, Policy, version_limits
from flow_platform.scratch import ScratchSpace, make_private_dir

logger = logging.getLogger("flow_platform.runtime")

VersionKey = tuple[str, int]
# Each concurrent call holds one connection, and so one thread in the worker; past this
# many, calls wait for a free one (each call is bounded by its endpoint's timeout).
MAX_CALLS_PER_WORKER = 256

# Passed through from the platform's environment; everything else is dropped so that
# secrets (database URL, signing keys) never reach service code.
_INHERITED_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")
EXIT_OUT_OF_MEMORY = 71  # runtime/worker.py: it answered WORKER_OUT_OF_MEMORY, then left


class WorkerProcess:
    """One running worker: its process, socket and idle connections."""

    def __init__(self, bundle: Bundle, workdir: Path, socket_path: str, log: VersionLog) -> None:
        self.bundle = bundle
        self.key: VersionKey = (bundle.service_id, bundle.version)
        self.workdir = workdir
        self.socket_path = socket_path
        self.log = log
        self.log_path = log.path
        self.output: OutputPump | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.idle: list[UpstreamConnection] = []
        self.active = 0
        self.slots = asyncio.Semaphore(MAX_CALLS_PER_WORKER)
        self.retired = False
        self.stopping = False  # the platform asked it to stop: its exit is expected
        self.dead = False
        self.started_at = 0.0
        self.last_used = time.monotonic()
        self.uid: uids.UidLease | None = None
        self.code_pid: int | None = None
        self.exited: asyncio.Future[int] | None = None
        self._parent_w: int | None = None
        # Sent first on every connection: the worker serves only those who know it, so
        # service code cannot call another worker's socket around the gateway.
        self.conn_key = secrets.token_hex(16).encode()

    @property
    def pid(self) -> int | None:
        """The pid of the process running the code (inside its sandbox, a child of `proc`)."""
        return self.code_pid or (self.proc.pid if self.proc else None)

    async def start(self, python: str, env: dict[str, str], ready_timeout: float, policy: Policy | None = None) -> None:
        loop = asyncio.get_running_loop()
        self.workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
        uids.give(self.workdir, self.uid)  # the only folder it may write, under its own uid
        ready_r, ready_w = os.pipe()
        parent_r, self._parent_w = os.pipe()
        # The bundle (code and all) goes over the child's stdin, never to disk, where
        # other workers could read it or it would outlive a killed platform.
        args = [
            python,
            "-m",
            "flow_platform.runtime.worker",
            "--bundle",
            "-",
            "--socket",
            self.socket_path,
            "--ready-fd",
            str(ready_w),
            "--parent-fd",
            str(parent_r),
        ]
        if policy is not None:
            args += ["--sandbox", policy.dumps()]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        self.log.note(f"worker starting for v{self.bundle.version}")
        # Its output reaches the log only through a pipe the platform reads (runtime/logs.py):
        # the handler never holds the log file, so it cannot write past the cap.
        output_r, output_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=output_w,
                stderr=output_w,
                cwd=self.workdir,
                env=env,
                pass_fds=(ready_w, parent_r),
                start_new_session=True,
            )
        except BaseException:
            os.close(output_r)
            raise
        finally:
            os.close(output_w)
        output = self.output = OutputPump(output_r, self.log, name=f"log-{self.key[0][:8]}-v{self.key[1]}")
        os.close(ready_w)
        os.close(parent_r)
        payload = self.conn_key + b"\n" + self.bundle.dumps().encode()
        handing = loop.run_in_executor(None, _hand_over, self.proc, payload)
        self.exited = loop.create_future()
        self._watch_exit(loop)
        ready = loop.create_future()

        def on_ready() -> None:
            data = os.read(ready_r, 64)  # b"R" and its pid, in one write
            if data[1:].isdigit():
                self.code_pid = int(data[1:])
            if not ready.done():
                ready.set_result(data[:1] == b"R")

        loop.add_reader(ready_r, on_ready)
        try:
            ok = await asyncio.wait_for(asyncio.shield(ready), ready_timeout)
        except TimeoutError:
            ok = False
        finally:
            loop.remove_reader(ready_r)
            os.close(ready_r)
        if not ok:
            self.kill()
        await handing  # returns once the child has read it all, or died
        if not ok:
            # Let its last words (an import error, say) reach the log before anyone reads it.
            await asyncio.to_thread(output.join, 2.0)
            raise WorkerUnavailable(f"worker for {self.key[0]} v{self.key[1]} did not become ready; see its log")
        self.started_at = time.monotonic()

    def _watch_exit(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.proc is not None and self.exited is not None
        proc, exited = self.proc, self.exited

        def reaped(code: int) -> None:
            self.dead = True
            for conn in self.idle:
                conn.abort()
            self.idle.clear()
            if self._parent_w is not None:
                os.close(self._parent_w)
                self._parent_w = None
            if not exited.done():
                exited.set_result(code)

        try:
            pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):  # not Linux: one waiting thread per worker
            fut = loop.run_in_executor(None, proc.wait)
            fut.add_done_callback(lambda f: reaped(f.result()))
            return

        def on_exit() -> None:
            loop.remove_reader(pidfd)
            os.close(pidfd)
            reaped(proc.wait())

        loop.add_reader(pidfd, on_exit)

    async def call(self, request: bytes, timeout: float) -> tuple[int, bytes]:
        async with self.slots:
            try:
                return await self._call(request, timeout)
            finally:
                self.last_used = time.monotonic()  # idle counts from the end of the last call

    async def _call(self, request: bytes, timeout: float) -> tuple[int, bytes]:
        if self.dead:
            raise WorkerUnavailable("worker is gone")
        if self.idle:
            conn = self.idle.pop()
        else:
            loop = asyncio.get_running_loop()
            try:
                _, conn = await loop.create_unix_connection(UpstreamConnection, self.socket_path)
            except OSError as err:
                raise WorkerUnavailable(str(err)) from err
            assert conn.transport is not None
            conn.transport.write(self.conn_key + b"\n")
        self.active += 1
        future = conn.send(request)
        handle = asyncio.get_running_loop().call_later(timeout, _expire, future, timeout)
        try:
            result = await future
        except BaseException:
            conn.abort()
            raise
        finally:
            handle.cancel()
            self.active -= 1
            if self.retired and self.active == 0:
                self.kill()
        if conn.keep_alive and not conn.closed and not self.retired:
            self.idle.append(conn)
        else:
            conn.abort()
        return result

    def retire(self) -> None:
        self.retired = True
        for conn in self.idle:
            conn.abort()
        self.idle.clear()
        if self.active == 0:
            self.kill()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        self.stopping = True
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)


def _hand_over(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
    except BrokenPipeError:
        pass  # it died before reading: the ready wait reports that
    finally:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()


def _expire(future: asyncio.Future[tuple[int, bytes]], timeout: float) -> None:
    if not future.done():
        future.set_exception(WorkerTimeout(f"no answer within {timeout:g} s"))


class Supervisor:
    """The platform's registry of running workers, keyed by (service_id, version)."""

    def __init__(
        self,
        log_dir: Path,
        *,
        python: str = sys.executable,
        env: dict[str, str] | None = None,
        ready_timeout: float = 15.0,
        credentials: Callable[[Bundle], Awaitable[dict[str, str]]] | None = None,
        max_age: float | None = None,
        log_policy: LogPolicy | None = None,
        scratch: ScratchSpace | None = None,
        sandbox: bool = True,
        limits: Limits = DEFAULTS,
        outbound: Callable[[Bundle], bool] | None = None,
        idle_seconds: float | None = None,
        max_workers: int | None = None,
    ) -> None:
        """`credentials` gives each worker start fresh environment entries (its token);
        `max_age` replaces a worker that old on its next call, before they expire;
        `sandbox=False` runs workers unconfined (FLOW_UNSAFE_NO_SANDBOX, benchmarks only);
        `limits` are the platform's: a version's worker gets them merged with what its
        endpoints set (`version_limits`); `outbound` says which bundles may use the
        network besides those with an endpoint that asks for it."""
        self.sandbox = sandbox
        self.limits = limits
        self.outbound = outbound
        self.idle_seconds = idle_seconds
        self.max_workers = max_workers
        self._idle_task: asyncio.Task[None] | None = None
        self.log_dir = Path(log_dir)
        self.log_policy = log_policy or LogPolicy()
        self._logs: dict[VersionKey, VersionLog] = {}
        self.credentials = credentials
        self.max_age = max_age
        self.python = python
        self.extra_env = dict(env or {})
        self.ready_timeout = ready_timeout
        self.scratch = scratch
        self._run_dir: Path | None = None
        self.workers: dict[VersionKey, WorkerProcess] = {}
        self._retired: set[WorkerProcess] = set()
        self._starting: dict[VersionKey, asyncio.Future[WorkerProcess]] = {}
        self._restarts: dict[VersionKey, int] = {}
        self._serial = 0
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def run_dir(self) -> Path:
        # Unix socket paths are limited to ~100 bytes, so sockets live in a short temp dir,
        # made on the first start so that an app that never runs a worker leaves none.
        if self._run_dir is None:
            self._run_dir = self.scratch.make("r") if self.scratch else make_private_dir("flow-rt-")
            # Workers under their own uids pass through to their own 0700 folders only.
            self._run_dir.chmod(0o711)
        return self._run_dir

    def log_path(self, service_id: str, version: int) -> Path:
        return self.log_dir / service_id / f"v{version}.log"

    def version_log(self, service_id: str, version: int) -> VersionLog:
        key = (service_id, version)
        log = self._logs.get(key)
        if log is None:
            log = self._logs[key] = VersionLog(self.log_path(service_id, version), self.log_policy)
        return log

    def read_log(self, service_id: str, version: int, tail: int | None = None) -> str:
        """The version's log (all its files), or its last `tail` lines read from the end."""
        log = self._logs.get((service_id, version))
        if log is not None:
            log.settle()  # what a worker printed before it answered is in the file
        files = log_files(self.log_path(service_id, version), self.log_policy.files)
        return read_all(files) if tail is None else read_tail(files, tail)

    async def call(self, bundle: Bundle, request: bytes, timeout: float) -> tuple[int, bytes]:
        """Send one raw HTTP request to the bundle's worker and return (status, body)."""
        key = (bundle.service_id, bundle.version)
        worker = self.workers.get(key)
        if worker is None or worker.dead:
            worker = await self._ensure(bundle)
        elif self.max_age is not None and time.monotonic() - worker.started_at > self.max_age:
            self._write_log(worker, "worker replaced: its credentials are due for renewal")
            self._drop(worker)  # calls in flight finish on it
            worker = await self._ensure(bundle)
        worker.last_used = time.monotonic()
        try:
            return await worker.call(request, timeout)
        except WorkerUnavailable:
            # Nothing was sent, so one retry on a fresh worker is safe.
            self._drop(worker)
            return await (await self._ensure(bundle)).call(request, timeout)
        except WorkerTimeout:
            logger.warning("service %s v%s: call timed out; replacing worker", *key)
            self._write_log(worker, f"call timed out after {timeout:g} s; worker replaced")
            self._drop(worker)
            raise
        except WorkerCrashed:
            # Connections opened before the exit is noticed would fail the same way, so
            # stop using this worker now and bring up its replacement.
            self._write_log(worker, "worker died during a call")
            self._drop(worker)
            self._spawn_task(self._restart(bundle))
            raise

    async def warm(self, bundle: Bundle) -> WorkerProcess:
        return await self._ensure(bundle)

    async def _ensure(self, bundle: Bundle) -> WorkerProcess:
        if self._closing:
            raise WorkerUnavailable("the runtime is shutting down")
        key = (bundle.service_id, bundle.version)
        current = self.workers.get(key)
        if current is not None and not current.dead:
            return current
        if current is not None:
            self._drop(current)
        starting = self._starting.get(key)
        if starting is not None:
            return await asyncio.shield(starting)
        future: asyncio.Future[WorkerProcess] = asyncio.get_running_loop().create_future()
        self._starting[key] = future
        try:
            worker = await self._spawn(bundle)
        except BaseException as err:
            future.set_exception(err)
            future.exception()  # mark retrieved when no one else waits
            raise
        finally:
            self._starting.pop(key, None)
        future.set_result(worker)
        return worker

    async def _spawn(self, bundle: Bundle) -> WorkerProcess:
        self._serial += 1
        # Each worker gets a folder of its own holding its socket: under Landlock it may
        # write there and nowhere else (see runtime/worker.py).
        workdir = self.run_dir / f"w{self._serial}"
        socket_path = str(workdir / "w.sock")
        worker = WorkerProcess(bundle, workdir, socket_path, self.version_log(*_key(bundle)))
        env = self._env(bundle, workdir)
        if self.credentials is not None:
            env.update(await self.credentials(bundle))
        self._make_room()
        policy = None
        if self.sandbox:
            worker.uid = uids.lease()
            network = any(ep.network == "outbound" for ep in bundle.endpoints) or (
                self.outbound is not None and self.outbound(bundle)
            )
            uid = worker.uid.uid if worker.uid is not None else None
            limits = version_limits(self.limits, (ep.limits for ep in bundle.endpoints))
            policy = Policy(network=network, uid=uid, limits=limits)
        try:
            await worker.start(self.python, env, self.ready_timeout, policy)
        except BaseException:
            if worker.uid is not None:
                worker.uid.release()
            raise
        self._watch_idle()
        self.workers[worker.key] = worker
        assert worker.exited is not None
        worker.exited.add_done_callback(lambda f: self._on_exit(worker, f.result()))
        return worker

    def _env(self, bundle: Bundle, workdir: Path) -> dict[str, str]:
        env = {k: os.environ[k] for k in _INHERITED_ENV if k in os.environ}
        env.update(self.extra_env)
        env.update(bundle.env)
        # Its own folder is the only one it may write under Landlock: temp files go there.
        env.update(HOME=str(workdir), TMPDIR=str(workdir), PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        # glibc reserves 64 MiB of address space per malloc arena and thread group;
        # two keep a worker's threads within its address-space limit.
        env["MALLOC_ARENA_MAX"] = "2"
        return env

    def _make_room(self) -> None:
        """At the ceiling of live workers, stop the least recently used one."""
        if self.max_workers is None:
            return
        live = [w for w in self.workers.values() if not w.dead]
        live.sort(key=lambda w: w.last_used)
        while len(live) >= self.max_workers:
            victim = live.pop(0)
            self._write_log(victim, f"worker stopped: {self.max_workers} workers were running (least recently used)")
            self._drop(victim)

    def _watch_idle(self) -> None:
        if self.idle_seconds is None or self._idle_task is not None:
            return
        self._idle_task = asyncio.get_running_loop().create_task(self._stop_idle(self.idle_seconds))

    async def _stop_idle(self, idle: float) -> None:
        while not self._closing:
            await asyncio.sleep(min(max(idle / 4, 0.05), 30.0))
            now = time.monotonic()
            for worker in list(self.workers.values()):
                if worker.active == 0 and now - worker.last_used > idle:
                    self._write_log(worker, f"worker stopped: idle for {idle:g} s")
                    self._drop(worker)

    def _drop(self, worker: WorkerProcess) -> None:
        if self.workers.get(worker.key) is worker:
            del self.workers[worker.key]
        if not worker.dead:
            self._retired.add(worker)
            worker.retire()

    def _on_exit(self, worker: WorkerProcess, code: int) -> None:
        self._retired.discard(worker)
        shutil.rmtree(worker.workdir, ignore_errors=True)
        if worker.uid is not None:
            worker.uid.release()  # its namespace, and every process in it, is gone
        how = "was stopped by the platform" if worker.stopping else "exited unexpectedly"
        if code == EXIT_OUT_OF_MEMORY:
            how = "ran out of memory and exited"
        if worker.output is not None:
            # After its last output; a grandchild that keeps the pipe open delays it a second at most.
            worker.output.finish(f"worker {worker.pid} {how} (exit code {code})")
            asyncio.get_running_loop().call_later(1.0, worker.output.flush_note)
        if self._closing or self.workers.get(worker.key) is not worker:
            return
        # The current worker crashed: restart it now so the version stays warm.
        del self.workers[worker.key]
        uptime = time.monotonic() - worker.started_at
        attempts = 0 if uptime > 30 else self._restarts.get(worker.key, 0) + 1
        self._restarts[worker.key] = attempts
        if attempts > 5:
            return  # crash loop: the next call starts it again
        delay = min(0.05 * 2**attempts, 2.0)
        loop = asyncio.get_running_loop()
        loop.call_later(delay, lambda: self._spawn_task(self._restart(worker.bundle)))

    def _spawn_task(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)  # keep a reference until done (asyncio holds only weak ones)
        task.add_done_callback(self._tasks.discard)

    async def _restart(self, bundle: Bundle) -> None:
        if self._closing or _key(bundle) in self.workers:
            return
        try:
            await self._ensure(bundle)
        except WorkerUnavailable as err:
            logger.warning("restart of %s v%s failed: %s", *_key(bundle), err)

    def _write_log(self, worker: WorkerProcess, message: str) -> None:
        worker.log.note(message)

    def running(self) -> list[WorkerProcess]:
        return [w for w in [*self.workers.values(), *self._retired] if not w.dead]

    def stop(self, service_id: str, version: int | None = None) -> None:
        """Retire the workers of a service (or one version): calls in flight finish first."""
        for key, worker in list(self.workers.items()):
            if key[0] == service_id and version in (None, key[1]):
                self._drop(worker)

    async def aclose(self, grace: float = 2.0) -> None:
        """Stop every worker: SIGTERM to each process group, SIGKILL after `grace`."""
        self._closing = True
        if self._idle_task is not None:
            self._idle_task.cancel()
        workers = self.running()
        for worker in workers:
            worker.kill(signal.SIGTERM)
        waits = [w.exited for w in workers if w.exited is not None]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=grace)
            if pending:
                for worker in workers:
                    worker.kill(signal.SIGKILL)
                await asyncio.wait(pending, timeout=grace)
        self.workers.clear()
        self._retired.clear()
        for log in self._logs.values():
            log.close()
        self._logs.clear()
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)


def _key(bundle: Bundle) -> VersionKey:
    return (bundle.service_id, bundle.version)
