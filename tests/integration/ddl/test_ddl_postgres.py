"""The PostgreSQL executor against the real server."""

from __future__ import annotations

import hashlib
import threading

import psycopg
import pytest

from flow_platform.domain.ddl import analyze
from flow_platform.domain.ddl import postgres as executor
from flow_platform.domain.ddl.target import Target, Timeouts
from support.hang import returns

FAST = Timeouts(lock_timeout_ms=300, statement_timeout_ms=5_000, instance_lock_timeout_s=1)


def exists(conn: psycopg.Connection, table: str) -> bool:  # type: ignore[type-arg]
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row and row[0])


def test_connection_success_and_failure(pg, pg_target: Target) -> None:
    ok, message = executor.test_connection(pg_target, Timeouts())
    assert ok, message
    assert "PostgreSQL" in message
    missing = Target(**{**pg_target.__dict__, "database": "ddl_does_not_exist_0"})
    ok, message = executor.test_connection(missing, Timeouts())
    assert not ok
    assert "ddl_does_not_exist_0" in message


def test_preview_executes_and_rolls_back(pg, pg_target: Target, table: str) -> None:
    analysis = analyze(f"CREATE TABLE {table} (id TEXT, payload JSONB)", "postgres")
    result = executor.preview(pg_target, analysis, Timeouts())
    assert result.mode == "executed_and_rolled_back"
    assert result.error is None
    assert {
        "locktype": "relation",
        "mode": "AccessExclusiveLock",
        "granted": True,
        "relation": f"public.{table}",
    } in result.locks
    assert not exists(pg, table)


def test_execute_creates_the_table(pg, pg_target: Target, table: str) -> None:
    analysis = analyze(f"CREATE TABLE {table} (id TEXT, payload JSONB)", "postgres")
    result = executor.execute(pg_target, analysis, Timeouts(), lock_key="instance-1")
    assert result.outcome == "succeeded", result.error
    assert result.duration_ms >= 0
    assert exists(pg, table)


def test_failing_preview_reports_the_error_and_changes_nothing(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    analysis = analyze(f"CREATE TABLE {table} (b int)", "postgres")
    result = executor.preview(pg_target, analysis, Timeouts())
    assert result.mode == "executed_and_rolled_back"
    assert result.error is not None and "already exists" in result.error
    assert [f.code for f in result.findings] == ["DATABASE_ERROR"]
    columns = pg.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
    ).fetchall()
    assert columns == [("a",)]


