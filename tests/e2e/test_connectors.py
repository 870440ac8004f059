"""Connector instances and execute_ddl end to end: the real platform, the real client,
the machine's real PostgreSQL and MariaDB, and SQLite files the platform owns."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from flow_sdk.cli_client import CLIPermissionError, CLIValidationError
from support.ddl_databases import (
    mysql_connect,
    mysql_params,
    pg_connect,
    pg_params,
    scratch_mysql,
    scratch_pg,
)
from support.hang import returns


@pytest.fixture(scope="module")
def pg_db() -> Iterator[str]:
    with scratch_pg() as name:
        yield name


@pytest.fixture(scope="module")
def mysql_db() -> Iterator[str]:
    with scratch_mysql() as name:
        yield name


def _server_instance(connector: str, params: dict[str, Any], **cfg: Any) -> dict[str, Any]:
    return {
        "connector": connector,
        "instance_name": f"{connector}-{uuid.uuid4().hex[:8]}",
        "configuration": {
            "host": params["host"],
            "port": params["port"],
            "database": params["database"],
            "user": params["user"],
            **cfg,
        },
        "credentials": {"password": params["password"]},
    }


@pytest.fixture
def instances(client: Any, pg_db: str, mysql_db: str) -> dict[str, dict[str, Any]]:
    """One instance per connector in the tenant's workspace."""
    ns = client.connector_instances
    return {
        "postgres": ns.create(_server_instance("postgres", pg_params(pg_db))),
        "mysql": ns.create(_server_instance("mysql", mysql_params(mysql_db))),
        "sqlite": ns.create({"connector": "sqlite", "instance_name": "embedded"}),
    }


def pg_has(pg_db: str, table: str) -> bool:
    with pg_connect(pg_db) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row[0])


def sqlite_has(platform: Any, instance_id: str, table: str) -> bool:
    import sqlite3

    path = platform.data_dir / "connectors" / f"{instance_id}.db"
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    finally:
        conn.close()
    return row is not None


def audit_outcomes(client: Any, instance_id: str) -> list[str]:
    return [row["outcome"] for row in reversed(client.connector_instances.audit(instance_id))]


# -- the spec's snippet ------------------------------------------------------------------


def test_spec_snippet_runs_verbatim_on_postgres(client, pg_db, capsys):
    # Each test uses its own table name: all tests share the module's database.
    instance = client.connector_instances.create(_server_instance("postgres", pg_params(pg_db)))
    with pg_connect(pg_db) as conn:
        conn.execute("DROP TABLE IF EXISTS events")
    # --- verbatim from the spec, with the instance id filled in ---
    # Preview DDL (dry run)
    preview = client.execute_ddl(
        instance_id=instance["id"],
        sql="CREATE TABLE events (id TEXT, payload JSONB)",
        confirm=False,
    )
    print(preview)  # Shows what would happen
    assert not pg_has(pg_db, "events")
    # Execute DDL for real
    result = client.execute_ddl(
        instance_id=instance["id"],
        sql="CREATE TABLE events (id TEXT, payload JSONB)",
        confirm=True,
        reason="Setting up event storage",
    )
    # --- end of the snippet ---
    assert "executed_and_rolled_back" in capsys.readouterr().out
    assert preview["mode"] == "executed_and_rolled_back"
    assert preview["risk"] == "low" and preview["outcome"] == "previewed"
    assert preview["preview_id"] and len(preview["sha256"]) == 64
    assert any(
        lock["relation"] == "public.events" and lock["mode"] == "AccessExclusiveLock" for lock in preview["locks"]
    ), preview["locks"]
    assert result["outcome"] == "succeeded" and result["executed"] is True
    assert result["objects_changed"] == [{"action": "create", "type": "table", "name": "events"}]
    assert pg_has(pg_db, "events")
    with pg_connect(pg_db) as conn:
        conn.execute("DROP TABLE events")


