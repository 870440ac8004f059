"""The MySQL/MariaDB executor against the real server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pymysql
import pytest

from flow_platform.domain.ddl import DDLNotAllowed, Scope, analyze, runner
from flow_platform.domain.ddl import mysql as executor
from flow_platform.domain.ddl.target import Target, Timeouts
from support.ddl_databases import mysql_connect, scratch_mysql
from support.hang import returns

FAST = Timeouts(lock_timeout_ms=1_000, statement_timeout_ms=5_000, instance_lock_timeout_s=1)


def exists(my: pymysql.connections.Connection, table: str) -> bool:  # type: ignore[type-arg]
    with my.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = %s",
            (table,),
        )
        return cur.fetchone() is not None


def sql(my: pymysql.connections.Connection, statement: str) -> None:  # type: ignore[type-arg]
    with my.cursor() as cur:
        cur.execute(statement)


def test_connection_success_and_failure(mysql_target: Target) -> None:
    ok, message = executor.test_connection(mysql_target, Timeouts())
    assert ok, message
    assert "MariaDB" in message or "MySQL" in message
    missing = Target(**{**mysql_target.__dict__, "database": "ddl_does_not_exist_0"})
    ok, message = executor.test_connection(missing, Timeouts())
    assert not ok
    assert "ddl_does_not_exist_0" in message


def test_preview_is_static_and_changes_nothing(my, mysql_target: Target, table: str) -> None:
    analysis = analyze(f"CREATE TABLE {table} (id TEXT, payload JSON)", "mysql")
    result = executor.preview(mysql_target, analysis, Timeouts())
    assert result.mode == "static"
    assert result.error is None
    assert result.findings == []
    assert not exists(my, table)
    executed = executor.execute(mysql_target, analysis, Timeouts(), lock_key="i")
    assert executed.outcome == "succeeded", executed.error
    assert exists(my, table)


def test_catalog_checks_find_what_would_fail(my, mysql_target: Target, table: str) -> None:
    sql(my, f"CREATE TABLE {table} (a int)")
    again = executor.preview(mysql_target, analyze(f"CREATE TABLE {table} (b int)", "mysql"), Timeouts())
    assert [f.code for f in again.findings] == ["OBJECT_EXISTS"]
    tolerant = analyze(f"CREATE TABLE IF NOT EXISTS {table} (b int)", "mysql")
    assert executor.preview(mysql_target, tolerant, Timeouts()).findings == []
    missing = analyze(f"ALTER TABLE {table}_x ADD COLUMN b int", "mysql")
    assert [f.code for f in executor.preview(mysql_target, missing, Timeouts()).findings] == ["OBJECT_MISSING"]


def test_not_null_without_default_depends_on_rows(my, mysql_target: Target, table: str) -> None:
    sql(my, f"CREATE TABLE {table} (a int)")
    analysis = analyze(f"ALTER TABLE {table} ADD COLUMN b int NOT NULL", "mysql")
    assert executor.preview(mysql_target, analysis, Timeouts()).findings == []
    sql(my, f"INSERT INTO {table} VALUES (1)")
    codes = [f.code for f in executor.preview(mysql_target, analysis, Timeouts()).findings]
    assert codes == ["NOT_NULL_WITHOUT_DEFAULT"]


def test_driver_refuses_stacked_statements(my, mysql_target: Target, table: str) -> None:
    conn = executor.connect(mysql_target, Timeouts())
    try:
        with pytest.raises(pymysql.err.ProgrammingError):
            executor.run_statement(conn, f"CREATE TABLE {table} (a int); CREATE TABLE {table}_2 (a int)")
    finally:
        conn.close()
    assert not exists(my, table)
    assert not exists(my, f"{table}_2")


def test_execute_on_a_locked_table_times_out(my, mysql_target: Target, table: str) -> None:
    sql(my, f"CREATE TABLE {table} (a int)")
    holder = pymysql.connect(
        host=mysql_target.host,
        port=mysql_target.port or 3306,
        user=mysql_target.user,
        password=mysql_target.password or "",
        database=mysql_target.database,
    )
    try:
        with holder.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute(f"SELECT * FROM {table}")  # holds a metadata lock until commit
        analysis = analyze(f"ALTER TABLE {table} ADD COLUMN b int", "mysql")
        # Without lock_wait_timeout the ALTER would wait for the holder, which lets go
        # only after it returns: returning at all, with a LOCK_TIMEOUT finding, is the proof.
        result = returns(executor.execute, mysql_target, analysis, FAST, lock_key="i")
    finally:
        holder.rollback()
        holder.close()
    assert result.outcome == "failed"
    assert [f.code for f in result.findings] == ["LOCK_TIMEOUT"]


def test_execute_waits_for_the_instance_lock(my, mysql_target: Target, table: str) -> None:
    key = f"instance-{table}"
    name = "flow_ddl:" + hashlib.sha256(key.encode()).hexdigest()[:40]
    holder = executor.connect(mysql_target, Timeouts())
    with holder.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 1)", (name,))
    analysis = analyze(f"CREATE TABLE {table} (a int)", "mysql")
    try:
        result = executor.execute(mysql_target, analysis, FAST, lock_key=key)
    finally:
        holder.close()
    assert result.outcome == "failed"
    assert [f.code for f in result.findings] == ["LOCK_TIMEOUT"]
    assert not exists(my, table)
    assert executor.execute(mysql_target, analysis, FAST, lock_key=key).outcome == "succeeded"


def test_failed_execution_reports_the_error(mysql_target: Target, table: str) -> None:
    analysis = analyze(f"ALTER TABLE {table} ADD COLUMN b int", "mysql")
    result = executor.execute(mysql_target, analysis, Timeouts(), lock_key="i")
    assert result.outcome == "failed"
    assert result.error is not None and "doesn't exist" in result.error


def test_session_quoting_matches_the_parser(mysql_target: Target) -> None:
    """A server whose sql_mode changes quoting must not be able to split a string differently."""
    conn = executor.connect(mysql_target, Timeouts())
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION sql_mode = 'ANSI,NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES'")
        executor._prepare_session(conn, Timeouts())
        with conn.cursor() as cur:
            cur.execute("SELECT @@SESSION.sql_mode, 'x\\'y'")
            mode, value = cur.fetchone()
    finally:
        conn.close()
    assert "NO_BACKSLASH_ESCAPES" not in mode and "ANSI_QUOTES" not in mode
    assert "STRICT_TRANS_TABLES" in mode
    assert value == "x'y"  # the backslash escapes the quote, as sqlglot's mysql dialect assumes


def test_preview_never_reads_a_view(my, mysql_target: Target, table: str) -> None:
    # The NOT NULL row check on a view must not select from it: that runs the view's body.
    sql(my, f"CREATE SEQUENCE {table}_seq")
    sql(my, f"CREATE VIEW {table} AS SELECT NEXTVAL({table}_seq) AS n")
    analysis = analyze(f"ALTER TABLE {table} ADD COLUMN z int NOT NULL", "mysql")
    result = executor.preview(mysql_target, analysis, Timeouts())
    assert "NOT_NULL_WITHOUT_DEFAULT" not in [f.code for f in result.findings]
    with my.cursor() as cur:
        cur.execute(f"SELECT PREVIOUS VALUE FOR {table}_seq")  # this session never drew one
        assert cur.fetchone() == (None,)
        cur.execute(f"SELECT next_not_cached_value FROM {table}_seq")
        assert cur.fetchone() == (1,)


# -- the instance's own database only ----------------------------------------------------


@pytest.fixture(scope="module")
def other_db() -> Iterator[str]:
    """Another database on the same server, with a table the instance must not reach."""
    with scratch_mysql("other_db") as name:
        conn = mysql_connect(name)
        try:
            sql(conn, "CREATE TABLE victim (a int)")
            sql(conn, "INSERT INTO victim VALUES (1)")
        finally:
            conn.close()
        yield name


def attempt(target: Target, statement: str, *, confirm: bool) -> None:
    """What execute_ddl does: analyse in the instance's scope, then preview or execute."""
    analysis = analyze(statement, "mysql", Scope(database=target.database))
    if confirm:
        runner.execute(target, analysis, Timeouts(), lock_key="i")
    else:
        runner.preview(target, analysis, Timeouts())


