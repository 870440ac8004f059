"""Async jobs: `POST .../services/{id}[/v{N}]/async/{path}` stages a call, a runner
makes it, and the caller polls the job.

States: staged -> running -> succeeded | failed. Jobs live in the database, so a
platform restart loses none, and several platform processes on one database share
them safely:
- a runner claims a staged job with a compare-and-set, so only one process runs it, and
  takes a lease of the endpoint's timeout plus a grace period;
- a sweeper in every process (at start, then every few seconds) runs staged jobs that
  nobody claimed, and fails with `INTERRUPTED` running jobs whose lease ran out: no
  process can still be running those, and their handler may have had effects, so they
  are not silently repeated.

Lanes (`X-HSL-Lane`): jobs wait for one of `MAX_CONCURRENT_JOBS` slots, and a freed slot
goes to a waiting `priority` job before any `standard` one.

Retries: a job whose worker crashed or timed out goes back to `staged` after a backoff
(`RETRY_BASE_SECONDS` doubling, at most `RETRY_MAX_SECONDS`) until it has had its
endpoint's `max_attempts` (default 3); every attempt is appended to `attempt_log`. An
answer from the handler itself, an `HTTPError` included, is final.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from flow_sdk import _wire as wire

from ..domain.errors import InvalidRequest
from ..domain.job_lanes import HEADER as LANE_HEADER
from ..domain.job_lanes import JobLane
from ..runtime.bundle import EndpointSpec
from ..runtime.supervisor import Supervisor
from ..runtime.upstream import WorkerCrashed, WorkerTimeout, WorkerUnavailable
from ..store.base import utcnow
from ..store.conflicts import retry_conflicts
from ..store.tables import ServiceJob
from .app import AsyncSubmitter
from .auth import GatewayError
from .forward import build_request, quote_path
from .lanes import LaneLimiter
from .routes import RouteTable, ServiceRoute, VersionRoute

log = logging.getLogger("flow_platform.jobs")
MAX_CONCURRENT_JOBS = 8
LEASE_GRACE_SECONDS = 5.0
SWEEP_SECONDS = 2.0
STAGED_GRACE_SECONDS = 5.0  # a fresh job is its submitter's to claim first
ATTEMPT_HEADER = b"x-hsl-attempt"
RETRY_BASE_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
# Failures of the platform's side of a call: the handler may not have finished, so another try is worth it.
RETRYABLE = frozenset({"TIMEOUT", "WORKER_CRASHED", "WORKER_UNAVAILABLE"})


class JobRunner(AsyncSubmitter):
    def __init__(self, sessions: sessionmaker[Session], routes: RouteTable, supervisor: Supervisor) -> None:
        self.sessions = sessions
        self.routes = routes
        self.supervisor = supervisor
        self._limit = LaneLimiter(MAX_CONCURRENT_JOBS)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    # -- submission (called by the gateway) -----------------------------------------
    async def submit(
        self,
        service: ServiceRoute,
        version: VersionRoute,
        spec: EndpointSpec,
        *,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        claims: dict[str, Any],
        request_id: str,
        pinned: bool,
    ) -> tuple[int, dict[str, Any]]:
        key = headers.get("x-idempotency-key") or None
        try:
            lane = JobLane.parse(headers.get(LANE_HEADER))
        except InvalidRequest as err:
            raise GatewayError(400, err.code, err.message) from None
        row = ServiceJob(
            org_id=service.org_id,
            service_id=service.id,
            version=version.number,
            pinned=pinned,
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body.decode("utf-8", "replace"),
            claims=claims,
            request_id=request_id,
            idempotency_key=key,
            status="staged",
            timeout_seconds=spec.timeout_seconds,
            lane=lane.value,
            max_attempts=spec.max_attempts,
            attempt_log=[],
        )
        job, created = await asyncio.to_thread(self._insert, row)
        if created:
            self._start(job["id"], lane)
        return 202, {
            "job_id": job["id"],
            "status": job["status"],
            "lane": lane.value,
            "poll_url": poll_url(service.org_id, service.workspace_id, service.id, job["id"]),
        }

    @retry_conflicts
    def _insert(self, row: ServiceJob) -> tuple[dict[str, Any], bool]:
        with self.sessions() as session:
            session.add(row)
            try:
                session.commit()
                return {"id": row.id, "status": row.status}, True
            except IntegrityError:  # the same X-Idempotency-Key was seen before
                session.rollback()
                existing = session.scalar(
                    select(ServiceJob).where(
                        ServiceJob.service_id == row.service_id, ServiceJob.idempotency_key == row.idempotency_key
                    )
                )
                assert existing is not None
                return {"id": existing.id, "status": existing.status}, False

    # -- running ------------------------------------------------------------------
    async def recover(self) -> None:
        """At start: run what is staged, fail what lost its runner; then keep sweeping."""
        await self.sweep(staged_grace=0.0)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep(STAGED_GRACE_SECONDS)
            except Exception:  # the database may be briefly away; try again next round
                log.exception("job sweep failed")

    async def sweep(self, staged_grace: float) -> None:
        for job_id, lane in await asyncio.to_thread(self._sweep, staged_grace):
            self._start(job_id, JobLane(lane))

    def _sweep(self, staged_grace: float) -> list[tuple[str, str]]:
        now = utcnow()
        with self.sessions() as session:
            session.execute(
                update(ServiceJob)
                .where(ServiceJob.status == "running", ServiceJob.lease_until < now)
                .values(
                    status="failed",
                    finished_at=now,
                    error={"code": "INTERRUPTED", "message": "the platform stopped while the job ran", "details": []},
                )
            )
            session.commit()
            cutoff = now - timedelta(seconds=staged_grace)
            stmt = select(ServiceJob.id, ServiceJob.lane).where(
                ServiceJob.status == "staged",
                ServiceJob.created_at <= cutoff,
                (ServiceJob.retry_at.is_(None)) | (ServiceJob.retry_at <= now),
            )
            return [(job_id, lane) for job_id, lane in session.execute(stmt)]

    def _start(self, job_id: str, lane: JobLane) -> None:
        if job_id in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self._run(job_id, lane))
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def _run(self, job_id: str, lane: JobLane) -> None:
        while True:
            await self._limit.acquire(lane)
            try:
                retry_in = await self._attempt(job_id)
            finally:
                self._limit.release()
            if retry_in is None:
                return
            await asyncio.sleep(retry_in)  # the slot is free for others meanwhile

    async def _attempt(self, job_id: str) -> float | None:
        """Run the job once; the backoff before the next attempt, or None when it is settled."""
        try:
            job = await asyncio.to_thread(self._claim, job_id)
            if job is None:
                return None
            status, payload, retryable = await self._call(job)
            if retryable and job["attempts"] < job["max_attempts"]:
                delay = float(min(RETRY_BASE_SECONDS * 2 ** (job["attempts"] - 1), RETRY_MAX_SECONDS))
                await asyncio.to_thread(self._requeue, job, status, payload, delay)
                return delay
            await asyncio.to_thread(self._finish, job_id, status, payload, job)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not lose the job silently
            log.exception("job %s failed in the runner", job_id)
            error = {"code": "INTERNAL_ERROR", "message": "the job runner failed", "details": []}
            await asyncio.to_thread(self._finish, job_id, 500, error)
        return None

    @retry_conflicts
    def _claim(self, job_id: str) -> dict[str, Any] | None:
        now = utcnow()
        with self.sessions() as session:
            job = session.get(ServiceJob, job_id)
            if job is None or job.status != "staged":
                return None
            lease = now + timedelta(seconds=job.timeout_seconds + LEASE_GRACE_SECONDS)
            # Compare-and-set, so that two runners never both take one job.
            result = session.execute(
                update(ServiceJob)
                .where(ServiceJob.id == job_id, ServiceJob.status == "staged")
                .values(status="running", started_at=now, lease_until=lease, attempts=ServiceJob.attempts + 1)
            )
            claimed = cast(CursorResult[Any], result).rowcount
            session.commit()
            if not claimed:
                return None
            session.refresh(job)
            return {c.key: getattr(job, c.key) for c in ServiceJob.__table__.columns}

    async def _call(self, job: dict[str, Any]) -> tuple[int, Any, bool]:
        """The answer, and whether the platform's side failed (so another attempt may do)."""
        service = await self.routes.get(job["service_id"])
        version = service.versions.get(job["version"]) if service is not None else None
        if service is None or version is None or service.status != "active":
            return 503, _error(503, wire.UNAVAILABLE, "the service or version is no longer available", job), False
        index, _ = version.router.match(job["method"], job["path"])
        spec = version.bundle.endpoints[index]
        headers = [
            (k.encode("latin-1"), str(v).encode("latin-1"))
            for k, v in job["headers"].items()
            if k.lower().encode("latin-1") != ATTEMPT_HEADER
        ]
        # The handler may want to know it is being retried (to skip work it finished before).
        headers.append((ATTEMPT_HEADER, str(job["attempts"]).encode()))
        request = build_request(
            job["method"],
            quote_path(job["path"]),
            job["query"].encode("latin-1"),
            headers,
            job["body"].encode(),
            job["request_id"],
            job["claims"],
            index,
        )
        try:
            status, body = await self.supervisor.call(version.bundle, request, spec.timeout_seconds)
        except WorkerTimeout:
            message = f"the handler did not answer within {spec.timeout_seconds:g} s"
            return 504, _error(504, "TIMEOUT", message, job), True
        except WorkerCrashed:
            return 502, _error(502, "WORKER_CRASHED", "the service worker died during the call", job), True
        except WorkerUnavailable:
            return 502, _error(502, "WORKER_UNAVAILABLE", "the service worker could not be started", job), True
        return status, json.loads(body) if body else None, False

    @retry_conflicts
    def _requeue(self, job: dict[str, Any], status: int, payload: Any, delay: float) -> None:
        now = utcnow()
        entry = _attempt_entry(job, now, status, payload, outcome="retrying")
        with self.sessions() as session:
            session.execute(
                update(ServiceJob)
                .where(ServiceJob.id == job["id"], ServiceJob.status == "running")
                .values(
                    status="staged",
                    lease_until=None,
                    retry_at=now + timedelta(seconds=delay),
                    attempt_log=[*(job["attempt_log"] or []), entry],
                )
            )
            session.commit()

    @retry_conflicts
    def _finish(self, job_id: str, status: int, payload: Any, job: dict[str, Any] | None = None) -> None:
        ok = status < 400
        now = utcnow()
        values: dict[str, Any] = {
            "status": "succeeded" if ok else "failed",
            "status_code": status,
            "result": payload if ok else None,
            "error": None if ok else payload,
            "finished_at": now,
        }
        if job is not None:
            entry = _attempt_entry(job, now, status, payload, outcome="succeeded" if ok else "failed")
            values["attempt_log"] = [*(job["attempt_log"] or []), entry]
        with self.sessions() as session:
            session.execute(
                update(ServiceJob).where(ServiceJob.id == job_id, ServiceJob.status == "running").values(**values)
            )
            session.commit()

    async def aclose(self) -> None:
        tasks = [*self._tasks.values(), *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)


def _attempt_entry(job: dict[str, Any], now: Any, status: int, payload: Any, *, outcome: str) -> dict[str, Any]:
    started = job["started_at"]
    return {
        "attempt": job["attempts"],
        "started_at": started.isoformat() if started is not None else None,
        "finished_at": now.isoformat(),
        "status_code": status,
        "outcome": outcome,
        "error": payload if status >= 400 else None,
    }


def _error(status: int, code: str, message: str, job: dict[str, Any]) -> dict[str, Any]:
    return wire.error_body(status, message, code=code, request_id=job["request_id"])


def poll_url(org_id: str, workspace_id: str, service_id: str, job_id: str) -> str:
    return f"/api/v1/orgs/{org_id}/workspaces/{workspace_id}/hosted-services/{service_id}/jobs/{job_id}"