def test_not_null_without_default_depends_on_rows(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    analysis = analyze(f"ALTER TABLE {table} ADD COLUMN b int NOT NULL", "postgres")
    empty = executor.preview(pg_target, analysis, Timeouts())
    assert empty.error is None
    assert "NOT_NULL_WITHOUT_DEFAULT" not in [f.code for f in empty.findings]
    pg.execute(f"INSERT INTO {table} VALUES (1)")
    full = executor.preview(pg_target, analysis, Timeouts())
    assert "NOT_NULL_WITHOUT_DEFAULT" in [f.code for f in full.findings]
    assert full.error is not None and "null" in full.error


def test_preview_of_alter_on_a_locked_table_times_out(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    holder = psycopg.connect(pg.info.dsn, autocommit=True)
    holder.autocommit = False
    holder.execute(f"SELECT * FROM {table}")  # ACCESS SHARE, held until rollback
    try:
        analysis = analyze(f"ALTER TABLE {table} ADD COLUMN b int", "postgres")
        # Without lock_timeout the preview would wait for the holder, which lets go only
        # after it returns: returning at all, with a LOCK_TIMEOUT finding, is the proof.
        result = returns(executor.preview, pg_target, analysis, FAST)
    finally:
        holder.rollback()
        holder.close()
    assert [f.code for f in result.findings] == ["LOCK_TIMEOUT"]
    assert result.error is not None and "lock timeout" in result.error


def test_concurrent_index_preview_is_static_and_executes(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    analysis = analyze(f"CREATE INDEX CONCURRENTLY {table}_a ON {table} (a)", "postgres")
    preview = executor.preview(pg_target, analysis, Timeouts())
    assert preview.mode == "static"
    assert preview.locks == []
    assert not exists(pg, f"{table}_a")
    result = executor.execute(pg_target, analysis, Timeouts(), lock_key="instance-1")
    assert result.outcome == "succeeded", result.error
    assert exists(pg, f"{table}_a")


def test_driver_refuses_stacked_statements(pg, pg_target: Target, table: str) -> None:
    with executor.connect(pg_target, Timeouts(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
            executor.run_statement(conn, f"CREATE TABLE {table} (a int); CREATE TABLE {table}_2 (a int)")
        with pytest.raises(psycopg.errors.SyntaxError):
            executor.run_statement(conn, f"CREATE TABLE {table} (a int) /* */; DROP TABLE {table}")
    assert not exists(pg, table)
    assert not exists(pg, f"{table}_2")


def test_execute_waits_for_the_instance_lock(pg, pg_target: Target, table: str) -> None:
    """A second execution on the same instance fails after the wait, not in parallel."""
    analysis = analyze(f"CREATE TABLE {table} (a int)", "postgres")
    key = f"instance-{table}"
    lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    holder = psycopg.connect(pg.info.dsn, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (lock_id,))
    try:
        result = executor.execute(pg_target, analysis, FAST, lock_key=key)
    finally:
        holder.close()
    assert result.outcome == "failed"
    assert [f.code for f in result.findings] == ["LOCK_TIMEOUT"]
    assert not exists(pg, table)
    # Released: the same execution now goes through.
    assert executor.execute(pg_target, analysis, FAST, lock_key=key).outcome == "succeeded"


def test_failed_execution_reports_the_error(pg, pg_target: Target, table: str) -> None:
    analysis = analyze(f"ALTER TABLE {table} ADD COLUMN b int", "postgres")
    result = executor.execute(pg_target, analysis, Timeouts(), lock_key="instance-1")
    assert result.outcome == "failed"
    assert result.error is not None and "does not exist" in result.error


def test_parallel_executions_on_one_instance_all_succeed(pg, pg_target: Target, table: str) -> None:
    analyses = [analyze(f"CREATE TABLE {table}_{i} (a int)", "postgres") for i in range(3)]
    outcomes: list[str] = []

    def run(i: int) -> None:
        outcomes.append(executor.execute(pg_target, analyses[i], Timeouts(), lock_key=table).outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["succeeded"] * 3


def test_locks_of_a_drop_name_the_dropped_relation(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    result = executor.preview(pg_target, analyze(f"DROP TABLE {table}", "postgres"), Timeouts())
    assert result.error is None
    assert any(
        lock["mode"] == "AccessExclusiveLock" and "dropped by the statement" in lock["relation"]
        for lock in result.locks
    ), result.locks
    assert exists(pg, table)


def test_statement_timeout_is_a_finding(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} AS SELECT g AS a FROM generate_series(1, 300000) g")
    slow = Timeouts(lock_timeout_ms=1_000, statement_timeout_ms=1)
    result = returns(executor.preview, pg_target, analyze(f"CREATE INDEX ON {table} (a)", "postgres"), slow)
    assert [f.code for f in result.findings] == ["STATEMENT_TIMEOUT"]
    assert result.error is not None and "statement timeout" in result.error


def test_session_quoting_matches_the_parser(pg_target: Target) -> None:
    with executor.connect(pg_target, Timeouts(), autocommit=True) as conn:
        conn.execute("SET standard_conforming_strings = off")
        executor._prepare_session(conn, Timeouts(), schema="public", local=False)
        row = conn.execute("SELECT 'x\\'").fetchone()
    assert row == ("x\\",)


def test_preview_never_reads_a_view(pg, pg_target: Target, table: str) -> None:
    # The NOT NULL row check on a view must not select from it: that runs the view's
    # body, here one that advances a sequence and kills another session.
    victim = psycopg.connect(pg.info.dsn, autocommit=True)
    try:
        pg.execute(f"CREATE SEQUENCE {table}_seq")
        pg.execute(
            f"CREATE VIEW {table} AS SELECT nextval('{table}_seq') AS n, "
            f"pg_terminate_backend({victim.info.backend_pid}) AS killed"
        )
        analysis = analyze(f"ALTER TABLE {table} ADD COLUMN z int NOT NULL", "postgres")
        result = executor.preview(pg_target, analysis, Timeouts())
        assert "NOT_NULL_WITHOUT_DEFAULT" not in [f.code for f in result.findings]
        assert result.error is not None  # a view takes no columns; the statement itself fails
        assert victim.execute("SELECT 1").fetchone() == (1,)
        assert pg.execute(f"SELECT last_value, is_called FROM {table}_seq").fetchone() == (1, False)
    finally:
        victim.close()


def test_not_null_row_check_still_reads_a_partitioned_table(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} (a int) PARTITION BY RANGE (a)")
    pg.execute(f"CREATE TABLE {table}_p0 PARTITION OF {table} FOR VALUES FROM (0) TO (100)")
    pg.execute(f"INSERT INTO {table} VALUES (1)")
    analysis = analyze(f"ALTER TABLE {table} ADD COLUMN z int NOT NULL", "postgres")
    result = executor.preview(pg_target, analysis, Timeouts())
    assert "NOT_NULL_WITHOUT_DEFAULT" in [f.code for f in result.findings]
