"""The SQLite executor against real files."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from flow_platform.domain.ddl import DDLNotAllowed, Scope, analyze, runner
from flow_platform.domain.ddl import sqlite as executor
from flow_platform.domain.ddl.target import Target, Timeouts
from support.hang import returns

FAST = Timeouts(lock_timeout_ms=300, statement_timeout_ms=5_000, instance_lock_timeout_s=0.5)


def tables(target: Target) -> set[str]:
    conn = sqlite3.connect(target.path or "")
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


def run(target: Target, statement: str) -> None:
    conn = sqlite3.connect(target.path or "", isolation_level=None)
    try:
        conn.execute(statement)
    finally:
        conn.close()


def digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_connection_success_and_failure(sqlite_target: Target, tmp_path: Path) -> None:
    ok, message = executor.test_connection(sqlite_target, Timeouts())
    assert ok, message
    missing = Target(dialect="sqlite", path=str(tmp_path / "nope.db"))
    ok, message = executor.test_connection(missing, Timeouts())
    assert not ok and "missing" in message
    assert not (tmp_path / "nope.db").exists()


def test_preview_runs_on_a_schema_copy(sqlite_target: Target) -> None:
    run(sqlite_target, "CREATE TABLE keep (a int)")
    before = digest(sqlite_target.path or "")
    analysis = analyze("CREATE TABLE events (id TEXT, payload JSONB)", "sqlite")
    result = executor.preview(sqlite_target, analysis, Timeouts())
    assert result.mode == "executed_and_rolled_back"
    assert result.error is None
    assert tables(sqlite_target) == {"keep"}
    assert digest(sqlite_target.path or "") == before
    executed = executor.execute(sqlite_target, analysis, Timeouts(), lock_key="i")
    assert executed.outcome == "succeeded", executed.error
    assert tables(sqlite_target) == {"keep", "events"}


def test_failing_preview_reports_the_error(sqlite_target: Target) -> None:
    run(sqlite_target, "CREATE TABLE t (a int)")
    result = executor.preview(sqlite_target, analyze("CREATE TABLE t (b int)", "sqlite"), FAST)
    assert result.error is not None and "already exists" in result.error
    assert [f.code for f in result.findings] == ["DATABASE_ERROR"]


def test_not_null_without_default_depends_on_rows(sqlite_target: Target) -> None:
    run(sqlite_target, "CREATE TABLE t (a int)")
    analysis = analyze("ALTER TABLE t ADD COLUMN b int NOT NULL", "sqlite")
    empty = executor.preview(sqlite_target, analysis, Timeouts())
    assert "NOT_NULL_WITHOUT_DEFAULT" not in [f.code for f in empty.findings]
    run(sqlite_target, "INSERT INTO t VALUES (1)")
    full = executor.preview(sqlite_target, analysis, Timeouts())
    assert "NOT_NULL_WITHOUT_DEFAULT" in [f.code for f in full.findings]
    # SQLite itself refuses NOT NULL without a default on ALTER, rows or not.
    assert full.error is not None


def test_driver_refuses_stacked_statements(sqlite_target: Target) -> None:
    conn = executor.connect(sqlite_target.path or "", Timeouts())
    try:
        with pytest.raises(sqlite3.ProgrammingError, match="one statement"):
            executor.run_statement(conn, "CREATE TABLE a (x int); CREATE TABLE b (x int)")
        with pytest.raises(sqlite3.ProgrammingError):
            executor.run_statement(conn, "CREATE TABLE a (x int) /* */; DROP TABLE b")
    finally:
        conn.close()
    assert tables(sqlite_target) == set()


def test_execute_on_a_busy_database_times_out(sqlite_target: Target) -> None:
    holder = sqlite3.connect(sqlite_target.path or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        # Without busy_timeout bounding the wait, the execution would wait for the holder,
        # which lets go only after it returns: returning at all, with LOCK_TIMEOUT, is the proof.
        result = returns(
            executor.execute, sqlite_target, analyze("CREATE TABLE t (a int)", "sqlite"), FAST, lock_key="i"
        )
    finally:
        holder.rollback()
        holder.close()
    assert result.outcome == "failed"
    assert [f.code for f in result.findings] == ["LOCK_TIMEOUT"]


def test_executions_on_one_instance_are_serialised(sqlite_target: Target) -> None:
    analysis = analyze("CREATE TABLE t (a int)", "sqlite")
    release = threading.Event()
    entered = threading.Event()

    def hold() -> None:
        with executor._instance_lock(sqlite_target.path or "", 5):
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(5)
    try:
        result = executor.execute(sqlite_target, analysis, FAST, lock_key="i")
    finally:
        release.set()
        thread.join()
    assert result.outcome == "failed"
    assert result.error == "another DDL execution on this instance holds the lock"
    assert executor.execute(sqlite_target, analysis, FAST, lock_key="i").outcome == "succeeded"


def test_statement_timeout_is_a_finding(sqlite_target: Target) -> None:
    run(
        sqlite_target,
        "CREATE TABLE big AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
        " WHERE i < 300000) SELECT i AS a FROM n",
    )
    slow = Timeouts(lock_timeout_ms=1_000, statement_timeout_ms=1)
    result = executor.execute(sqlite_target, analyze("CREATE INDEX big_a ON big (a)", "sqlite"), slow, lock_key="i")
    assert result.outcome == "failed"
    assert [f.code for f in result.findings] == ["STATEMENT_TIMEOUT"]
    conn = sqlite3.connect(sqlite_target.path or "")
    try:
        assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall() == []
    finally:
        conn.close()


def test_preview_never_reads_a_view(sqlite_target: Target) -> None:
    # The NOT NULL row check on a view must not select from it: that runs the view's
    # body, here one that fails when it runs.
    run(sqlite_target, "CREATE VIEW v AS SELECT json('not json') AS n")
    result = executor.preview(sqlite_target, analyze("ALTER TABLE v ADD COLUMN z int NOT NULL", "sqlite"), FAST)
    assert "NOT_NULL_WITHOUT_DEFAULT" not in [f.code for f in result.findings]
    assert result.error is not None and "malformed" not in result.error.lower()


# -- the instance's own file only; previews that never touch it ---------------------------


def attempt(target: Target, statement: str, *, confirm: bool) -> runner.DDLRun:
    """What execute_ddl does: analyse in the instance's scope, then preview or execute."""
    analysis = analyze(statement, "sqlite", Scope())
    if confirm:
        return runner.execute(target, analysis, Timeouts(), lock_key="i")
    return runner.preview(target, analysis, Timeouts())


