"""The deployer loop: a background thread of the platform process.

It claims queued deployments with a compare-and-set, works each through its states on
a small thread pool, and keeps a lease on what it holds. Rows left in flight by a
worker that is gone (its lease ran out, or its process on this host no longer exists:
a crash or ``kill -9``) are taken over with another compare-and-set and resumed from
the state they were in; building, deploying and validating are all safe to repeat.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ..domain.deployments import IN_FLIGHT, lease, transition
from ..scratch import ScratchSpace
from ..store.base import utcnow
from ..store.conflicts import retry_conflicts
from ..store.tables import Deployment, Ring
from . import steps
from .sandbox import Limits, WarmProbes, kill

log = logging.getLogger("flow_platform.deployer")


@dataclass(frozen=True)
class DeployerOptions:
    limits: Limits = Limits()
    poll_seconds: float = 1.0
    sweep_seconds: float = 5.0
    lease_seconds: float = 90.0
    concurrency: int = 4
    # A deployment whose worker died this many times is failed rather than resumed again.
    max_attempts: int = 3


class Deployer:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        options: DeployerOptions | None = None,
        *,
        read_sessions: sessionmaker[Session] | None = None,
        scratch: ScratchSpace | None = None,
    ) -> None:
        self.sessions = sessions  # every transaction that writes (store/db.py)
        # Scans and step inputs only read: on SQLite they need not queue behind writers.
        self.read_sessions = read_sessions or sessions
        self.options = options or DeployerOptions()
        self.worker_id = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._probes: dict[str, subprocess.Popen[bytes]] = {}
        self._warm = WarmProbes(scratch=scratch)
        self._pool = ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="deployer-job")
        self._thread = threading.Thread(target=self._loop, name="deployer", daemon=True)
        self.sweeps = 0  # full recovery sweeps completed: tests and metrics read it

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look for work now rather than at the next poll (new deployment, rollback)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop promptly: kill running probes and hand claimed rows to the next worker."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            probes = list(self._probes.values())
        for proc in probes:
            kill(proc)
        self._thread.join(15)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._warm.close()
        try:
            with self.sessions() as session:
                session.execute(
                    update(Deployment)
                    .where(Deployment.worker_id == self.worker_id, Deployment.status.in_(IN_FLIGHT))
                    .values(lease_until=utcnow())
                )
                session.commit()
        except Exception:  # the database may be gone already; leases then simply run out
            log.warning("could not release deployment leases on stop", exc_info=True)

    # -- the loop --------------------------------------------------------------------
    def _loop(self) -> None:
        last_sweep = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                if time.monotonic() - last_sweep >= self.options.sweep_seconds:
                    self._sweep()
                    last_sweep = time.monotonic()
                else:
                    self._sweep(requested_only=True)
                self._claim_queued()
            except Exception:
                log.exception("deployer pass failed; retrying at the next poll")
            self._wake.wait(self.options.poll_seconds)

    def _free_slots(self) -> int:
        with self._lock:
            return self.options.concurrency - len(self._running)

    def _claim_queued(self) -> None:
        free = self._free_slots()
        if free <= 0:
            return
        with self.read_sessions() as session:
            ids = session.scalars(
                select(Deployment.id)
                .where(Deployment.status == "queued")
                .order_by(Deployment.created_at, Deployment.id)
                .limit(free * 2)
            ).all()
        for dep_id in ids:
            if free <= 0 or self._stopping.is_set():
                return
            with self.sessions() as session:
                won = transition(
                    session,
                    dep_id,
                    "queued",
                    "building",
                    worker_id=self.worker_id,
                    lease_until=lease(self.options.lease_seconds),
                    attempts=Deployment.attempts + 1,
                )
                session.commit()
            if won:
                free -= 1
                self._submit(dep_id, "building")

    def _sweep(self, *, requested_only: bool = False) -> None:
        """Take over rows in flight whose worker is gone, and pick up requested rollbacks.

        ``requested_only`` looks just for rollbacks nobody holds yet: cheap enough for
        every pass, so a rollback does not wait for the next full sweep.
        """
        now = utcnow()
        stmt = select(Deployment.id, Deployment.status, Deployment.worker_id, Deployment.lease_until)
        if requested_only:
            stmt = stmt.where(Deployment.status == "rolling_back", Deployment.worker_id.is_(None))
        else:
            stmt = stmt.where(Deployment.status.in_(IN_FLIGHT))
        with self.read_sessions() as session:
            rows = session.execute(stmt).all()
        for dep_id, status, owner, until in rows:
            with self._lock:
                mine = dep_id in self._running
            if mine or self._free_slots() <= 0 or not self._orphaned(owner, until, now):
                continue
            self._take_over(dep_id, status, owner)
        if not requested_only:
            self.sweeps += 1

    def _orphaned(self, owner: str | None, until: datetime | None, now: datetime) -> bool:
        if owner is None or owner == self.worker_id:
            return True  # a rollback nobody holds yet, or one of ours whose job thread is gone
        if until is not None and until < now:
            return True
        host, _, rest = owner.partition("/")
        pid = rest.partition("/")[0]
        return host == socket.gethostname() and pid.isdigit() and not _process_exists(int(pid))

    @retry_conflicts
    def _take_over(self, dep_id: str, status: str, owner: str | None) -> None:
        with self.sessions() as session:
            won = (
                session.execute(
                    update(Deployment)
                    .where(Deployment.id == dep_id, Deployment.status == status, Deployment.worker_id == owner)
                    .values(
                        worker_id=self.worker_id,
                        lease_until=lease(self.options.lease_seconds),
                        attempts=Deployment.attempts + 1,
                        updated_at=utcnow(),
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount  # type: ignore[attr-defined]
                == 1
            )
            attempts = (session.scalar(select(Deployment.attempts).where(Deployment.id == dep_id)) or 0) if won else 0
            session.commit()
        if not won:
            return
        if owner is not None:
            log.warning("deployment %s was left %s by %s; resuming it", dep_id, status, owner)
        if status != "rolling_back" and attempts > self.options.max_attempts:
            self._fail(
                dep_id,
                status,
                f"gave up after {attempts - 1} attempts: the platform stopped each time while it was {status}",
            )
            return
        self._submit(dep_id, status)

    def _submit(self, dep_id: str, status: str) -> None:
        with self._lock:
            self._running.add(dep_id)
        try:
            self._pool.submit(self._run, dep_id, status)
        except RuntimeError:  # the pool is shut down: we are stopping
            with self._lock:
                self._running.discard(dep_id)

    # -- one deployment through its states ---------------------------------------------
    def _run(self, dep_id: str, status: str) -> None:
        try:
            self._advance(dep_id, status)
        except Exception as exc:
            log.exception("deployment %s failed inside the deployer", dep_id)
            if not self._stopping.is_set():
                with self.read_sessions() as session:
                    current = session.scalar(select(Deployment.status).where(Deployment.id == dep_id))
                if current in ("building", "deploying", "validating"):
                    self._fail(dep_id, current, f"internal deployer error: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._running.discard(dep_id)
                self._probes.pop(dep_id, None)
            self._wake.set()  # a slot is free

    def _advance(self, dep_id: str, status: str) -> None:
        probe = steps.sandbox_probe(self.options.limits, self._tracker(dep_id), self._warm)
        if status == "rolling_back":
            self._finish_rollback(dep_id)
            return
        with self.read_sessions() as session:
            job = steps.Job.load(session, dep_id)
        if status == "building":
            with self.read_sessions() as session:
                outcome = steps.build(session, job, probe)
            if self._stopping.is_set():
                return
            if not outcome.ok:
                self._fail(dep_id, "building", outcome.error)
                return
            if not self._move(dep_id, "building", "deploying"):
                return
            status = "deploying"
        if status == "deploying":
            with self.read_sessions() as session:
                artifact = steps.deploy(session, job)
            if not self._move(dep_id, "deploying", "validating", artifact=artifact):
                return
            status = "validating"
        if status == "validating":
            with self.read_sessions() as session:
                outcome = steps.validate(session, job, probe)
            if self._stopping.is_set():
                return
            if not outcome.ok:
                if self._move(dep_id, "validating", "rolling_back", error=f"validation failed: {outcome.error}"):
                    self._finish_rollback(dep_id)
                return
            self._activate(dep_id)

    def _tracker(self, dep_id: str) -> Callable[[subprocess.Popen[bytes] | None], None]:
        def track(proc: subprocess.Popen[bytes] | None) -> None:
            with self._lock:
                if proc is None:
                    self._probes.pop(dep_id, None)
                else:
                    self._probes[dep_id] = proc
            if proc is not None and self._stopping.is_set():
                kill(proc)

        return track

    @retry_conflicts
    def _move(self, dep_id: str, from_state: str, to_state: str, **values: Any) -> bool:
        """One state change, only while this worker still holds the row."""
        with self.sessions() as session:
            won = transition(
                session,
                dep_id,
                from_state,
                to_state,
                expect_worker=self.worker_id,
                lease_until=lease(self.options.lease_seconds),
                **values,
            )
            session.commit()
        if won:
            log.info("deployment %s: %s -> %s", dep_id, from_state, to_state)
        else:
            log.warning("deployment %s: lost the claim before %s -> %s", dep_id, from_state, to_state)
        return won

    @retry_conflicts
    def _fail(self, dep_id: str, from_state: str, error: str) -> None:
        with self.sessions() as session:
            won = transition(
                session, dep_id, from_state, "failed", expect_worker=self.worker_id, error=error, lease_until=None
            )
            session.commit()
        if won:
            log.info("deployment %s failed: %s", dep_id, error)

    @retry_conflicts
    def _activate(self, dep_id: str) -> None:
        """validating -> active, superseding the ring's previous active version, in one transaction."""
        with self.sessions() as session:
            if not transition(
                session, dep_id, "validating", "active", expect_worker=self.worker_id, worker_id=None, lease_until=None
            ):
                session.rollback()
                return
            dep = session.get_one(Deployment, dep_id)
            others = _lock_ring_and_read_other_actives(session, dep)
            for other in others:
                transition(session, other, "active", "superseded")
            if others:
                session.execute(
                    update(Deployment)
                    .where(Deployment.id == dep.id)
                    .values(previous_id=others[0])
                    .execution_options(synchronize_session=False)
                )
            session.commit()
        log.info("deployment %s: validating -> active (superseded %s)", dep_id, ", ".join(others) or "none")

    @retry_conflicts
    def _finish_rollback(self, dep_id: str) -> None:
        """rolling_back -> rolled_back, re-activating what this deployment had superseded.

        One transaction under the ring lock, as in ``_activate``: the previous version
        comes back only while it is still superseded and no other deployment of the
        component went active in the ring meanwhile (that newer one stays, alone).
        """
        with self.sessions() as session:
            if not transition(
                session,
                dep_id,
                "rolling_back",
                "rolled_back",
                expect_worker=self.worker_id,
                worker_id=None,
                lease_until=None,
            ):
                session.rollback()
                return
            dep = session.get_one(Deployment, dep_id)
            restored = False
            newer: str | None = None
            if dep.previous_id:
                others = _lock_ring_and_read_other_actives(session, dep)
                newer = others[0] if others else None
                if newer is None:
                    restored = transition(session, dep.previous_id, "superseded", "active")
            session.commit()
        if newer is not None:
            log.info(
                "deployment %s rolled back; %s is active in its ring, so %s stays superseded",
                dep_id,
                newer,
                dep.previous_id,
            )
        else:
            log.info("deployment %s rolled back%s", dep_id, f"; {dep.previous_id} is active again" if restored else "")


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_deployer(platform: Any, options: DeployerOptions | None = None) -> Deployer:
    """Start the deployer of a platform process; it stops with the platform."""
    deployer = Deployer(platform.sessions, options, read_sessions=platform.read_sessions, scratch=platform.scratch)
    deployer.start()
    platform.on_shutdown.append(deployer.stop)
    return deployer


def _lock_ring_and_read_other_actives(session: Session, dep: Deployment) -> list[str]:
    """Ids of the other active deployments of ``dep``'s component in its ring, newest first.

    Locks the ring row first: on PostgreSQL that serializes activations and rollbacks
    within a ring, so two racing ones cannot both leave a deployment active. SQLite
    already holds the database write lock here.
    """
    session.execute(select(Ring.id).where(Ring.id == dep.ring_id).with_for_update())
    return list(
        session.scalars(
            select(Deployment.id)
            .where(
                Deployment.ring_id == dep.ring_id,
                Deployment.component_type == dep.component_type,
                Deployment.component_name == dep.component_name,
                Deployment.status == "active",
                Deployment.id != dep.id,
            )
            .order_by(Deployment.active_at.desc())
        )
    )
