"""SQLite executor (stdlib sqlite3).

A preview runs the statement against a copy made with the backup API, so the
instance's file is never written. sqlite3's ``execute`` refuses more than one
statement, a second line of defence behind the parser.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator

from .analysis import Analysis, TableRef
from .findings import Finding, finding
from .target import ExecutionResult, PreviewResult, Stopwatch, Target, Timeouts, seconds

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def connect(path: str, timeouts: Timeouts) -> sqlite3.Connection:
    if not os.path.isfile(path):
        raise sqlite3.OperationalError(f"database file is missing: {os.path.basename(path)}")
    # mode=rw: never create a file by accident; isolation_level=None: we own transactions.
    conn = sqlite3.connect(
        f"file:{path}?mode=rw",
        uri=True,
        timeout=timeouts.lock_timeout_ms / 1000,
        isolation_level=None,
    )
    deadline = time.monotonic() + timeouts.statement_timeout_ms / 1000
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    return conn


def create_database(path: str) -> None:
    """Create an empty database file (the platform owns the path)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def run_statement(conn: sqlite3.Connection, statement: str) -> None:
    conn.execute(statement)  # raises ProgrammingError on a second statement


def test_connection(target: Target, timeouts: Timeouts) -> tuple[bool, str]:
    try:
        conn = connect(_path(target), timeouts)
        try:
            count = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as err:
        return False, str(err)
    return True, f"opened SQLite {sqlite3.sqlite_version} database ({count} schema objects)"


def preview(target: Target, analysis: Analysis, timeouts: Timeouts) -> PreviewResult:
    watch = Stopwatch()
    result = PreviewResult(mode="executed_and_rolled_back")
    try:
        with tempfile.TemporaryDirectory(prefix="flow-ddl-") as scratch:
            copy = os.path.join(scratch, "preview.db")
            source = connect(_path(target), timeouts)
            try:
                dest = sqlite3.connect(copy)
                try:
                    source.backup(dest)
                finally:
                    dest.close()
                result.findings += _catalog_findings(source, analysis)
            finally:
                source.close()
            conn = connect(copy, timeouts)
            try:
                run_statement(conn, analysis.sql)
            finally:
                conn.close()
    except sqlite3.Error as err:
        result.error = str(err)
        result.findings.append(_error_finding(err, timeouts))
    result.duration_ms = watch.ms
    return result


def execute(target: Target, analysis: Analysis, timeouts: Timeouts, *, lock_key: str) -> ExecutionResult:
    watch = Stopwatch()
    path = _path(target)
    try:
        with _instance_lock(path, timeouts.instance_lock_timeout_s):
            conn = connect(path, timeouts)
            try:
                run_statement(conn, analysis.sql)
            finally:
                conn.close()
    except TimeoutError:
        return ExecutionResult(
            outcome="failed",
            duration_ms=watch.ms,
            error="another DDL execution on this instance holds the lock",
            findings=[finding("LOCK_TIMEOUT", timeout=f"{timeouts.instance_lock_timeout_s:g}s")],
        )
    except sqlite3.Error as err:
        return ExecutionResult(
            outcome="failed",
            duration_ms=watch.ms,
            error=str(err),
            findings=[_error_finding(err, timeouts)],
        )
    return ExecutionResult(outcome="succeeded", duration_ms=watch.ms)


@contextlib.contextmanager
def _instance_lock(path: str, timeout_s: float) -> Iterator[None]:
    # A thread lock for this process plus a file lock for other platform processes.
    with _process_locks_guard:
        local = _process_locks.setdefault(path, threading.Lock())
    if not local.acquire(timeout=timeout_s):
        raise TimeoutError
    try:
        deadline = time.monotonic() + timeout_s
        with open(path + ".ddl-lock", "a") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        local.release()


def _catalog_findings(conn: sqlite3.Connection, analysis: Analysis) -> list[Finding]:
    found: list[Finding] = []
    for check in analysis.row_checks:
        if _is_table(conn, check.table) and _has_rows(conn, check.table):
            found.append(finding(check.code, name=check.subject))
    return found


def _is_table(conn: sqlite3.Connection, ref: TableRef) -> bool:
    # Only a table's rows may be read: selecting from a view runs its body.
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (ref.name,)).fetchone()
    return row is not None


def _has_rows(conn: sqlite3.Connection, ref: TableRef) -> bool:
    quoted = '"' + ref.name.replace('"', '""') + '"'
    row = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {quoted})").fetchone()
    return bool(row and row[0])


def _error_finding(err: sqlite3.Error, timeouts: Timeouts) -> Finding:
    text = str(err)
    if "locked" in text or "busy" in text:
        return finding("LOCK_TIMEOUT", timeout=seconds(timeouts.lock_timeout_ms))
    if "interrupted" in text:
        return finding("STATEMENT_TIMEOUT", timeout=seconds(timeouts.statement_timeout_ms))
    return finding("DATABASE_ERROR", error=text)


def _path(target: Target) -> str:
    if not target.path:
        raise sqlite3.OperationalError("the instance has no database file")
    return target.path