def test_spec_snippet_on_sqlite(client, platform):
    instance = client.connector_instances.create({"connector": "sqlite", "instance_name": "local"})
    preview = client.execute_ddl(
        instance_id=instance["id"],
        sql="CREATE TABLE events (id TEXT, payload JSON)",
        confirm=False,
    )
    assert preview["mode"] == "executed_and_rolled_back" and preview["error"] is None
    assert not sqlite_has(platform, instance["id"], "events")
    result = client.execute_ddl(
        instance_id=instance["id"],
        sql="CREATE TABLE events (id TEXT, payload JSON)",
        confirm=True,
        reason="Setting up event storage",
    )
    assert result["outcome"] == "succeeded"
    assert sqlite_has(platform, instance["id"], "events")


def test_mysql_preview_is_static_and_execution_creates(client, mysql_db):
    instance = client.connector_instances.create(_server_instance("mysql", mysql_params(mysql_db)))
    table = f"t_{uuid.uuid4().hex[:8]}"
    preview = client.execute_ddl(instance["id"], f"CREATE TABLE {table} (id TEXT, payload JSONB)")
    assert preview["mode"] == "static"
    assert "JSONB_ON_MYSQL" in [f["code"] for f in preview["findings"]]
    ok = client.execute_ddl(instance["id"], f"CREATE TABLE {table} (id TEXT, payload JSON)", confirm=True, reason="t")
    assert ok["outcome"] == "succeeded"
    conn = mysql_connect(mysql_db)
    with conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        assert cur.fetchone()[0] == 0
    conn.close()


# -- refusals -----------------------------------------------------------------------------

REFUSED = {
    "postgres": [
        "CREATE TABLE t (a int); DROP TABLE u",
        "CREATE TABLE t (a int) /* */; DROP TABLE u",
        "CREATE TABLE t (a int) -- hidden\n; DROP TABLE u",
        "INSERT INTO t VALUES (1)",
        "SELECT 1",
        "BEGIN",
        "GRANT SELECT ON t TO bob",
        "CREATE ROLE bob",
        "COPY t FROM '/etc/passwd'",
        "DO $$ BEGIN END $$",
        "CREATE FUNCTION f() RETURNS int AS $$ select 1 $$ LANGUAGE sql",
        "CREATE PROCEDURE p() LANGUAGE sql AS $$ select 1 $$",
        "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        "CREATE RULE r AS ON INSERT TO t DO NOTHING",
        "CREATE EXTENSION pg_trgm",
        "ALTER SYSTEM SET work_mem = '1GB'",
        "SET search_path = x",
        "CREATE DATABASE x",
        "DROP DATABASE x",
        "CREATE TABLESPACE ts LOCATION '/tmp'",
        "CREATE TABLE pg_catalog.t (a int)",
        "CREATE VIEW v AS SELECT rolname, rolpassword FROM pg_authid",
        "ALTER TABLE t ADD COLUMN n bigint DEFAULT nextval('other.s')",
    ],
    "mysql": [
        "CREATE TABLE t (a int); DROP TABLE u",
        "CREATE TABLE t (a int) /* */; DROP TABLE u",
        "UPDATE t SET a = 1",
        "SELECT 1",
        "START TRANSACTION",
        "GRANT SELECT ON t TO bob",
        "CREATE USER bob",
        "CREATE PROCEDURE p() SELECT 1",
        "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW SET @x = 1",
        "SET autocommit = 0",
        "CREATE DATABASE x",
        "DROP DATABASE x",
        # MariaDB runs the inside of /*! */: this would drop column a behind an ADD COLUMN.
        "ALTER TABLE t ADD COLUMN c int /*!, DROP COLUMN a */",
        "CREATE TABLE mysql.t (a int)",
        "CREATE VIEW v AS SELECT * FROM mysql.user",
    ],
    "sqlite": [
        "CREATE TABLE t (a int); DROP TABLE u",
        "CREATE TABLE t (a int) /* */; DROP TABLE u",
        "DELETE FROM t",
        "SELECT 1",
        "BEGIN",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "PRAGMA writable_schema = 1",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
        "CREATE VIRTUAL TABLE ft USING fts5(body)",
        "CREATE TABLE temp.t (a int)",
    ],
}