def fingerprint(path: str) -> tuple[str, int, int]:
    """The file's bytes, size and modification time: a preview changes none of them."""
    stat = os.stat(path)
    return digest(path), stat.st_size, stat.st_mtime_ns


@pytest.mark.parametrize("confirm", [False, True])
def test_virtual_tables_and_other_databases_are_refused(sqlite_target: Target, confirm: bool) -> None:
    path = sqlite_target.path or ""
    run(sqlite_target, "CREATE TABLE keep (a int)")
    before = fingerprint(path)
    refused = {
        "CREATE VIRTUAL TABLE ft USING fts5(body)": "virtual tables",
        "CREATE VIRTUAL TABLE IF NOT EXISTS main.ft USING fts5(body)": "virtual tables",
        "CREATE VIRTUAL TABLE r USING rtree(id, x0, x1)": "virtual tables",
        "CREATE TABLE temp.t (a int)": "outside the instance's database 'main'",
        "CREATE TABLE aux.t (a int)": "outside the instance's database 'main'",
        "DROP TABLE aux.keep": "outside the instance's database 'main'",
        "CREATE VIEW v AS SELECT * FROM aux.keep": "outside the instance's database 'main'",
        "CREATE INDEX aux.i ON x (a)": "qualified index name",
    }
    for statement, reason in refused.items():
        with pytest.raises(DDLNotAllowed, match=re.escape(reason)):
            attempt(sqlite_target, statement, confirm=confirm)
    assert tables(sqlite_target) == {"keep"}
    assert fingerprint(path) == before


