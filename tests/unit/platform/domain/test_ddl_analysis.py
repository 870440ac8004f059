"""What the analysis reports for allowed statements: kind, objects, findings, risk."""

import hashlib

import pytest

from flow_platform.domain.ddl import Scope, analyze


def codes(sql: str, dialect: str = "postgres") -> list[str]:
    return [f.code for f in analyze(sql, dialect).findings]  # type: ignore[arg-type]


def test_spec_statement_is_low_risk_create_table() -> None:
    sql = "CREATE TABLE events (id TEXT, payload JSONB)"
    result = analyze(sql, "postgres")
    assert result.kind == "CREATE TABLE"
    assert result.objects == [{"action": "create", "type": "table", "name": "events"}]
    assert result.findings == []
    assert result.risk == "low"
    assert result.transactional is True
    assert result.sha256 == hashlib.sha256(sql.encode()).hexdigest()
    assert result.to_dict()["risk"] == "low"


@pytest.mark.parametrize(
    ("sql", "dialect", "statement"),
    [
        ("  CREATE TABLE t (a int) ;  ", "sqlite", "CREATE TABLE t (a int)"),
        ("CREATE TABLE t (a int); -- done", "mysql", "CREATE TABLE t (a int)"),
        ("-- c\n; CREATE TABLE t (a int)", "postgres", "CREATE TABLE t (a int)"),
        ("CREATE TABLE t (a int) -- ; DROP TABLE u", "postgres", "CREATE TABLE t (a int)"),
        ("/* a */ CREATE TABLE t (a /* b */ int) ;; ", "postgres", "CREATE TABLE t (a /* b */ int)"),
        ("COMMENT ON TABLE t IS $$x;y$$;", "postgres", "COMMENT ON TABLE t IS $$x;y$$"),
        ("CREATE TABLE `a;b` (x int) COMMENT='c;d';", "mysql", "CREATE TABLE `a;b` (x int) COMMENT='c;d'"),
    ],
)
def test_the_statement_to_run_is_exactly_the_parsed_one(sql: str, dialect: str, statement: str) -> None:
    assert analyze(sql, dialect).sql == statement  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sql", "dialect", "code", "risk"),
    [
        ("DROP TABLE t", "postgres", "DROP_TABLE", "high"),
        ("DROP TABLE t CASCADE", "postgres", "DROP_CASCADE", "high"),
        ("DROP VIEW v", "sqlite", "DROP_VIEW", "high"),
        ("ALTER TABLE t DROP COLUMN b", "postgres", "DROP_COLUMN", "high"),
        ("ALTER TABLE t DROP COLUMN b", "mysql", "DROP_COLUMN", "high"),
        ("ALTER TABLE t RENAME COLUMN a TO b", "sqlite", "RENAME", "high"),
        ("ALTER TABLE t RENAME TO u", "postgres", "RENAME", "high"),
        ("ALTER TABLE t CHANGE COLUMN a b bigint", "mysql", "RENAME", "high"),
        ("CREATE INDEX i ON t (a)", "postgres", "INDEX_WITHOUT_CONCURRENTLY", "medium"),
        ("CREATE UNIQUE INDEX i ON t (a)", "sqlite", "UNIQUE_INDEX", "medium"),
        ("ALTER TABLE t ALTER COLUMN a TYPE bigint", "postgres", "TYPE_CHANGE_REWRITE", "medium"),
        ("ALTER TABLE t MODIFY COLUMN a bigint", "mysql", "TYPE_CHANGE_REWRITE", "medium"),
        ("ALTER TABLE t ALTER COLUMN a SET NOT NULL", "postgres", "SET_NOT_NULL", "medium"),
        ("ALTER TABLE t ADD CONSTRAINT c UNIQUE (a)", "postgres", "ADD_CONSTRAINT", "medium"),
        ("ALTER TABLE t ADD COLUMN p JSONB", "mysql", "JSONB_ON_MYSQL", "medium"),
        ("CREATE TABLE t (p JSONB)", "mysql", "JSONB_ON_MYSQL", "medium"),
        ("CREATE MATERIALIZED VIEW m AS SELECT 1", "postgres", "MATERIALIZED_VIEW", "medium"),
        (
            "ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()",
            "postgres",
            "VOLATILE_DEFAULT",
            "medium",
        ),
        ("DROP INDEX i", "postgres", "DROP_INDEX", "medium"),
        ("ALTER TABLE t SET UNLOGGED", "postgres", "TABLE_REWRITE", "medium"),
        ("ALTER TABLE t SET ACCESS METHOD heap", "postgres", "TABLE_REWRITE", "medium"),
        ("ALTER TABLE t ENGINE=InnoDB", "mysql", "TABLE_REWRITE", "medium"),
    ],
)
def test_findings_and_risk(sql: str, dialect: str, code: str, risk: str) -> None:
    result = analyze(sql, dialect)  # type: ignore[arg-type]
    assert code in [f.code for f in result.findings]
    assert result.risk == risk
    for f in result.findings:
        assert f.message and f.hint


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("CREATE TABLE t (a int)", "mysql"),
        ("CREATE INDEX i ON t (a)", "mysql"),
        ("CREATE INDEX i ON t (a)", "sqlite"),
        ("ALTER TABLE t ADD COLUMN b int DEFAULT 0 NOT NULL", "postgres"),
        ("ALTER TABLE t ADD COLUMN b text", "sqlite"),
        ("COMMENT ON COLUMN t.a IS 'x'", "postgres"),
        ("CREATE VIEW v AS SELECT a FROM t", "postgres"),
        ("ALTER TABLE t SET (fillfactor = 70)", "postgres"),
    ],
)
def test_additive_statements_are_low_risk(sql: str, dialect: str) -> None:
    result = analyze(sql, dialect)  # type: ignore[arg-type]
    assert result.risk == "low", [f.code for f in result.findings]


