"""The DDL policy refuses everything but one CREATE / ALTER / DROP / COMMENT ON."""

import pytest

from flow_platform.domain.ddl import DDLNotAllowed, analyze

DIALECTS = ["postgres", "mysql", "sqlite"]

# (sql, words expected in the reason) refused on every dialect.
REFUSED_EVERYWHERE = [
    ("CREATE TABLE t (a int); DROP TABLE u", "exactly one statement"),
    ("CREATE TABLE t (a int) /* */; DROP TABLE u", "exactly one statement"),
    ("CREATE TABLE t (a int) -- note\n; DROP TABLE u", "exactly one statement"),
    ("CREATE TABLE t (a int);\nDROP TABLE u;", "exactly one statement"),
    ("", "empty"),
    (" ; ", "exactly one statement"),
    ("INSERT INTO t VALUES (1)", "DML"),
    ("UPDATE t SET a = 1", "DML"),
    ("DELETE FROM t", "DML"),
    ("SELECT 1", "SELECT"),
    ("WITH x AS (SELECT 1) SELECT * FROM x", "SELECT"),
    ("TRUNCATE TABLE t", "TRUNCATE"),
    ("BEGIN", "transaction"),
    ("COMMIT", "transaction"),
    ("ROLLBACK", "transaction"),
    ("GRANT SELECT ON t TO bob", "GRANT/REVOKE"),
    ("REVOKE SELECT ON t FROM bob", "GRANT/REVOKE"),
    ("CREATE ROLE bob", "role"),
    ("CREATE USER bob", "role"),
    ("SET search_path = x", "SET"),
    ("CREATE DATABASE x", "DATABASE"),
    ("DROP DATABASE x", "DATABASE"),
    ("CREATE SCHEMA s", "SCHEMA"),
    ("DROP SCHEMA s", "SCHEMA"),
    ("CREATE TABLE t AS SELECT * FROM u", "AS SELECT"),
    ("CREATE TABLE t (a int DEFAULT pg_sleep(10))", "pg_sleep"),
    # A view's body runs whenever anything reads the view, so it gets the same allow-list.
    ("CREATE VIEW v AS SELECT my_func(a) FROM t", "my_func"),
    ("CREATE OR REPLACE VIEW v AS SELECT a FROM t WHERE pg_sleep(1) IS NULL", "pg_sleep"),
    ("CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", "trigger"),
]

REFUSED_POSTGRES = [
    ("CREATE VIEW v AS SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend"),
    ("COPY t FROM '/etc/passwd'", "COPY"),
    ("DO $$ BEGIN END $$", "DO"),
    ("CREATE FUNCTION f() RETURNS int AS $$ select 1 $$ LANGUAGE sql", "function"),
    ("CREATE PROCEDURE p() LANGUAGE sql AS $$ select 1 $$", "procedure"),
    ("CALL p()", "procedure"),
    ("CREATE RULE r AS ON INSERT TO t DO NOTHING", "rule"),
    ("CREATE EXTENSION pg_trgm", "extension"),
    ("DROP EXTENSION pg_trgm", "extension"),
    ("ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM"),
    ("ALTER ROLE bob SUPERUSER", "role"),
    ("CREATE TABLESPACE ts LOCATION '/tmp'", "TABLESPACE"),
    ("CREATE TABLE t (a int) TABLESPACE ts", "TABLESPACE"),
    ("ALTER TABLE t SET TABLESPACE ts", "TABLESPACE"),
    ("ALTER TABLE t OWNER TO bob", "classify"),
    ("LOCK TABLE t", "lock"),
    ("VACUUM", "maintenance"),
    ("COMMENT ON FUNCTION f() IS 'x'", "not allowed"),
    ("COMMENT ON TABLE t IS $$x$$; DROP TABLE u", "exactly one statement"),
    ("CREATE INDEX i ON t (dblink_exec('x'))", "dblink_exec"),
]

REFUSED_SQLITE = [
    ("ATTACH DATABASE '/tmp/x.db' AS x", "ATTACH"),
    ("DETACH DATABASE x", "ATTACH"),
    ("PRAGMA writable_schema = 1", "PRAGMA"),
    ("VACUUM INTO '/tmp/x.db'", "maintenance"),
    ("COMMENT ON TABLE t IS 'x'", "not supported"),
]

