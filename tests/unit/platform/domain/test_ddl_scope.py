"""A statement may name only its instance's own database/schema, and no credential catalog."""

import pytest
import sqlglot
from sqlglot import exp

from flow_platform.domain.ddl import DDLNotAllowed, Scope, analyze

MY = Scope(database="app_db")
PG = Scope(database="app", schema="public")
PG_APP = Scope(database="app", schema="app_schema")
LITE = Scope()

# (dialect, scope, statement, words expected in the reason)
OUTSIDE = [
    ("mysql", MY, "CREATE TABLE other_db.t (a int)", "other_db.t is outside the instance's database 'app_db'"),
    ("mysql", MY, "DROP TABLE other_db.victim", "other_db.victim is outside"),
    ("mysql", MY, "DROP TABLE IF EXISTS mine, other_db.victim", "other_db.victim is outside"),
    ("mysql", MY, "CREATE TABLE mysql.t (a int)", "mysql.t is outside"),
    ("mysql", MY, "CREATE TABLE `other_db`.`t` (a int)", "is outside"),
    # MySQL database names are case-sensitive on Linux: APP_DB is another database.
    ("mysql", MY, "CREATE TABLE APP_DB.t (a int)", "APP_DB.t is outside"),
    ("mysql", MY, "CREATE VIEW v AS SELECT * FROM information_schema.processlist", "information_schema"),
    ("mysql", MY, "CREATE VIEW v AS SELECT * FROM performance_schema.threads", "performance_schema"),
    ("mysql", MY, "CREATE VIEW v AS SELECT * FROM sys.session", "sys.session"),
    ("mysql", MY, "CREATE VIEW v AS SELECT other_db.u.a FROM u", "other_db.u.a is outside"),
    ("mysql", MY, "CREATE TABLE t (a int, FOREIGN KEY (a) REFERENCES other_db.p (id))", "other_db.p"),
    ("mysql", MY, "CREATE TABLE t (a int REFERENCES other_db.p (id))", "other_db.p"),
    ("mysql", MY, "ALTER TABLE t RENAME TO other_db.t", "other_db.t is outside"),
    ("mysql", MY, "CREATE TABLE t LIKE other_db.t", "other_db.t is outside"),
    ("mysql", MY, "CREATE INDEX i ON other_db.t (a)", "other_db.t"),
    ("mysql", MY, "CREATE TABLE t (a int DEFAULT NEXTVAL(other_db.s))", "NEXTVAL(other_db.s) is outside"),
    ("mysql", MY, "DROP VIEW other_db.v", "other_db.v"),
    ("mysql", MY, "DROP INDEX i ON other_db.t", "other_db.t"),
    ("mysql", MY, "CREATE VIEW v AS SELECT * FROM t WHERE a IN (TABLE other_db.x)", "other_db.x"),
    # Without a configured database no qualifier is the instance's own.
    ("mysql", Scope(), "CREATE TABLE app_db.t (a int)", "none is configured"),
    ("postgres", PG, "CREATE TABLE other.t (a int)", "other.t is outside the instance's schema 'public'"),
    ("postgres", PG, "DROP TABLE other.victim", "other.victim"),
    ("postgres", PG, "CREATE TABLE pg_catalog.t (a int)", "pg_catalog.t"),
    ("postgres", PG, "CREATE TABLE pg_temp.t (a int)", "pg_temp.t"),
    ("postgres", PG, 'CREATE TABLE "Public".t (a int)', '"Public".t'),
    ("postgres", PG, "CREATE VIEW v AS SELECT * FROM information_schema.tables", "information_schema.tables"),
    ("postgres", PG, "CREATE VIEW v AS SELECT * FROM pg_catalog.pg_class", "pg_catalog.pg_class"),
    ("postgres", PG, "CREATE TABLE other_db.public.t (a int)", "names another database"),
    ("postgres", PG, "COMMENT ON COLUMN other.t.c IS 'x'", "other.t.c"),
    ("postgres", PG, "COMMENT ON TABLE other.t IS 'x'", "other.t"),
    ("postgres", PG, "CREATE SEQUENCE other.s", "other.s"),
    ("postgres", PG, "CREATE SEQUENCE s OWNED BY other.t.c", "other.t.c"),
    ("postgres", PG, "CREATE TYPE other.mood AS ENUM ('a')", "other.mood"),
    ("postgres", PG, "CREATE TABLE t (a other.mood)", "type other.mood"),
    ("postgres", PG, "CREATE TABLE t PARTITION OF other.p FOR VALUES IN (1)", "other.p"),
    ("postgres", PG, "CREATE TABLE t (a int) INHERITS (other.p)", "other.p"),
    ("postgres", PG, "CREATE TABLE t (LIKE other.p)", "other.p"),
    ("postgres", PG, "ALTER TABLE t ADD COLUMN n int DEFAULT nextval('other.s')", "other.s is outside"),
    ("postgres", PG, "ALTER TABLE t ADD COLUMN n int DEFAULT nextval('\"Other\".s'::regclass)", "is outside"),
    ("postgres", PG, "ALTER TABLE t ADD COLUMN n int DEFAULT nextval(name_of_it)", "string literal"),
    ("postgres", PG, "ALTER TABLE t ADD COLUMN n int DEFAULT other.nextval('s')", "schema-qualified function"),
    ("postgres", PG, "CREATE VIEW v AS SELECT other.gen_random_uuid() FROM t", "schema-qualified function"),
    ("postgres", PG, "CREATE VIEW v AS SELECT 1 OPERATOR(other.+) 2", "OPERATOR(other.+)"),
    ("postgres", PG, "CREATE VIEW v AS SELECT 1 OPERATOR(+) 2", "OPERATOR(+)"),
    ("postgres", PG, "CREATE INDEX i ON t USING gin (a other.opclass)", "other.opclass"),
    ("postgres", PG, "CREATE VIEW v AS SELECT a::other.mood FROM t", "type other.mood"),
    ("postgres", PG, "ALTER TABLE t ALTER COLUMN a SET DEFAULT nextval('other.s')", "other.s"),
    ("postgres", PG, "DROP INDEX other.i", "other.i"),
    ("postgres", PG, "ALTER VIEW other.v RENAME TO w", "other.v"),
    ("postgres", PG_APP, "CREATE TABLE public.t (a int)", "schema 'app_schema'"),
    # Unqualified, these resolve in pg_catalog first.
    ("postgres", PG, "COMMENT ON TABLE pg_class IS 'x'", "pg_class may name a system catalog"),
    ("postgres", PG, "COMMENT ON COLUMN pg_class.relname IS 'x'", "pg_class may name a system catalog"),
    ("postgres", PG, "DROP VIEW pg_settings", "pg_settings may name a system catalog"),
    ("postgres", PG, "ALTER TABLE pg_class ADD COLUMN x int", "qualify it as public.pg_class"),
    ("postgres", PG, "CREATE INDEX i ON pg_class (relname)", "pg_class may name"),
    ("postgres", PG, "CREATE TABLE t (a oid REFERENCES pg_class (oid))", "pg_class may name"),
    ("sqlite", LITE, "CREATE TABLE temp.t (a int)", "temp.t is outside the instance's database 'main'"),
    ("sqlite", LITE, "CREATE TABLE aux.t (a int)", "aux.t"),
    ("sqlite", LITE, "DROP TABLE aux.t", "aux.t"),
    ("sqlite", LITE, "ALTER TABLE aux.t ADD COLUMN b int", "aux.t"),
    ("sqlite", LITE, "CREATE VIEW v AS SELECT * FROM aux.t", "aux.t"),
    ("sqlite", LITE, "CREATE INDEX i ON t (a) WHERE a IN (SELECT a FROM aux.u)", "aux.u"),
]


