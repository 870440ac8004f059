"""``flow-sdk jobs ...``: async jobs of a hosted service (staged with ``client.jobs.submit``)."""

from __future__ import annotations

import click

from . import _context
from .output import emit, json_option

JOB_COLUMNS = ["job_id", "status", "lane", "attempts", "status_code", "method", "path", "created_at"]


@click.group()
def jobs() -> None:
    """Async jobs of a hosted service: get, wait for, list."""


@jobs.command("get")
@click.argument("service_id")
@click.argument("job_id")
@json_option
def get(service_id: str, job_id: str, as_json: bool) -> None:
    """One job: its state, result or error, and every attempt."""
    emit(_context.client().jobs.get(service_id, job_id), as_json)


@jobs.command("wait")
@click.argument("service_id")
@click.argument("job_id")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait at most.")
@json_option
def wait(service_id: str, job_id: str, timeout: float, as_json: bool) -> None:
    """Wait until the job has succeeded or failed; exit 1 when it failed or is still running."""
    job = _context.client().jobs.wait(service_id, job_id, timeout=timeout)
    emit(job, as_json)
    if job["status"] != "succeeded":
        raise SystemExit(1)


@jobs.command("list")
@click.argument("service_id")
@click.option("--status", type=click.Choice(["staged", "running", "succeeded", "failed"]), help="Only these.")
@click.option("--limit", type=int, help="At most this many (newest first; default 100).")
@json_option
def list_(service_id: str, status: str | None, limit: int | None, as_json: bool) -> None:
    """The service's jobs, newest first."""
    emit(_context.client().jobs.list(service_id, status=status, limit=limit), as_json, columns=JOB_COLUMNS)