@pytest.mark.parametrize("connector", ["postgres", "mysql", "sqlite"])
def test_each_refused_class_is_422_and_audited(client, instances, connector):
    instance = instances[connector]
    for sql in REFUSED[connector]:
        with pytest.raises(CLIValidationError) as info:
            client.execute_ddl(instance["id"], sql, confirm=False)
        assert info.value.status_code == 422, sql
        assert info.value.code == "DDL_NOT_ALLOWED", sql
        assert "DDL not allowed" in info.value.message
    rows = client.connector_instances.audit(instance["id"])
    assert len(rows) == len(REFUSED[connector])
    assert {r["outcome"] for r in rows} == {"refused"}
    assert {r["sql"] for r in rows} == set(REFUSED[connector])
    assert all(r["error"] and r["request_id"] and len(r["sha256"]) == 64 for r in rows)


def test_refused_statement_never_reaches_the_database(client, pg_db):
    instance = client.connector_instances.create(_server_instance("postgres", pg_params(pg_db)))
    table = f"t_{uuid.uuid4().hex[:8]}"
    with pytest.raises(CLIValidationError):
        client.execute_ddl(
            instance["id"],
            f"CREATE TABLE {table} (a int); DROP TABLE nothing",
            confirm=True,
            reason="sneaky",
        )
    assert not pg_has(pg_db, table)


def test_a_mysql_instance_never_reaches_another_database(client, mysql_db):
    """Bound to one database, an instance cannot create, drop or read anything elsewhere."""
    instance = client.connector_instances.create(_server_instance("mysql", mysql_params(mysql_db)))
    table = f"t_{uuid.uuid4().hex[:8]}"
    with scratch_mysql("other_db") as other:
        conn = mysql_connect(other)
        try:
            with conn.cursor() as cur:
                cur.execute("CREATE TABLE victim (a int)")
            for sql in [
                f"CREATE TABLE {other}.{table} (a int)",
                f"DROP TABLE {other}.victim",
                f"CREATE TABLE mysql.{table} (a int)",
                f"CREATE VIEW {table} AS SELECT * FROM mysql.global_priv",
            ]:
                with pytest.raises(CLIValidationError) as info:
                    client.execute_ddl(instance["id"], sql, confirm=True, reason="reach out")
                assert info.value.code == "DDL_NOT_ALLOWED", sql
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT table_schema, table_name FROM information_schema.tables"
                    " WHERE table_schema = %s OR table_name = %s",
                    (other, table),
                )
                assert cur.fetchall() == ((other, "victim"),)
        finally:
            conn.close()
    assert audit_outcomes(client, instance["id"]) == ["refused"] * 4


def test_a_postgres_instance_bound_to_a_schema_stays_in_it(client, pg_db):
    schema = f"app_{uuid.uuid4().hex[:8]}"
    with pg_connect(pg_db) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    instance = client.connector_instances.create(_server_instance("postgres", pg_params(pg_db), schema=schema))
    assert instance["configuration"]["schema"] == schema
    done = client.execute_ddl(instance["id"], "CREATE TABLE orders (id int)", confirm=True, reason="setup")
    assert done["outcome"] == "succeeded", done["error"]
    assert pg_has(pg_db, f"{schema}.orders")
    assert not pg_has(pg_db, "public.orders")
    with pytest.raises(CLIValidationError) as info:
        client.execute_ddl(instance["id"], "CREATE TABLE public.orders (id int)", confirm=True, reason="escape")
    assert f"outside the instance's schema '{schema}'" in info.value.message
    assert not pg_has(pg_db, "public.orders")


# -- previews that would fail, reasons, roles -------------------------------------------


@pytest.mark.parametrize("connector", ["postgres", "mysql", "sqlite"])
def test_failing_preview_reports_the_error_and_changes_nothing(client, instances, connector):
    instance = instances[connector]
    table = f"t_{uuid.uuid4().hex[:8]}"
    made = client.execute_ddl(instance["id"], f"CREATE TABLE {table} (a int)", confirm=True, reason="setup")
    assert made["outcome"] == "succeeded", made
    again = client.execute_ddl(instance["id"], f"CREATE TABLE {table} (b int)")
    codes = [f["code"] for f in again["findings"]]
    if connector == "mysql":
        assert again["mode"] == "static" and codes == ["OBJECT_EXISTS"]
    else:
        assert again["outcome"] == "failed" and "already exists" in again["error"]
        assert codes == ["DATABASE_ERROR"]
    # Adding a column to it in preview leaves the table as it was.
    client.execute_ddl(instance["id"], f"ALTER TABLE {table} ADD COLUMN c int")
    drop = client.execute_ddl(instance["id"], f"ALTER TABLE {table} DROP COLUMN c", confirm=True, reason="check")
    assert drop["outcome"] == "failed", "column c must not exist after a preview"
    assert audit_outcomes(client, instance["id"]) == [
        "succeeded",
        "previewed" if connector == "mysql" else "failed",
        "previewed",
        "failed",
    ]