@pytest.mark.parametrize(("dialect", "scope", "sql", "reason"), OUTSIDE)
def test_names_outside_the_instance_are_refused(dialect: str, scope: Scope, sql: str, reason: str) -> None:
    with pytest.raises(DDLNotAllowed) as caught:
        analyze(sql, dialect, scope)  # type: ignore[arg-type]
    assert reason.lower() in caught.value.reason.lower()


INSIDE = [
    ("mysql", MY, "CREATE TABLE app_db.t (a int)"),
    ("mysql", MY, "CREATE TABLE `app_db`.t (a int)"),
    ("mysql", MY, "CREATE TABLE t (a int DEFAULT NEXTVAL(app_db.s))"),
    # An instance's own table called user is not mysql.user.
    ("mysql", MY, "CREATE VIEW v AS SELECT name FROM user"),
    ("postgres", PG, "CREATE TABLE public.t (a int)"),
    ("postgres", PG, "CREATE TABLE PUBLIC.t (a int)"),
    ("postgres", PG, "CREATE TABLE app.public.t (a int)"),
    ("postgres", PG, "CREATE TABLE t (a pg_catalog.int4, b public.mood)"),
    ("postgres", PG, "ALTER TABLE t ADD COLUMN n int DEFAULT pg_catalog.nextval('public.s'::regclass)"),
    ("postgres", PG, "CREATE VIEW v AS SELECT relname FROM pg_class"),
    ("postgres", PG, "CREATE VIEW v AS SELECT 1 OPERATOR(pg_catalog.+) 2"),
    ("postgres", PG, "CREATE MATERIALIZED VIEW v AS WITH x AS (SELECT relname FROM pg_class) SELECT * FROM x"),
    ("postgres", PG, "ALTER TABLE public.pg_things ADD COLUMN x int"),
    ("postgres", PG_APP, "CREATE TABLE app_schema.t (a int)"),
    ("postgres", PG_APP, "COMMENT ON COLUMN app_schema.t.c IS 'x'"),
    ("sqlite", LITE, "CREATE TABLE main.t (a int)"),
    ("sqlite", LITE, "CREATE TABLE MAIN.t (a int)"),
    ("sqlite", LITE, "CREATE TEMP TABLE t (a int)"),
]