REFUSED_MYSQL = [
    ("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t", "classify"),
    ("LOAD DATA INFILE '/x' INTO TABLE t", "cannot parse"),
    ("ALTER TABLE t ALTER INDEX i INVISIBLE", "ALTER action AlterIndex"),
    ("USE other", "USE"),
    ("COMMENT ON TABLE t IS 'x'", "not supported"),
    ("ALTER TABLE t ADD COLUMN c int /*!, DROP COLUMN a */", "executable comments"),
    ("ALTER TABLE t ADD COLUMN c int /*M!100000 , DROP COLUMN a */", "executable comments"),
    ("CREATE TABLE t (a int) /*! ; DROP TABLE u */", "executable comments"),
    ("CREATE TABLE t (a int) ENGINE=FEDERATED CONNECTION='mysql://u@h/db/t'", "engine FEDERATED"),
    ("CREATE TABLE t (a int) ENGINE=InnoDB CONNECTION='mysql://u@h/db/t'", "CONNECTION"),
    ("CREATE TABLE t (a int) ENGINE=CONNECT TABLE_TYPE=CSV FILE_NAME='/etc/passwd'", "engine CONNECT"),
    ("CREATE TABLE t (a int) DATA DIRECTORY='/tmp'", "classify"),
]

CASES = (
    [(sql, reason, d) for sql, reason in REFUSED_EVERYWHERE for d in DIALECTS]
    + [(sql, reason, "postgres") for sql, reason in REFUSED_POSTGRES]
    + [(sql, reason, "sqlite") for sql, reason in REFUSED_SQLITE]
    + [(sql, reason, "mysql") for sql, reason in REFUSED_MYSQL]
)


@pytest.mark.parametrize(("sql", "reason", "dialect"), CASES)
def test_refused(sql: str, reason: str, dialect: str) -> None:
    with pytest.raises(DDLNotAllowed) as caught:
        analyze(sql, dialect)  # type: ignore[arg-type]
    assert reason.lower() in caught.value.reason.lower()
    assert len(caught.value.sha256) == 64


ALLOWED = [
    ("CREATE TABLE events (id TEXT, payload JSONB)", "postgres"),
    ("CREATE TABLE events (id TEXT, payload JSON)", "mysql"),
    ("CREATE TABLE events (id TEXT, payload JSONB)", "sqlite"),
    ("CREATE TABLE t (a int) -- ; DROP TABLE u", "postgres"),
    ("CREATE TABLE t (a int);", "postgres"),
    ("COMMENT ON TABLE t IS 'a; DROP TABLE u'", "postgres"),
    ("COMMENT ON COLUMN t.a IS 'x'", "postgres"),
    ("CREATE INDEX CONCURRENTLY i ON t (lower(a))", "postgres"),
    ("CREATE VIEW v AS SELECT lower(a), gen_random_uuid() FROM t", "postgres"),
    ("ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()", "postgres"),
    ("ALTER TABLE t MODIFY COLUMN b bigint", "mysql"),
    ("CREATE TABLE t (a int) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='x'", "mysql"),
    ("DROP TABLE IF EXISTS t", "sqlite"),
    ('CREATE TABLE "a;b" (x int)', "postgres"),
]


@pytest.mark.parametrize(("sql", "dialect"), ALLOWED)
def test_allowed(sql: str, dialect: str) -> None:
    result = analyze(sql, dialect)  # type: ignore[arg-type]
    assert result.kind.split()[0] in {"CREATE", "ALTER", "DROP", "COMMENT"}


def test_unknown_dialect_refused() -> None:
    with pytest.raises(DDLNotAllowed, match="dialect"):
        analyze("CREATE TABLE t (a int)", "oracle")  # type: ignore[arg-type]


def test_sqlglot_command_fallback_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(DDLNotAllowed):
        analyze("CREATE EXTENSION pg_trgm", "postgres")
    assert "Falling back" not in caplog.text
