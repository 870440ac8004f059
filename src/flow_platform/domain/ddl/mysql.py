"""MySQL / MariaDB executor (PyMySQL).

DDL on MySQL commits implicitly and cannot be rolled back, so a preview is
``static``: the analysis plus cheap catalog checks. PyMySQL connects without the
MULTI_STATEMENTS capability, so the server refuses stacked statements too.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import pymysql
from pymysql.constants import CLIENT

from .analysis import Analysis, TableRef
from .findings import Finding, finding
from .target import ExecutionResult, PreviewResult, Stopwatch, Target, Timeouts, seconds

_LOCK_WAIT_TIMEOUT = 1205
# sql_mode flags that change how quotes and backslashes tokenize ("ANSI" implies ANSI_QUOTES).
_PARSER_BREAKING_MODES = {"NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "ANSI"}
_STATEMENT_TIMEOUTS = {1969, 3024}  # MariaDB max_statement_time, MySQL max_execution_time


def connect(target: Target, timeouts: Timeouts) -> pymysql.connections.Connection[Any]:
    return pymysql.connect(
        host=target.host or "127.0.0.1",
        port=target.port or 3306,
        user=target.user or "",
        password=target.password or "",
        database=target.database,
        connect_timeout=timeouts.connect_timeout_s,
        autocommit=True,
        # Explicitly without CLIENT.MULTI_STATEMENTS: defence in depth behind the parser.
        client_flag=CLIENT.CAPABILITIES & ~CLIENT.MULTI_STATEMENTS,
        charset="utf8mb4",
    )


def run_statement(conn: pymysql.connections.Connection[Any], statement: str) -> None:
    with conn.cursor() as cur:
        cur.execute(statement)  # no args: PyMySQL does no %-interpolation


def test_connection(target: Target, timeouts: Timeouts) -> tuple[bool, str]:
    try:
        conn = connect(target, timeouts)
        try:
            version: str = conn.get_server_info()  # type: ignore[no-untyped-call]
        finally:
            conn.close()
    except pymysql.MySQLError as err:
        return False, _one_line(err)
    return True, f"connected to MySQL/MariaDB {version}"


def preview(target: Target, analysis: Analysis, timeouts: Timeouts) -> PreviewResult:
    watch = Stopwatch()
    result = PreviewResult(mode="static")
    try:
        conn = connect(target, timeouts)
        try:
            _prepare_session(conn, timeouts)
            result.findings += _catalog_findings(conn, analysis)
        finally:
            conn.close()
    except pymysql.MySQLError as err:
        result.error = _one_line(err)
        result.findings.append(_error_finding(err, timeouts))
    result.duration_ms = watch.ms
    return result


def execute(target: Target, analysis: Analysis, timeouts: Timeouts, *, lock_key: str) -> ExecutionResult:
    watch = Stopwatch()
    # GET_LOCK names are at most 64 characters.
    name = "flow_ddl:" + hashlib.sha256(lock_key.encode()).hexdigest()[:40]
    try:
        conn = connect(target, timeouts)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT GET_LOCK(%s, %s)", (name, timeouts.instance_lock_timeout_s))
                row = cur.fetchone()
            if not row or row[0] != 1:
                return ExecutionResult(
                    outcome="failed",
                    duration_ms=watch.ms,
                    error="another DDL execution on this instance holds the lock",
                    findings=[finding("LOCK_TIMEOUT", timeout=f"{timeouts.instance_lock_timeout_s:g}s")],
                )
            try:
                _prepare_session(conn, timeouts)
                run_statement(conn, analysis.sql)
            finally:
                with conn.cursor() as cur:
                    cur.execute("SELECT RELEASE_LOCK(%s)", (name,))
        finally:
            conn.close()
    except pymysql.MySQLError as err:
        return ExecutionResult(
            outcome="failed",
            duration_ms=watch.ms,
            error=_one_line(err),
            findings=[_error_finding(err, timeouts)],
        )
    return ExecutionResult(outcome="succeeded", duration_ms=watch.ms)


def _prepare_session(conn: pymysql.connections.Connection[Any], timeouts: Timeouts) -> None:
    with conn.cursor() as cur:
        # Quote and backslash rules must be the ones the parser assumed; with
        # NO_BACKSLASH_ESCAPES, 'x\' ends a string sqlglot reads as still open, and
        # text it took for the string would run as SQL.
        cur.execute("SELECT @@SESSION.sql_mode")
        row = cur.fetchone()
        modes = [m for m in str(row[0] if row else "").split(",") if m and m not in _PARSER_BREAKING_MODES]
        cur.execute("SET SESSION sql_mode = %s", (",".join(modes),))
        # Metadata-lock waits (what DDL blocks on) are bounded in whole seconds.
        cur.execute(
            "SET SESSION lock_wait_timeout = %s",
            (max(1, math.ceil(timeouts.lock_timeout_ms / 1000)),),
        )
        try:
            cur.execute("SET SESSION max_statement_time = %s", (timeouts.statement_timeout_ms / 1000,))
        except pymysql.MySQLError:
            pass  # MySQL proper has no DDL statement timeout; the lock timeout still holds


def _catalog_findings(conn: pymysql.connections.Connection[Any], analysis: Analysis) -> list[Finding]:
    found: list[Finding] = []
    if not analysis.tolerant:
        for kind, ref in analysis.creates:
            if kind in {"table", "view"} and _exists(conn, ref):
                found.append(finding("OBJECT_EXISTS", type=kind.capitalize(), name=ref.display()))
        for ref in analysis.requires:
            if not _exists(conn, ref):
                found.append(finding("OBJECT_MISSING", type="Table", name=ref.display()))
    for check in analysis.row_checks:
        if _is_base_table(conn, check.table) and _has_rows(conn, check.table):
            found.append(finding(check.code, name=check.subject))
    return found


def _exists(conn: pymysql.connections.Connection[Any], ref: TableRef) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = COALESCE(%s, DATABASE()) AND table_name = %s",
            (ref.schema, ref.name),
        )
        return cur.fetchone() is not None


def _is_base_table(conn: pymysql.connections.Connection[Any], ref: TableRef) -> bool:
    # Only a base table's rows may be read: selecting from a view runs its body.
    with conn.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = COALESCE(%s, DATABASE())"
            " AND table_name = %s AND table_type = 'BASE TABLE'",
            (ref.schema, ref.name),
        )
        return cur.fetchone() is not None


def _has_rows(conn: pymysql.connections.Connection[Any], ref: TableRef) -> bool:
    with conn.cursor() as cur:
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(ref)})")
        row = cur.fetchone()
        return bool(row and row[0])


def _quote(ref: TableRef) -> str:
    parts = [ref.schema, ref.name] if ref.schema else [ref.name]
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)


def _error_finding(err: pymysql.MySQLError, timeouts: Timeouts) -> Finding:
    code = err.args[0] if err.args and isinstance(err.args[0], int) else None
    if code == _LOCK_WAIT_TIMEOUT:
        return finding("LOCK_TIMEOUT", timeout=seconds(timeouts.lock_timeout_ms))
    if code in _STATEMENT_TIMEOUTS:
        return finding("STATEMENT_TIMEOUT", timeout=seconds(timeouts.statement_timeout_ms))
    return finding("DATABASE_ERROR", error=_one_line(err))


def _one_line(err: Exception) -> str:
    if len(err.args) == 2:
        return f"({err.args[0]}) {err.args[1]}"
    return str(err).splitlines()[0] if str(err) else type(err).__name__