@pytest.mark.parametrize(("dialect", "scope", "sql"), INSIDE)
def test_the_instance_own_qualifier_is_allowed(dialect: str, scope: Scope, sql: str) -> None:
    assert analyze(sql, dialect, scope).kind  # type: ignore[arg-type]


# Every table reference counts: FROM, joins, subqueries, CTEs, EXISTS, TABLE, ONLY.
CREDENTIAL_VIEWS = [
    ("postgres", "CREATE VIEW v AS SELECT rolname, rolpassword FROM pg_authid", "pg_authid"),
    ("postgres", "CREATE VIEW v AS SELECT * FROM pg_catalog.pg_authid", "pg_authid"),
    ("postgres", 'CREATE VIEW v AS SELECT * FROM "pg_shadow"', "pg_shadow"),
    ("postgres", "CREATE VIEW v AS TABLE pg_shadow", "pg_shadow"),
    ("postgres", "CREATE VIEW v AS SELECT * FROM ONLY pg_authid", "pg_authid"),
    ("postgres", "CREATE MATERIALIZED VIEW v AS SELECT * FROM pg_user_mappings", "pg_user_mappings"),
    ("postgres", "CREATE VIEW v AS SELECT (SELECT passwd FROM pg_shadow LIMIT 1) AS p", "pg_shadow"),
    ("postgres", "CREATE VIEW v AS WITH x AS (SELECT * FROM pg_authid) SELECT * FROM x", "pg_authid"),
    ("postgres", "CREATE VIEW v AS SELECT t.a FROM t JOIN pg_user_mapping m ON true", "pg_user_mapping"),
    ("postgres", "CREATE VIEW v AS SELECT a FROM t WHERE EXISTS (SELECT 1 FROM pg_authid)", "pg_authid"),
    ("postgres", "CREATE VIEW v AS SELECT a FROM t UNION SELECT rolname FROM pg_authid", "pg_authid"),
    ("postgres", "CREATE VIEW v AS SELECT query FROM pg_stat_activity", "pg_stat_activity"),
    ("mysql", "CREATE VIEW v AS SELECT * FROM mysql.user", "mysql.user holds credentials"),
    ("mysql", "CREATE VIEW v AS SELECT * FROM mysql.global_priv", "mysql.global_priv"),
    ("mysql", "CREATE VIEW v AS SELECT a FROM t JOIN (SELECT * FROM mysql.user) u ON 1 = 1", "mysql.user"),
    ("mysql", "CREATE VIEW v AS SELECT a FROM t WHERE a IN (SELECT Password FROM mysql.user)", "mysql.user"),
    ("mysql", "CREATE VIEW v AS WITH x AS (SELECT * FROM mysql.servers) SELECT * FROM x", "mysql.servers"),
]


