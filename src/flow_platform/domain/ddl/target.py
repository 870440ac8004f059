"""What the executors are given (a target database, time limits) and what they return."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from .findings import Finding
from .policy import Dialect

PreviewMode = Literal["executed_and_rolled_back", "static"]
Outcome = Literal["succeeded", "failed"]


@dataclass(frozen=True)
class Target:
    """Connection parameters of one connector instance (``path`` for SQLite only).

    ``schema`` is the PostgreSQL schema the instance owns (``public`` when unset).
    """

    dialect: Dialect
    host: str | None = None
    port: int | None = None
    database: str | None = None
    schema: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict)
    path: str | None = None


@dataclass(frozen=True)
class Timeouts:
    lock_timeout_ms: int = 2_000
    statement_timeout_ms: int = 30_000
    connect_timeout_s: int = 5
    # How long an execution waits for another execution on the same instance.
    instance_lock_timeout_s: float = 30.0


@dataclass
class PreviewResult:
    mode: PreviewMode
    findings: list[Finding] = field(default_factory=list)
    locks: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    duration_ms: int = 0


@dataclass
class ExecutionResult:
    outcome: Outcome
    duration_ms: int
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)


class Stopwatch:
    def __init__(self) -> None:
        self._start = time.monotonic()

    @property
    def ms(self) -> int:
        return int((time.monotonic() - self._start) * 1000)


def seconds(ms: int) -> str:
    return f"{ms / 1000:g}s"
