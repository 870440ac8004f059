"""Async jobs: `POST .../services/{id}[/v{N}]/async/{path}` stages a call, a runner
makes it, and the caller polls the job.

States: staged -> running -> succeeded | failed. Jobs live in the database, so a
platform restart loses none: on start, staged jobs are run again and jobs that were
running when the platform stopped are marked failed (`INTERRUPTED`): their handler may
have had effects, so they are not silently repeated. One platform process per
database runs jobs (the recovery step assumes it owns every running job).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..runtime.bundle import EndpointSpec
from ..runtime.supervisor import Supervisor
from ..runtime.upstream import WorkerCrashed, WorkerTimeout, WorkerUnavailable
from ..store.base import utcnow
from ..store.tables import ServiceJob
from .app import AsyncSubmitter, build_request
from .routes import RouteTable, ServiceRoute, VersionRoute

log = logging.getLogger("flow_platform.jobs")
MAX_CONCURRENT_JOBS = 8


class JobRunner(AsyncSubmitter):
    def __init__(self, sessions: sessionmaker[Session], routes: RouteTable, supervisor: Supervisor) -> None:
        self.sessions = sessions
        self.routes = routes
        self.supervisor = supervisor
        self._limit = asyncio.Semaphore(MAX_CONCURRENT_JOBS)
        self._tasks: set[asyncio.Task[None]] = set()

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
        )
        job, created = await asyncio.to_thread(self._insert, row)
        if created:
            self._start(job["id"])
        return 202, {
            "job_id": job["id"],
            "status": job["status"],
            "poll_url": poll_url(service.org_id, service.workspace_id, service.id, job["id"]),
        }

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
        """After a restart: fail what was running, rerun what was staged."""
        staged = await asyncio.to_thread(self._recover)
        for job_id in staged:
            self._start(job_id)

    def _recover(self) -> list[str]:
        with self.sessions() as session:
            session.execute(
                update(ServiceJob)
                .where(ServiceJob.status == "running")
                .values(
                    status="failed",
                    finished_at=utcnow(),
                    error={"code": "INTERRUPTED", "message": "the platform stopped while the job ran", "details": []},
                )
            )
            session.commit()
            return list(session.scalars(select(ServiceJob.id).where(ServiceJob.status == "staged")))

    def _start(self, job_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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

    def _claim(self, job_id: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            # Compare-and-set, so that two runners never both take one job.
            claimed = session.execute(
                update(ServiceJob)
                .where(ServiceJob.id == job_id, ServiceJob.status == "staged")
                .values(status="running", started_at=utcnow(), attempts=ServiceJob.attempts + 1)
            ).rowcount
            session.commit()
            if not claimed:
                return None
            job = session.get(ServiceJob, job_id)
            assert job is not None
            return {c.key: getattr(job, c.key) for c in ServiceJob.__table__.columns}

    async def _call(self, job: dict[str, Any]) -> tuple[int, Any]:
        service = await self.routes.get(job["service_id"])
        version = service.versions.get(job["version"]) if service is not None else None
        if service is None or version is None or service.status != "active":
            return 503, _error("SERVICE_UNAVAILABLE", "the service or version is no longer available", job)
        index, _ = version.router.match(job["method"], job["path"])
        spec = version.bundle.endpoints[index]
        headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in job["headers"].items()]
        request = build_request(
            job["method"],
            job["path"].encode(),
            job["query"].encode("latin-1"),
            headers,
            job["body"].encode(),
            job["request_id"],
            job["claims"],
        )
        try:
            status, body = await self.supervisor.call(version.bundle, request, spec.timeout_seconds)
        except WorkerTimeout:
            return 504, _error("TIMEOUT", f"the handler did not answer within {spec.timeout_seconds:g} s", job)
        except WorkerCrashed:
            return 502, _error("WORKER_CRASHED", "the service worker died during the call", job)
        except WorkerUnavailable:
            return 502, _error("WORKER_UNAVAILABLE", "the service worker could not be started", job)
        return status, json.loads(body) if body else None

    def _finish(self, job_id: str, status: int, payload: Any) -> None:
        ok = status < 400
        with self.sessions() as session:
            session.execute(
                update(ServiceJob)
                .where(ServiceJob.id == job_id)
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
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)


def _error(code: str, message: str, job: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "message": message, "details": [], "request_id": job["request_id"]}


def poll_url(org_id: str, workspace_id: str, service_id: str, job_id: str) -> str:
    return f"/api/v1/orgs/{org_id}/workspaces/{workspace_id}/hosted-services/{service_id}/jobs/{job_id}"