@pytest.mark.parametrize(("dialect", "sql", "reason"), CREDENTIAL_VIEWS)
def test_views_over_credential_catalogs_are_refused(dialect: str, sql: str, reason: str) -> None:
    with pytest.raises(DDLNotAllowed) as caught:
        analyze(sql, dialect, MY if dialect == "mysql" else PG)  # type: ignore[arg-type]
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE VIRTUAL TABLE ft USING fts5(a, b)",
        "CREATE VIRTUAL TABLE IF NOT EXISTS main.ft USING fts5(a)",
        "CREATE VIRTUAL TABLE r USING rtree(id, x0, x1)",
    ],
)
def test_sqlite_virtual_tables_are_refused(sql: str) -> None:
    # sqlglot reads these as CREATE TABLE with a VirtualProperty: the kind alone is TABLE.
    tree = sqlglot.parse_one(sql, read="sqlite")
    assert tree.args["kind"] == "TABLE"
    with pytest.raises(DDLNotAllowed, match="virtual tables"):
        analyze(sql, "sqlite")


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [("sqlite", "CREATE INDEX aux.i ON t (a)"), ("postgres", "CREATE INDEX other.i ON t (a)")],
)
def test_a_qualified_index_name_is_refused(dialect: str, sql: str) -> None:
    with pytest.raises(DDLNotAllowed, match="qualified index name"):
        analyze(sql, dialect)  # type: ignore[arg-type]


def test_default_scope_is_the_narrowest() -> None:
    with pytest.raises(DDLNotAllowed, match="none is configured"):
        analyze("CREATE TABLE app_db.t (a int)", "mysql")
    assert analyze("CREATE TABLE public.t (a int)", "postgres").kind == "CREATE TABLE"
    with pytest.raises(DDLNotAllowed, match="'public'"):
        analyze("CREATE TABLE app_schema.t (a int)", "postgres")


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE t ADD COLUMN n bigint DEFAULT nextval('s')",
        "ALTER TABLE t ALTER COLUMN c TYPE bigint USING nextval('s')",
        "CREATE MATERIALIZED VIEW mv AS SELECT nextval('s') AS n",
        "CREATE TABLE t (id bigint DEFAULT NEXTVAL('s'::regclass))",
    ],
)
def test_a_sequence_call_is_a_side_effect_that_keeps_the_preview_static(sql: str) -> None:
    result = analyze(sql, "postgres")
    assert result.side_effects == ["nextval"]
    assert "STATIC_PREVIEW" in [f.code for f in result.findings]
    assert result.risk in {"low", "medium"}


def test_statements_without_sequence_calls_have_no_side_effects() -> None:
    result = analyze("ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()", "postgres")
    assert result.side_effects == []
    assert "STATIC_PREVIEW" not in [f.code for f in result.findings]


# Functions whose effect a rollback would not undo, or that reach outside the statement.
# Each must stay unknown to sqlglot (an Anonymous call), so that the allow-list refuses
# it or, for nextval, the preview stays static; a sqlglot upgrade that learns one of
# them would otherwise slip it past both.
_LASTING_EFFECTS = [
    "nextval",
    "setval",
    "currval",
    "lastval",
    "pg_advisory_lock",
    "pg_advisory_xact_lock",
    "set_config",
    "pg_notify",
    "dblink_exec",
    "lo_import",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_stat_reset",
    "pg_switch_wal",
    "pg_logical_emit_message",
    "pg_read_file",
    "pg_sleep",
    "txid_current",
]


@pytest.mark.parametrize("name", _LASTING_EFFECTS)
def test_functions_with_lasting_effects_are_refused_or_flagged(name: str) -> None:
    sql = f"ALTER TABLE t ADD COLUMN n bigint DEFAULT {name}('s')"
    call = sqlglot.parse_one(sql, read="postgres").find(exp.Func)
    assert isinstance(call, exp.Anonymous), type(call)
    if name == "nextval":
        assert analyze(sql, "postgres").side_effects == ["nextval"]
    else:
        with pytest.raises(DDLNotAllowed, match=name):
            analyze(sql, "postgres")