def test_previews_leave_the_file_unchanged(sqlite_target: Target) -> None:
    path = sqlite_target.path or ""
    run(sqlite_target, "CREATE TABLE t (a int, b text)")
    run(sqlite_target, "CREATE INDEX t_a ON t (a)")
    run(sqlite_target, "INSERT INTO t VALUES (1, 'x'), (1, 'y')")
    before = fingerprint(path)
    statements = [
        "CREATE TABLE events (id TEXT, payload JSONB)",
        "ALTER TABLE t ADD COLUMN c int DEFAULT 0",
        "ALTER TABLE t RENAME COLUMN b TO bb",
        "ALTER TABLE t RENAME TO t2",
        "ALTER TABLE t DROP COLUMN b",
        "CREATE INDEX t_b ON t (b)",
        "DROP INDEX t_a",
        "CREATE VIEW v AS SELECT a FROM t",
        "DROP TABLE t",
        "ALTER TABLE t ADD COLUMN d int NOT NULL",  # fails: t has rows
        "ALTER TABLE missing ADD COLUMN d int",  # fails: no such table
    ]
    for statement in statements:
        attempt(sqlite_target, statement, confirm=False)
        assert fingerprint(path) == before, statement
    assert tables(sqlite_target) == {"t"}


def outcome_on_a_full_copy(target: Target, statement: str, scratch: Path) -> str | None:
    """What the statement does to a complete copy of the file: the answer a preview must give."""
    source = sqlite3.connect(target.path or "")
    copy = sqlite3.connect(scratch / "full-copy.db", isolation_level=None)
    try:
        source.backup(copy)
        copy.execute(statement)
    except sqlite3.Error as err:
        return str(err)
    finally:
        source.close()
        copy.close()
        (scratch / "full-copy.db").unlink()
    return None


def test_preview_on_the_schema_copy_answers_as_the_full_file_would(sqlite_target: Target, tmp_path: Path) -> None:
    # Objects made before the policy refused some of them (an fts5 table), or written
    # directly: generated columns, AUTOINCREMENT, views over views, triggers, rows.
    for statement in [
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a int NOT NULL, twice int GENERATED ALWAYS AS (a * 2))",
        "CREATE TABLE log (msg text)",
        "CREATE TABLE empty (a int)",
        "CREATE UNIQUE INDEX t_a ON t (a)",
        "CREATE VIEW v AS SELECT a, twice FROM t",
        "CREATE VIEW vv AS SELECT * FROM v",
        "CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('x'); END",
        "CREATE VIRTUAL TABLE ft USING fts5(body)",
        "INSERT INTO t (a) VALUES (1), (2)",
        "INSERT INTO ft VALUES ('hello')",
    ]:
        run(sqlite_target, statement)
    path = sqlite_target.path or ""
    before = fingerprint(path)
    statements = [
        "ALTER TABLE t ADD COLUMN b text DEFAULT 'x'",
        "ALTER TABLE t ADD COLUMN c int NOT NULL",  # t has rows: fails, from one copied row
        "ALTER TABLE empty ADD COLUMN c int NOT NULL",  # no rows: succeeds
        "ALTER TABLE t RENAME COLUMN a TO aa",
        "ALTER TABLE t DROP COLUMN a",
        "ALTER TABLE t DROP COLUMN twice",
        "ALTER TABLE t RENAME TO t2",
        "ALTER TABLE v ADD COLUMN z int",
        "CREATE INDEX ft_i ON ft (body)",
        "CREATE TABLE log (x int)",
        "DROP TABLE ft",
        "DROP VIEW v",
        "DROP INDEX t_a",
    ]
    answers = {s: attempt(sqlite_target, s, confirm=False).error for s in statements}
    assert answers == {s: outcome_on_a_full_copy(sqlite_target, s, tmp_path) for s in statements}
    assert answers["ALTER TABLE t ADD COLUMN c int NOT NULL"] is not None
    assert answers["ALTER TABLE empty ADD COLUMN c int NOT NULL"] is None
    assert fingerprint(path) == before
