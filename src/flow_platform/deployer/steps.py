"""What each state does for each kind of component: the real work behind the states."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.tables import Component, Deployment, Ring
from .sandbox import Limits, ProbeResult, Tracker, WarmProbes, run_probe


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""
    artifact: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """Everything a step needs, read once so no session is held while a probe runs."""

    deployment_id: str
    ring_id: str
    ring_name: str
    component_id: str
    component_type: str
    name: str
    version: str
    source: str | None
    entrypoint: str
    config: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.component_type} {self.name} {self.version}"

    @classmethod
    def load(cls, session: Session, deployment_id: str) -> Job:
        dep = session.get_one(Deployment, deployment_id)
        component = session.get_one(Component, dep.component_id)
        ring = session.get_one(Ring, dep.ring_id)
        return cls(
            deployment_id=dep.id,
            ring_id=ring.id,
            ring_name=ring.name,
            component_id=component.id,
            component_type=component.component_type,
            name=component.name,
            version=component.version,
            source=component.source,
            entrypoint=component.entrypoint or "main",
            config=dict(component.config or {}),
        )


# Runs one sandbox probe ("build" or "validate") for a job; the deployer supplies it.
Probe = Callable[[str, Job], ProbeResult]


def sandbox_probe(limits: Limits, track: Tracker | None = None, warm: WarmProbes | None = None) -> Probe:
    def probe(mode: str, job: Job) -> ProbeResult:
        assert job.source is not None
        filename = f"<codeblock {job.name} {job.version}>"
        return run_probe(mode, job.source, job.entrypoint, filename=filename, limits=limits, track=track, warm=warm)

    return probe


def build(session: Session, job: Job, probe: Probe) -> Outcome:
    """building: compile and import a code block in the sandbox; check a workflow's steps."""
    if job.component_type == "codeblock":
        if not job.source or not job.source.strip():
            return Outcome(False, f"{job.label} has no source to build: publish a version that includes 'source'")
        result = probe("build", job)
        return Outcome(True) if result.ok else Outcome(False, f"{job.label}: {result.error}")
    if job.component_type == "workflow":
        return _check_steps(session, job)
    return Outcome(True)


def deploy(session: Session, job: Job) -> dict[str, Any]:
    """deploying: record the artifact the ring now serves: code digest, or the step deployments."""
    if job.component_type == "codeblock":
        assert job.source is not None
        return {
            "sha256": hashlib.sha256(job.source.encode()).hexdigest(),
            "entrypoint": job.entrypoint,
            "python": platform.python_version(),
        }
    if job.component_type == "workflow":
        outcome = _check_steps(session, job)
        return outcome.artifact
    digest = hashlib.sha256(json.dumps(job.config, sort_keys=True, default=str).encode()).hexdigest()
    return {"sha256": digest}


def validate(session: Session, job: Job, probe: Probe) -> Outcome:
    """validating: smoke-run the entrypoint with an empty request; re-check a workflow's steps."""
    if job.component_type == "codeblock":
        result = probe("validate", job)
        return Outcome(True) if result.ok else Outcome(False, f"{job.label}: {result.error}")
    if job.component_type == "workflow":
        return _check_steps(session, job)
    return Outcome(True)


def _check_steps(session: Session, job: Job) -> Outcome:
    steps = job.config.get("steps") or []
    if not steps:
        return Outcome(False, f"{job.label} has no steps")
    resolved = []
    for i, step in enumerate(steps, 1):
        active = session.scalar(
            select(Deployment.id)
            .where(
                Deployment.ring_id == job.ring_id,
                Deployment.component_id == step["component_id"],
                Deployment.status == "active",
            )
            .limit(1)
        )
        if active is None:
            return Outcome(
                False,
                f"{job.label}: step {i} ({step.get('name')} {step.get('version')}, {step['component_id']})"
                f" is not active in ring {job.ring_name!r}; deploy it there first",
            )
        resolved.append({"component_id": step["component_id"], "deployment_id": active})
    return Outcome(True, artifact={"steps": resolved})