def test_confirm_without_reason_is_422(client, instances):
    for instance in instances.values():
        for reason in (None, "", "   "):
            with pytest.raises(CLIValidationError) as info:
                client.execute_ddl(instance["id"], "CREATE TABLE r (a int)", True, reason)
            assert info.value.status_code == 422
            assert info.value.body["details"][0]["field"] == "reason"
        assert audit_outcomes(client, instance["id"]) == ["rejected"] * 3


def test_viewer_gets_403_and_is_audited(make_client, instances):
    viewer = make_client("viewer")
    admin = make_client("admin")
    instance = instances["sqlite"]
    with pytest.raises(CLIPermissionError):
        viewer.execute_ddl(instance["id"], "CREATE TABLE v (a int)")
    with pytest.raises(CLIPermissionError):
        viewer.connector_instances.create({"connector": "sqlite", "instance_name": "nope"})
    with pytest.raises(CLIPermissionError):
        viewer.connector_instances.audit(instance["id"])
    [row] = admin.connector_instances.audit(instance["id"])
    assert (row["outcome"], row["role"]) == ("denied", "viewer")


def test_high_risk_execution_is_admin_only(make_client, client, instances):
    builder = make_client("builder")
    instance = instances["postgres"]
    table = f"t_{uuid.uuid4().hex[:8]}"
    builder.execute_ddl(instance["id"], f"CREATE TABLE {table} (a int)", True, "builder setup")
    preview = builder.execute_ddl(instance["id"], f"DROP TABLE {table}")
    assert preview["risk"] == "high" and "DROP_TABLE" in [f["code"] for f in preview["findings"]]
    with pytest.raises(CLIPermissionError) as info:
        builder.execute_ddl(instance["id"], f"DROP TABLE {table}", confirm=True, reason="cleanup")
    assert "admin" in info.value.message
    with pytest.raises(CLIPermissionError):
        builder.connector_instances.audit(instance["id"])
    done = client.execute_ddl(instance["id"], f"DROP TABLE {table}", confirm=True, reason="cleanup")
    assert done["outcome"] == "succeeded"
    rows = client.connector_instances.audit(instance["id"])
    assert [(r["role"], r["outcome"], r["risk"]) for r in reversed(rows)] == [
        ("builder", "succeeded", "low"),
        ("builder", "previewed", "high"),
        ("builder", "denied", "high"),
        ("admin", "succeeded", "high"),
    ]
    assert rows[0]["reason"] == "cleanup" and rows[0]["mode"] == "executed"


def test_preview_on_a_locked_table_returns_within_lock_timeout(client, pg_db):
    instance = client.connector_instances.create(_server_instance("postgres", pg_params(pg_db), lock_timeout_ms=300))
    table = f"t_{uuid.uuid4().hex[:8]}"
    with pg_connect(pg_db) as conn:
        conn.execute(f"CREATE TABLE {table} (a int)")
    holder = pg_connect(pg_db)
    holder.autocommit = False
    holder.execute(f"LOCK TABLE {table} IN ACCESS SHARE MODE")
    try:
        # The holder lets go only after the preview returns: returning at all, with a
        # LOCK_TIMEOUT finding, proves the instance's lock_timeout bounded the wait.
        preview = returns(client.execute_ddl, instance["id"], f"ALTER TABLE {table} ADD COLUMN b int")
    finally:
        holder.rollback()
        holder.close()
    assert [f["code"] for f in preview["findings"]] == ["LOCK_TIMEOUT"]
    assert preview["outcome"] == "failed"


# -- instances: credentials, tests, sqlite ownership -------------------------------------


