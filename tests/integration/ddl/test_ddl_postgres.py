"""The PostgreSQL executor against the real server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from flow_platform.domain.ddl import DDLNotAllowed, Scope, analyze, runner
from flow_platform.domain.ddl import postgres as executor
from flow_platform.domain.ddl.target import Target, Timeouts
from support.ddl_databases import pg_connect, pg_params, scratch_pg
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


# -- the instance's own schema only; previews that provably change nothing ---------------


def attempt(target: Target, statement: str, *, confirm: bool) -> runner.DDLRun:
    """What execute_ddl does: analyse in the instance's scope, then preview or execute."""
    analysis = analyze(statement, "postgres", Scope(database=target.database, schema=target.schema))
    if confirm:
        return runner.execute(target, analysis, Timeouts(), lock_key="i")
    return runner.preview(target, analysis, Timeouts())


def snapshot(conn: psycopg.Connection) -> dict[str, Any]:  # type: ignore[type-arg]
    """The catalog rows and sequence states a DDL statement could change, outside the system schemas."""
    user_schemas = "NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'"
    relations = conn.execute(
        "SELECT n.nspname, c.relname, c.relkind, c.relnatts FROM pg_class c"
        f" JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname {user_schemas} ORDER BY 1, 2"
    ).fetchall()
    attributes = conn.execute(
        "SELECT n.nspname, c.relname, a.attname, a.attnum, a.atttypid, a.attnotnull, a.atthasdef FROM pg_attribute a"
        " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        f" WHERE a.attnum > 0 AND n.nspname {user_schemas} ORDER BY 1, 2, 4"
    ).fetchall()
    types = conn.execute(
        "SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
        f" WHERE n.nspname {user_schemas} ORDER BY 1, 2"
    ).fetchall()
    sequences = conn.execute(
        "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2"
    ).fetchall()
    comments = conn.execute("SELECT objoid, objsubid, description FROM pg_description ORDER BY 1, 2").fetchall()
    return {"relations": relations, "attributes": attributes, "types": types, "sequences": sequences,
            "comments": comments}


@pytest.fixture
def other_schema(pg, table: str) -> Iterator[str]:
    name = f"other_{table}"
    pg.execute(f"CREATE SCHEMA {name}")
    pg.execute(f"CREATE TABLE {name}.victim (a int)")
    pg.execute(f"INSERT INTO {name}.victim VALUES (1)")
    pg.execute(f"CREATE SEQUENCE {name}.s")
    yield name
    pg.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.mark.parametrize("confirm", [False, True])
def test_other_schemas_and_system_catalogs_are_never_reached(
    pg, pg_target: Target, other_schema: str, table: str, confirm: bool
) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    pg.execute(f"INSERT INTO {table} VALUES (1)")
    before = snapshot(pg)
    refused = [
        f"CREATE TABLE {other_schema}.t (a int)",
        f"DROP TABLE {other_schema}.victim",
        f"DROP TABLE {table}, {other_schema}.victim",
        f"ALTER TABLE {other_schema}.victim ADD COLUMN b int",
        f"COMMENT ON TABLE {other_schema}.victim IS 'mine now'",
        f"CREATE TABLE {table}_x (LIKE {other_schema}.victim)",
        f"CREATE TABLE {table}_x (a int REFERENCES {other_schema}.victim (a))",
        f"ALTER TABLE {table} ADD COLUMN n bigint DEFAULT nextval('{other_schema}.s')",
        f"CREATE TABLE pg_catalog.{table}_x (a int)",
        f"CREATE TABLE information_schema.{table}_x (a int)",
        f"CREATE VIEW {table}_v AS SELECT * FROM information_schema.tables",
        f"CREATE TABLE other_database.public.{table}_x (a int)",
    ]
    for statement in refused:
        with pytest.raises(DDLNotAllowed, match="outside the instance's schema|another database"):
            attempt(pg_target, statement, confirm=confirm)
    assert snapshot(pg) == before
    assert pg.execute(f"SELECT a FROM {other_schema}.victim").fetchall() == [(1,)]
    assert pg.execute(f"SELECT last_value, is_called FROM {other_schema}.s").fetchone() == (1, False)


@pytest.mark.parametrize(
    "body",
    [
        "SELECT rolname, rolpassword FROM pg_authid",
        "SELECT * FROM pg_catalog.pg_shadow",
        "SELECT * FROM pg_user_mappings",
        "WITH x AS (SELECT * FROM pg_authid) SELECT * FROM x",
        "SELECT t.a FROM {table} t JOIN (SELECT usename FROM pg_shadow) s ON true",
        "SELECT a FROM {table} WHERE EXISTS (SELECT 1 FROM pg_authid WHERE rolpassword IS NOT NULL)",
    ],
)
@pytest.mark.parametrize("materialized", ["", "MATERIALIZED "])
def test_views_over_credential_catalogs_are_never_created(
    pg, pg_target: Target, table: str, body: str, materialized: str
) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    statement = f"CREATE {materialized}VIEW {table}_v AS {body.format(table=table)}"
    with pytest.raises(DDLNotAllowed, match="holds credentials"):
        attempt(pg_target, statement, confirm=True)
    assert not exists(pg, f"{table}_v")


