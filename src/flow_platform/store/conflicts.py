"""Which database errors are conflicts that a later attempt may not meet.

Two kinds: a *retryable* conflict comes back at once and costs nothing to retry
(PostgreSQL serialization failure or deadlock, SQLite's stale-snapshot upgrade); a
*busy* store has already made the caller wait (SQLite's busy timeout ran out, the
connection pool stayed empty), so the caller is told to come back later instead.
A third, *unavailable*: the store is out of a resource (a full disk, an I/O error, too
many connections); nothing was applied, and only time or an operator will help.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class Transient(Enum):
    NO = "no"
    RETRY = "retry"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"


# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available.
_PG_RETRY = frozenset({"40001", "40P01", "55P03"})
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_BUSY_SNAPSHOT = _SQLITE_BUSY | (2 << 8)
# SQLITE_IOERR, SQLITE_NOMEM, SQLITE_FULL; PostgreSQL class 53 (insufficient resources)
# and 57P03 (cannot connect now: starting up or shutting down).
_SQLITE_UNAVAILABLE = frozenset({10, 7, 13})
_PG_UNAVAILABLE_CLASS = "53"
_PG_UNAVAILABLE = frozenset({"57P03"})


def classify(exc: BaseException) -> Transient:
    if isinstance(exc, PoolTimeout):
        return Transient.BUSY
    if not isinstance(exc, DBAPIError):
        return Transient.NO
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _PG_RETRY:
        return Transient.RETRY
    if isinstance(sqlstate, str) and (sqlstate.startswith(_PG_UNAVAILABLE_CLASS) or sqlstate in _PG_UNAVAILABLE):
        return Transient.UNAVAILABLE
    code = getattr(orig, "sqlite_errorcode", None)
    if code == _SQLITE_BUSY_SNAPSHOT:
        return Transient.RETRY
    if isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return Transient.BUSY
    if isinstance(code, int) and code & 0xFF in _SQLITE_UNAVAILABLE:
        return Transient.UNAVAILABLE
    return Transient.NO


@dataclass
class CommitLog:
    """How many transactions a request has committed: one that did is never re-run."""

    commits: int = 0


current_commits: ContextVar[CommitLog | None] = ContextVar("flow_current_commits", default=None)


def note_commit(_session: object) -> None:
    log = current_commits.get()
    if log is not None:
        log.commits += 1


# How often a retryable conflict is met before it counts as busy, and the pause between.
ATTEMPTS = 4
P = ParamSpec("P")
R = TypeVar("R")


def backoff(attempt: int) -> float:
    # Jittered, so that the transactions that collided do not collide again.
    return random.uniform(0.005, 0.02) * attempt


def retry_conflicts(fn: Callable[P, R]) -> Callable[P, R]:
    """For a function that is one whole transaction: run it again on a retryable conflict."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt >= ATTEMPTS or classify(exc) is not Transient.RETRY:
                    raise
            time.sleep(backoff(attempt))
            attempt += 1

    return run