def test_credentials_are_encrypted_and_never_returned(client, platform, mysql_db):
    secret = f"pw-{uuid.uuid4().hex}"
    body = _server_instance("mysql", mysql_params(mysql_db))
    body["credentials"] = {"password": secret}
    created = client.connector_instances.create(body)
    tested = client.connector_instances.test(created["id"])
    # root has no password on this machine, so a wrong one must fail the test.
    assert tested["test_status"] == "failed" and "Access denied" in tested["test_message"]
    assert tested["last_tested_at"]
    for shown in (created, tested, client.connector_instances.get(created["id"])):
        assert secret not in str(shown)
        assert "credentials" not in shown and "password" not in shown["configuration"]
        assert shown["has_credentials"] is True
    from sqlalchemy import text

    with platform.session() as session:
        row = (
            session.execute(text("SELECT * FROM connector_instances WHERE id = :id"), {"id": created["id"]})
            .mappings()
            .one()
        )
    assert secret not in " ".join(str(v) for v in row.values())
    assert row["credentials_sealed"].startswith("gAAAA")  # a Fernet token
    assert secret not in platform.output()


def test_test_records_success(client, pg_db):
    created = client.connector_instances.create(_server_instance("postgres", pg_params(pg_db)))
    assert created["test_status"] is None
    tested = client.connector_instances.test(created["id"])
    assert tested["test_status"] == "success" and "PostgreSQL" in tested["test_message"]
    assert client.connector_instances.get(created["id"])["test_status"] == "success"


@pytest.mark.parametrize(
    "configuration",
    [{"path": "/etc/passwd"}, {"database": "/tmp/elsewhere.db"}, {"host": "x"}],
)
def test_sqlite_instance_cannot_point_at_a_path(client, configuration):
    with pytest.raises(CLIValidationError):
        client.connector_instances.create(
            {"connector": "sqlite", "instance_name": "evil", "configuration": configuration}
        )


def test_list_get_delete(client, platform, make_client):
    made = client.connector_instances.create({"connector": "sqlite", "instance_name": "gone"})
    path = platform.data_dir / "connectors" / f"{made['id']}.db"
    assert path.exists()
    client.execute_ddl(made["id"], "CREATE TABLE a (x int)")
    assert made["id"] in [i["id"] for i in make_client("viewer").connector_instances.list()]
    with pytest.raises(CLIPermissionError):
        make_client("viewer").connector_instances.delete(made["id"])
    client.connector_instances.delete(made["id"])
    assert not path.exists()
    assert made["id"] not in [i["id"] for i in client.connector_instances.list()]
    from flow_sdk.cli_client import CLINotFoundError

    with pytest.raises(CLINotFoundError):
        client.connector_instances.get(made["id"])
    from sqlalchemy import text

    with platform.session() as session:
        kept = session.execute(
            text("SELECT COUNT(*) FROM ddl_audit WHERE instance_id = :id"), {"id": made["id"]}
        ).scalar_one()
    assert kept == 1


def test_duplicate_name_is_409(client):
    from flow_sdk.cli_client import CLIConflictError

    client.connector_instances.create({"connector": "sqlite", "instance_name": "dup"})
    with pytest.raises(CLIConflictError):
        client.connector_instances.create({"connector": "sqlite", "instance_name": "dup"})


def test_openapi_documents_the_routes(platform):
    paths = platform.get("/openapi.json").json()["paths"]
    base = "/api/v1/orgs/{org_id}/workspaces/{workspace_id}/connector-instances"
    for suffix in ("", "/{instance_id}", "/{instance_id}/test", "/{instance_id}/ddl", "/{instance_id}/audit"):
        assert base + suffix in paths


def test_credentials_sealed_under_another_secret_are_a_clear_409(client, platform, pg_db):
    from sqlalchemy import text

    from flow_platform.domain.credentials import seal
    from flow_sdk.cli_client import CLIConflictError

    instance = client.connector_instances.create(_server_instance("postgres", pg_params(pg_db)))
    foreign = seal(b"\x01" * 32, {"password": "x"})
    with platform.session() as session:
        session.execute(
            text("UPDATE connector_instances SET credentials_sealed = :s WHERE id = :id"),
            {"s": foreign, "id": instance["id"]},
        )
        session.commit()
    with pytest.raises(CLIConflictError) as info:
        client.execute_ddl(instance["id"], "CREATE TABLE never (a int)")
    assert info.value.code == "CREDENTIALS_UNREADABLE"
    assert audit_outcomes(client, instance["id"]) == ["failed"]
