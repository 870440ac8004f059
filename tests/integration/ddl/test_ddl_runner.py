"""The runner: a preview never changes anything, an execution previews first."""

from __future__ import annotations

import sqlite3

from flow_platform.domain.ddl import analyze, runner
from flow_platform.domain.ddl.target import Target, Timeouts


def table_names(target: Target) -> set[str]:
    conn = sqlite3.connect(target.path or "")
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_execute_after_a_clean_preview(sqlite_target: Target) -> None:
    analysis = analyze("CREATE TABLE events (id TEXT, payload JSONB)", "sqlite")
    previewed = runner.preview(sqlite_target, analysis, Timeouts())
    assert (previewed.mode, previewed.outcome, previewed.executed) == (
        "executed_and_rolled_back",
        "previewed",
        False,
    )
    assert previewed.objects_changed == []
    assert table_names(sqlite_target) == set()
    done = runner.execute(sqlite_target, analysis, Timeouts(), lock_key="i")
    assert (done.mode, done.outcome, done.executed) == ("executed", "succeeded", True)
    assert done.objects_changed == [{"action": "create", "type": "table", "name": "events"}]
    assert table_names(sqlite_target) == {"events"}


def test_execute_stops_when_the_preview_fails(sqlite_target: Target) -> None:
    analysis = analyze("ALTER TABLE missing ADD COLUMN b int", "sqlite")
    done = runner.execute(sqlite_target, analysis, Timeouts(), lock_key="i")
    assert done.mode == "executed_and_rolled_back"
    assert done.outcome == "failed"
    assert done.error is not None and "missing" in done.error
    assert done.objects_changed == []


def test_row_findings_raise_the_risk(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    pg.execute(f"INSERT INTO {table} VALUES (1)")
    analysis = analyze(f"ALTER TABLE {table} ADD COLUMN b int NOT NULL", "postgres")
    assert analysis.risk == "low"
    previewed = runner.preview(pg_target, analysis, Timeouts())
    assert previewed.risk == "medium"
    assert previewed.outcome == "failed"
    assert [f.code for f in previewed.findings] == ["NOT_NULL_WITHOUT_DEFAULT", "DATABASE_ERROR"]
