"""PostgreSQL executor (psycopg 3).

Statements go through the extended query protocol (``prepare=True``), which the
server itself refuses to run with more than one command in it: a second line of
defence behind the parser.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
from psycopg import errors, sql

from .analysis import Analysis, TableRef
from .findings import Finding, finding
from .scope import DEFAULT_PG_SCHEMA
from .target import ExecutionResult, PreviewResult, Stopwatch, Target, Timeouts, seconds

_LOCKS = """
SELECT l.locktype, l.mode, l.granted, n.nspname, c.relname, l.relation::bigint
FROM pg_locks l
LEFT JOIN pg_class c ON c.oid = l.relation
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
  AND coalesce(n.nspname, '') NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
ORDER BY c.relname, l.mode
"""


def connect(target: Target, timeouts: Timeouts, *, autocommit: bool) -> psycopg.Connection[Any]:
    params = {
        "host": target.host or "127.0.0.1",
        "port": target.port or 5432,
        "dbname": target.database,
        "user": target.user,
        "password": target.password or None,
        "connect_timeout": timeouts.connect_timeout_s,
        "application_name": "flow-platform-ddl",
        **{k: v for k, v in target.options.items() if k in _ALLOWED_OPTIONS},
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=autocommit)


# libpq options a user may set; file paths and server parameters are left out.
_ALLOWED_OPTIONS = {"sslmode", "target_session_attrs", "keepalives", "application_name"}


def run_statement(conn: psycopg.Connection[Any], statement: str) -> None:
    """Run one statement; the server refuses stacked ones in a prepared statement."""
    conn.execute(statement, prepare=True)


def test_connection(target: Target, timeouts: Timeouts) -> tuple[bool, str]:
    try:
        with connect(target, timeouts, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error as err:
        return False, _one_line(err)
    return True, f"connected to PostgreSQL {version[0] if version else '?'}"


def preview(target: Target, analysis: Analysis, timeouts: Timeouts) -> PreviewResult:
    watch = Stopwatch()
    if not analysis.transactional or analysis.side_effects:
        # CONCURRENTLY cannot run in a transaction, and nextval() advances its sequence
        # even when rolled back: running either would change the database.
        result = PreviewResult(mode="static")
        try:
            with connect(target, timeouts, autocommit=True) as conn:
                _prepare_session(conn, timeouts, schema=_schema(target), local=False)
                result.findings += _existence_findings(conn, analysis)
                result.findings += _catalog_findings(conn, analysis)
        except psycopg.Error as err:
            result.error = _one_line(err)
            result.findings.append(_error_finding(err, timeouts))
        result.duration_ms = watch.ms
        return result
    result = PreviewResult(mode="executed_and_rolled_back")
    try:
        with connect(target, timeouts, autocommit=False) as conn:
            try:
                _prepare_session(conn, timeouts, schema=_schema(target), local=True)
                result.findings += _catalog_findings(conn, analysis)
                run_statement(conn, analysis.sql)
                result.locks = [_lock_row(r) for r in conn.execute(_LOCKS).fetchall()]
            finally:
                # The whole point of a preview: nothing it did survives.
                conn.rollback()
    except psycopg.Error as err:
        result.error = _one_line(err)
        result.findings.append(_error_finding(err, timeouts))
    result.duration_ms = watch.ms
    return result


def execute(target: Target, analysis: Analysis, timeouts: Timeouts, *, lock_key: str) -> ExecutionResult:
    watch = Stopwatch()
    key = int.from_bytes(hashlib.sha256(lock_key.encode()).digest()[:8], "big", signed=True)
    try:
        with connect(target, timeouts, autocommit=True) as conn:
            # An advisory lock serialises executions per instance across platform workers;
            # waiting for it is bounded by lock_timeout like any heavyweight lock.
            conn.execute(
                "SELECT set_config('lock_timeout', %s, false)",
                (f"{int(timeouts.instance_lock_timeout_s * 1000)}ms",),
            )
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                _prepare_session(conn, timeouts, schema=_schema(target), local=False)
                if analysis.transactional:
                    with conn.transaction():
                        run_statement(conn, analysis.sql)
                else:
                    run_statement(conn, analysis.sql)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
    except psycopg.Error as err:
        return ExecutionResult(
            outcome="failed",
            duration_ms=watch.ms,
            error=_one_line(err),
            findings=[_error_finding(err, timeouts)],
        )
    return ExecutionResult(outcome="succeeded", duration_ms=watch.ms)


def _prepare_session(conn: psycopg.Connection[Any], timeouts: Timeouts, *, schema: str, local: bool) -> None:
    settings = (
        ("lock_timeout", f"{timeouts.lock_timeout_ms}ms"),
        ("statement_timeout", f"{timeouts.statement_timeout_ms}ms"),
        # The parser reads 'x\' as a complete string, as PostgreSQL does by default;
        # a server configured otherwise would end strings where the parser does not.
        ("standard_conforming_strings", "on"),
        # Unqualified names resolve in, and new objects go to, the instance's schema
        # only: not "$user", nor a search_path set on the role or the database.
        ("search_path", sql.Identifier(schema).as_string(conn)),
    )
    for name, value in settings:
        conn.execute("SELECT set_config(%s, %s, %s)", (name, value, local))


def _schema(target: Target) -> str:
    return target.schema or DEFAULT_PG_SCHEMA


def _existence_findings(conn: psycopg.Connection[Any], analysis: Analysis) -> list[Finding]:
    """What a static preview can tell without running the statement: names taken or missing."""
    found: list[Finding] = []
    if analysis.tolerant:
        return found
    for kind, ref in analysis.creates:
        if kind in {"table", "view", "sequence"} and _exists(conn, ref):
            found.append(finding("OBJECT_EXISTS", type=kind.capitalize(), name=ref.display()))
    for ref in analysis.requires:
        if not _exists(conn, ref):
            found.append(finding("OBJECT_MISSING", type="Table", name=ref.display()))
    return found


def _exists(conn: psycopg.Connection[Any], ref: TableRef) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (_identifier(ref).as_string(conn),)).fetchone()
    return bool(row and row[0])


def _catalog_findings(conn: psycopg.Connection[Any], analysis: Analysis) -> list[Finding]:
    found: list[Finding] = []
    for check in analysis.row_checks:
        if _is_table(conn, check.table) and _has_rows(conn, check.table):
            found.append(finding(check.code, name=check.subject))
    return found


def _is_table(conn: psycopg.Connection[Any], ref: TableRef) -> bool:
    """Whether the name is a plain or partitioned table.

    Only then may a preview read its rows: selecting from a view runs the view's
    body, and from a foreign table reaches another server.
    """
    name = _identifier(ref).as_string(conn)
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass(%s) AND relkind IN ('r', 'p'))",
        (name,),
    ).fetchone()
    return bool(row and row[0])


def _has_rows(conn: psycopg.Connection[Any], ref: TableRef) -> bool:
    query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(_identifier(ref))
    row = conn.execute(query).fetchone()
    return bool(row and row[0])


def _identifier(ref: TableRef) -> sql.Identifier:
    return sql.Identifier(ref.schema, ref.name) if ref.schema else sql.Identifier(ref.name)


def _lock_row(row: tuple[Any, ...]) -> dict[str, Any]:
    locktype, mode, granted, schema, relation, oid = row
    # A relation the statement dropped has no catalog row left to name it by.
    name = f"{schema}.{relation}" if relation else f"oid {oid} (dropped by the statement)"
    return {"locktype": locktype, "mode": mode, "granted": granted, "relation": name}


def _error_finding(err: psycopg.Error, timeouts: Timeouts) -> Finding:
    if isinstance(err, errors.LockNotAvailable):
        return finding("LOCK_TIMEOUT", timeout=seconds(timeouts.lock_timeout_ms))
    if isinstance(err, errors.QueryCanceled):
        return finding("STATEMENT_TIMEOUT", timeout=seconds(timeouts.statement_timeout_ms))
    return finding("DATABASE_ERROR", error=_one_line(err))


def _one_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