def test_not_null_without_default_is_left_to_the_executor() -> None:
    result = analyze("ALTER TABLE app.t ADD COLUMN b int NOT NULL", "postgres", Scope(schema="app"))
    assert "NOT_NULL_WITHOUT_DEFAULT" not in codes("ALTER TABLE t ADD COLUMN b int NOT NULL")
    [check] = result.row_checks
    assert check.code == "NOT_NULL_WITHOUT_DEFAULT"
    assert (check.table.schema, check.table.name) == ("app", "t")
    assert check.subject == "app.t.b"


def test_concurrently_is_not_transactional_on_postgres() -> None:
    result = analyze("CREATE INDEX CONCURRENTLY i ON t (a)", "postgres")
    assert result.transactional is False
    assert "INDEX_WITHOUT_CONCURRENTLY" not in [f.code for f in result.findings]
    assert "NON_TRANSACTIONAL" in [f.code for f in result.findings]
    assert analyze("DROP INDEX CONCURRENTLY i", "postgres").transactional is False


def test_mysql_ddl_is_never_transactional() -> None:
    assert analyze("CREATE TABLE t (a int)", "mysql").transactional is False
    assert analyze("CREATE TABLE t (a int)", "sqlite").transactional is True


def test_objects_of_a_multi_action_alter() -> None:
    sql = "ALTER TABLE s.t ADD COLUMN b int, DROP COLUMN c, ALTER COLUMN d TYPE bigint"
    result = analyze(sql, "postgres", Scope(schema="s"))
    assert result.kind == "ALTER TABLE"
    assert result.objects == [
        {"action": "alter", "type": "table", "name": "s.t"},
        {"action": "create", "type": "column", "name": "s.t.b"},
        {"action": "drop", "type": "column", "name": "s.t.c"},
        {"action": "alter", "type": "column", "name": "s.t.d"},
    ]
    assert result.risk == "high"


def test_drop_of_several_tables_lists_each() -> None:
    result = analyze("DROP TABLE IF EXISTS a, b", "postgres")
    assert [o["name"] for o in result.objects] == ["a", "b"]
    assert result.tolerant is True
    assert codes("DROP TABLE IF EXISTS a, b").count("DROP_TABLE") == 2


def test_comment_objects() -> None:
    result = analyze("COMMENT ON COLUMN t.a IS 'the a'", "postgres")
    assert result.kind == "COMMENT ON COLUMN"
    assert result.objects == [{"action": "comment", "type": "column", "name": "t.a"}]
