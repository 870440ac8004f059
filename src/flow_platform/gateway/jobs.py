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
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from flow_sdk import _wire as wire

from ..runtime.bundle import EndpointSpec
from ..runtime.supervisor import Supervisor
from ..runtime.upstream import WorkerCrashed, WorkerTimeout, WorkerUnavailable
from ..store.base import utcnow
from ..store.conflicts import retry_conflicts
from ..store.tables import ServiceJob
from .app import AsyncSubmitter
from .forward import build_request, quote_path
from .routes import RouteTable, ServiceRoute, VersionRoute

log = logging.getLogger("flow_platform.jobs")
MAX_CONCURRENT_JOBS = 8
LEASE_GRACE_SECONDS = 5.0
SWEEP_SECONDS = 2.0
STAGED_GRACE_SECONDS = 5.0  # a fresh job is its submitter's to claim first


class JobRunner(AsyncSubmitter):
    def __init__(self, sessions: sessionmaker[Session], routes: RouteTable, supervisor: Supervisor) -> None:
        self.sessions = sessions
        self.routes = routes
        self.supervisor = supervisor
        self._limit = asyncio.Semaphore(MAX_CONCURRENT_JOBS)
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
        )
        job, created = await asyncio.to_thread(self._insert, row)
        if created:
            self._start(job["id"])
        return 202, {
            "job_id": job["id"],
            "status": job["status"],
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
        for job_id in await asyncio.to_thread(self._sweep, staged_grace):
            self._start(job_id)

    def _sweep(self, staged_grace: float) -> list[str]:
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
            stmt = select(ServiceJob.id).where(ServiceJob.status == "staged", ServiceJob.created_at <= cutoff)
            return list(session.scalars(stmt))

    def _start(self, job_id: str) -> None:
        if job_id in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self._run(job_id))
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def _run(self, job_id: str) -> None:
        async with self._limit:
            try:
                job = await asyncio.to_thread(self._claim, job_id)
                if job is None:
                    return
                status, payload = await self._call(job)
                await asyncio.to_thread(self._finish, job_id, status, payload)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not lose the job silently
                log.exception("job %s failed in the runner", job_id)
                error = {"code": "INTERNAL_ERROR", "message": "the job runner failed", "details": []}
                await asyncio.to_thread(self._finish, job_id, 500, error)

    @retry_conflicts
    def _claim(self, job_id: str) -> dict[str, Any] | None:
        now = utcnow()
        with self.sessions() as session:
            job = session.get(ServiceJob, job_id)
            if job is None or job.status != "staged":
                return None
            lease = now + timedelta(seconds=job.timeout_seconds + LEASE_GRACE_SECONDS)
            # Compare-and-set, so that two runners never both take one job.
            claimed = session.execute(
                update(ServiceJob)
                .where(ServiceJob.id == job_id, ServiceJob.status == "staged")
                .values(status="running", started_at=now, lease_until=lease, attempts=ServiceJob.attempts + 1)
            ).rowcount
            session.commit()
            if not claimed:
                return None
            return {c.key: getattr(job, c.key) for c in ServiceJob.__table__.columns}

    async def _call(self, job: dict[str, Any]) -> tuple[int, Any]:
        service = await self.routes.get(job["service_id"])
        version = service.versions.get(job["version"]) if service is not None else None
        if service is None or version is None or service.status != "active":
            return 503, _error(503, wire.UNAVAILABLE, "the service or version is no longer available", job)
        index, _ = version.router.match(job["method"], job["path"])
        spec = version.bundle.endpoints[index]
        headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in job["headers"].items()]
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
            return 504, _error(504, "TIMEOUT", f"the handler did not answer within {spec.timeout_seconds:g} s", job)
        except WorkerCrashed:
            return 502, _error(502, "WORKER_CRASHED", "the service worker died during the call", job)
        except WorkerUnavailable:
            return 502, _error(502, "WORKER_UNAVAILABLE", "the service worker could not be started", job)
        return status, json.loads(body) if body else None

    @retry_conflicts
    def _finish(self, job_id: str, status: int, payload: Any) -> None:
        ok = status < 400
        with self.sessions() as session:
            session.execute(
                update(ServiceJob)
                .where(ServiceJob.id == job_id, ServiceJob.status == "running")
                .values(
                    status="succeeded" if ok else "failed",
                    status_code=status,
                    result=payload if ok else None,
                    error=None if ok else payload,
                    finished_at=utcnow(),
                )
            )
            session.commit()

    async def aclose(self) -> None:
        tasks = [*self._tasks.values(), *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)


def _error(status: int, code: str, message: str, job: dict[str, Any]) -> dict[str, Any]:
    return wire.error_body(status, message, code=code, request_id=job["request_id"])


def poll_url(org_id: str, workspace_id: str, service_id: str, job_id: str) -> str:
    return f"/api/v1/orgs/{org_id}/workspaces/{workspace_id}/hosted-services/{service_id}/jobs/{job_id}"