def columns_of(my: pymysql.connections.Connection, database: str, table: str) -> list[str]:  # type: ignore[type-arg]
    with my.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
            " ORDER BY ordinal_position",
            (database, table),
        )
        return [r[0] for r in cur.fetchall()]


@pytest.mark.parametrize("confirm", [False, True])
def test_other_databases_and_system_schemas_are_never_reached(
    my, mysql_target: Target, other_db: str, table: str, confirm: bool
) -> None:
    sql(my, f"CREATE TABLE {table} (a int)")
    refused = [
        f"CREATE TABLE {other_db}.t_{table} (a int)",
        f"DROP TABLE {other_db}.victim",
        f"DROP TABLE IF EXISTS {table}, {other_db}.victim",
        f"ALTER TABLE {other_db}.victim ADD COLUMN b int",
        f"ALTER TABLE {table} RENAME TO {other_db}.moved_{table}",
        f"CREATE TABLE {table}_like LIKE {other_db}.victim",
        f"CREATE TABLE {table}_fk (a int, FOREIGN KEY (a) REFERENCES {other_db}.victim (a))",
        f"CREATE TABLE mysql.{table} (a int)",
        f"CREATE TABLE information_schema.{table} (a int)",
        f"CREATE VIEW {table}_v AS SELECT * FROM {other_db}.victim",
        f"CREATE VIEW {table}_v AS SELECT * FROM performance_schema.threads",
    ]
    for statement in refused:
        with pytest.raises(DDLNotAllowed, match="outside the instance's database"):
            attempt(mysql_target, statement, confirm=confirm)
    # Nothing reached the server: the victim, its row and its columns are as they were.
    assert columns_of(my, other_db, "victim") == ["a"]
    with my.cursor() as cur:
        cur.execute(f"SELECT a FROM `{other_db}`.victim")
        assert cur.fetchall() == ((1,),)
        cur.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_name LIKE %s OR (table_schema = %s AND table_name <> 'victim')",
            (f"%{table}%", other_db),
        )
        assert cur.fetchall() == ((mysql_target.database, table),)


@pytest.mark.parametrize(
    "body",
    [
        "SELECT * FROM mysql.user",
        "SELECT * FROM mysql.global_priv",
        "SELECT a FROM {table} WHERE a IN (SELECT 1 FROM mysql.user)",
        "WITH x AS (SELECT * FROM mysql.global_priv) SELECT * FROM x",
        "SELECT t.a FROM {table} t JOIN (SELECT User FROM mysql.user) u ON 1 = 1",
    ],
)
def test_views_over_credential_catalogs_are_never_created(my, mysql_target: Target, table: str, body: str) -> None:
    sql(my, f"CREATE TABLE {table} (a int)")
    with pytest.raises(DDLNotAllowed, match="holds credentials"):
        attempt(mysql_target, f"CREATE VIEW {table}_v AS {body.format(table=table)}", confirm=True)
    assert not exists(my, f"{table}_v")


def test_the_instance_own_database_may_be_named(my, mysql_target: Target, table: str) -> None:
    attempt(mysql_target, f"CREATE TABLE `{mysql_target.database}`.{table} (a int)", confirm=True)
    assert exists(my, table)