def test_an_instance_bound_to_a_schema_creates_there_and_nowhere_else(pg, pg_target: Target, table: str) -> None:
    schema = f"app_{table}"
    pg.execute(f"CREATE SCHEMA {schema}")
    try:
        target = Target(**{**pg_target.__dict__, "schema": schema})
        done = attempt(target, f"CREATE TABLE {table} (a int)", confirm=True)
        assert done.outcome == "succeeded", done.error
        assert exists(pg, f"{schema}.{table}")
        assert not exists(pg, f"public.{table}")
        assert attempt(target, f"ALTER TABLE {schema}.{table} ADD COLUMN b int", confirm=True).outcome == "succeeded"
        with pytest.raises(DDLNotAllowed, match=f"outside the instance's schema '{schema}'"):
            attempt(target, f"CREATE TABLE public.{table} (a int)", confirm=True)
        assert not exists(pg, f"public.{table}")
    finally:
        pg.execute(f"DROP SCHEMA {schema} CASCADE")


def test_search_path_is_pinned_to_the_instance_schema() -> None:
    """A schema named like the user comes first in the default search_path ("$user", public)."""
    with scratch_pg() as database:
        target = Target(dialect="postgres", **pg_params(database))
        with pg_connect(database) as admin:
            admin.execute(f'CREATE SCHEMA "{target.user}"')
            admin.execute(f"ALTER DATABASE \"{database}\" SET search_path = '\"$user\"', 'public'")
        assert attempt(target, "CREATE TABLE pinned (a int)", confirm=True).outcome == "succeeded"
        with pg_connect(database) as check:
            row = check.execute(
                "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relname = 'pinned'"
            ).fetchall()
        assert row == [("public",)]


SEQUENCE_CALLS = [
    "ALTER TABLE {table} ADD COLUMN n bigint DEFAULT nextval('{table}_s')",
    "ALTER TABLE {table} ADD COLUMN n bigint NOT NULL DEFAULT nextval('{table}_s'::regclass)",
    "ALTER TABLE {table} ALTER COLUMN a TYPE bigint USING nextval('{table}_s')",
    "CREATE MATERIALIZED VIEW {table}_mv AS SELECT nextval('{table}_s') AS n FROM {table}",
]


@pytest.mark.parametrize("statement", SEQUENCE_CALLS)
def test_a_preview_that_would_call_nextval_is_static_and_changes_nothing(
    pg, pg_target: Target, table: str, statement: str
) -> None:
    pg.execute(f"CREATE TABLE {table} (a int)")
    pg.execute(f"INSERT INTO {table} SELECT g FROM generate_series(1, 5) g")
    pg.execute(f"CREATE SEQUENCE {table}_s")
    before = snapshot(pg)
    previewed = attempt(pg_target, statement.format(table=table), confirm=False)
    assert previewed.mode == "static"
    assert previewed.error is None
    assert previewed.locks == []
    assert "STATIC_PREVIEW" in [f.code for f in previewed.findings]
    assert snapshot(pg) == before
    assert pg.execute(f"SELECT last_value, is_called FROM {table}_s").fetchone() == (1, False)
    # The statement really does draw from the sequence: executing it advances it.
    executed = attempt(pg_target, statement.format(table=table), confirm=True)
    assert executed.outcome == "succeeded", executed.error
    assert pg.execute(f"SELECT last_value, is_called FROM {table}_s").fetchone() == (5, True)


def test_a_static_preview_still_checks_the_catalog(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE SEQUENCE {table}_s")
    missing = attempt(pg_target, f"ALTER TABLE {table} ADD COLUMN n bigint DEFAULT nextval('{table}_s')", confirm=False)
    assert [f.code for f in missing.findings if f.code.startswith("OBJECT")] == ["OBJECT_MISSING"]
    pg.execute(f"CREATE TABLE {table} (a int)")
    taken = attempt(pg_target, f"CREATE TABLE {table} (n bigint DEFAULT nextval('{table}_s'))", confirm=False)
    assert [f.code for f in taken.findings if f.code.startswith("OBJECT")] == ["OBJECT_EXISTS"]


def test_previews_leave_catalogs_and_sequences_unchanged(pg, pg_target: Target, table: str) -> None:
    pg.execute(f"CREATE TABLE {table} (a int, b text)")
    pg.execute(f"INSERT INTO {table} SELECT g, g::text FROM generate_series(1, 5) g")
    pg.execute(f"CREATE SEQUENCE {table}_s")
    pg.execute(f"CREATE TYPE {table}_mood AS ENUM ('a')")
    before = snapshot(pg)
    statements = [
        f"CREATE TABLE {table}_new (id bigserial PRIMARY KEY, m {table}_mood)",
        f"ALTER TABLE {table} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY",
        f"ALTER TABLE {table} ADD COLUMN s serial",
        f"ALTER TABLE {table} ADD COLUMN c uuid DEFAULT gen_random_uuid()",
        f"ALTER TABLE {table} ALTER COLUMN a TYPE bigint",
        f"ALTER TABLE {table} DROP COLUMN b",
        f"CREATE INDEX {table}_a ON {table} (a)",
        f"CREATE SEQUENCE {table}_s2",
        f"CREATE TYPE {table}_kind AS ENUM ('x', 'y')",
        f"COMMENT ON TABLE {table} IS 'changed'",
        f"CREATE MATERIALIZED VIEW {table}_mv AS SELECT a FROM {table}",
        f"DROP SEQUENCE {table}_s",
        f"DROP TABLE {table} CASCADE",
        f"ALTER TABLE {table} ADD COLUMN n bigint DEFAULT nextval('{table}_s')",
        f"CREATE INDEX CONCURRENTLY {table}_b ON {table} (b)",
    ]
    for statement in statements:
        previewed = attempt(pg_target, statement, confirm=False)
        assert previewed.outcome == "previewed", (statement, previewed.error)
        assert snapshot(pg) == before, statement
    assert pg.execute(f"SELECT last_value, is_called FROM {table}_s").fetchone() == (1, False)
