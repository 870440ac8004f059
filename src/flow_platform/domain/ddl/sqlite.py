"""SQLite executor (stdlib sqlite3).

A preview runs the statement against an in-memory database rebuilt from the
instance's ``sqlite_master``: the whole schema, and at most one row of each table
the statement alters, drops or indexes, so that what fails on any non-empty table
(a NOT NULL column without a default) fails in the preview too. Its cost follows the
size of the schema, not of the data, and the instance's file is only opened
read-only, so a preview cannot change it.
sqlite3's ``execute`` refuses more than one statement, a second line of defence
behind the parser.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator

from .analysis import Analysis, TableRef
from .findings import Finding, finding
from .target import ExecutionResult, PreviewResult, Stopwatch, Target, Timeouts, seconds

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


# Rebuild order: a table before its indexes and triggers, a view before its INSTEAD OF
# triggers. SQLite's own tables (sqlite_sequence, sqlite_stat1) cannot be created by name.
_SCHEMA = r"""
SELECT type, name, sql FROM sqlite_master
WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid
"""


def connect(path: str, timeouts: Timeouts, *, read_only: bool = False) -> sqlite3.Connection:
    if not os.path.isfile(path):
        raise sqlite3.OperationalError(f"database file is missing: {os.path.basename(path)}")
    # mode=rw: never create a file by accident; isolation_level=None: we own transactions.
    conn = sqlite3.connect(
        f"file:{path}?mode={'ro' if read_only else 'rw'}",
        uri=True,
        timeout=timeouts.lock_timeout_ms / 1000,
        isolation_level=None,
    )
    _set_deadline(conn, timeouts)
    return conn


def _set_deadline(conn: sqlite3.Connection, timeouts: Timeouts) -> None:
    deadline = time.monotonic() + timeouts.statement_timeout_ms / 1000
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)


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
        source = connect(_path(target), timeouts, read_only=True)
        try:
            # One read transaction: the schema, the rows and the checks are one snapshot.
            source.execute("BEGIN")
            result.findings += _catalog_findings(source, analysis)
            scratch = _scratch_copy(source, analysis, timeouts)
            source.execute("COMMIT")
        finally:
            source.close()
        try:
            run_statement(scratch, analysis.sql)
        finally:
            scratch.close()
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


def _scratch_copy(source: sqlite3.Connection, analysis: Analysis, timeouts: Timeouts) -> sqlite3.Connection:
    """An in-memory database with the instance's schema and one row of each table the statement needs."""
    objects: list[tuple[str, str, str]] = source.execute(_SCHEMA).fetchall()
    conn = sqlite3.connect(":memory:", isolation_level=None)
    _set_deadline(conn, timeouts)
    try:
        _rebuild(conn, [o for o in objects if o[0] == "table"])
        # Rows go in before indexes and triggers exist, so no trigger body runs.
        for ref in analysis.requires:
            if _is_table(source, ref):
                _copy_one_row(source, conn, ref.name)
        _rebuild(conn, [o for o in objects if o[0] != "table"])
    except BaseException:
        conn.close()
        raise
    return conn


def _rebuild(conn: sqlite3.Connection, objects: list[tuple[str, str, str]]) -> None:
    for kind, name, statement in objects:
        # A virtual table creates its shadow tables itself; they are listed after it.
        if kind == "table" and _exists(conn, name):
            continue
        try:
            conn.execute(statement)
        except sqlite3.Error as err:
            raise sqlite3.OperationalError(f"cannot rebuild {kind} {name} for the preview: {err}") from None


def _copy_one_row(source: sqlite3.Connection, dest: sqlite3.Connection, table: str) -> None:
    # table_xinfo's hidden column: 0 for stored columns; generated ones cannot be inserted.
    columns = [r[1] for r in source.execute(f"PRAGMA table_xinfo({_quote(table)})") if r[6] == 0]
    names = ", ".join(_quote(c) for c in columns)
    row = source.execute(f"SELECT {names} FROM {_quote(table)} LIMIT 1").fetchone()
    if row is not None:
        dest.execute(f"INSERT INTO {_quote(table)} ({names}) VALUES ({', '.join('?' * len(columns))})", row)


def _catalog_findings(conn: sqlite3.Connection, analysis: Analysis) -> list[Finding]:
    found: list[Finding] = []
    for check in analysis.row_checks:
        if _is_table(conn, check.table) and _has_rows(conn, check.table):
            found.append(finding(check.code, name=check.subject))
    return found


def _is_table(conn: sqlite3.Connection, ref: TableRef) -> bool:
    # Only a table's rows may be read: selecting from a view runs its body, and from a
    # virtual table its module's code.
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE"
        " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'",
        (ref.name,),
    ).fetchone()
    return row is not None


def _exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ? COLLATE NOCASE", (name,)).fetchone() is not None


def _has_rows(conn: sqlite3.Connection, ref: TableRef) -> bool:
    row = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(ref.name)})").fetchone()
    return bool(row and row[0])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
