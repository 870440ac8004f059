"""What execute_ddl accepts: exactly one CREATE / ALTER / DROP / COMMENT ON statement.

The rules are an allow-list over sqlglot's syntax tree. Anything the parser could
not classify (it falls back to an opaque ``Command`` node) is refused, because we
cannot tell what it does. Schemas and databases are refused too: a connector
instance is scoped to one database, and on MySQL ``SCHEMA`` *is* ``DATABASE``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

Dialect = Literal["postgres", "mysql", "sqlite"]
DIALECTS: tuple[Dialect, ...] = ("postgres", "mysql", "sqlite")

# Object kinds a statement may create, alter or drop.
_CREATE_KINDS = {"TABLE", "INDEX", "VIEW", "SEQUENCE", "TYPE"}
_ALTER_KINDS = {"TABLE", "INDEX", "VIEW"}
_DROP_KINDS = {"TABLE", "INDEX", "VIEW", "SEQUENCE", "TYPE"}
_COMMENT_KINDS = {"TABLE", "COLUMN", "VIEW", "INDEX", "SEQUENCE", "TYPE"}

# Functions sqlglot does not know (``Anonymous``) that are still fine in a default
# or an index expression. Anything else could reach outside the statement
# (pg_read_file, dblink_exec, pg_sleep, ...), so it is refused.
SAFE_FUNCTIONS = {
    "gen_random_uuid",
    "uuid_generate_v4",
    "nextval",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timezone",
    "unixepoch",
    "datetime",
    "julianday",
    "strftime",
    "uuid",
    "uuid_short",
    "curdate",
    "curtime",
    "utc_timestamp",
}

# Of SAFE_FUNCTIONS, those whose effect outlives a rollback: nextval() advances its
# sequence even when the transaction that called it rolls back.
SIDE_EFFECT_FUNCTIONS = {"nextval"}

_ENGINES = {"INNODB", "MYISAM", "ARIA", "MEMORY"}
_REFUSED_TABLE_OPTIONS = {"CONNECTION", "FILE_NAME", "TABLE_TYPE", "DATA_DIRECTORY", "INDEX_DIRECTORY"}

_REFUSED_ROOTS: dict[type[exp.Expression], str] = {
    exp.Select: "queries (SELECT) are not DDL",
    exp.Union: "queries (SELECT) are not DDL",
    exp.Insert: "data changes (DML) are not DDL",
    exp.Update: "data changes (DML) are not DDL",
    exp.Delete: "data changes (DML) are not DDL",
    exp.Merge: "data changes (DML) are not DDL",
    exp.TruncateTable: "TRUNCATE deletes data; it is not allowed",
    exp.Transaction: "transaction control is managed by the platform",
    exp.Commit: "transaction control is managed by the platform",
    exp.Rollback: "transaction control is managed by the platform",
    exp.Grant: "GRANT/REVOKE and role changes are not allowed",
    exp.Revoke: "GRANT/REVOKE and role changes are not allowed",
    exp.Copy: "COPY is not allowed",
    exp.Set: "SET changes session or server settings; it is not allowed",
    exp.Attach: "ATTACH/DETACH is not allowed",
    exp.Detach: "ATTACH/DETACH is not allowed",
    exp.Pragma: "PRAGMA is not allowed",
    exp.Use: "USE switches databases; it is not allowed",
}

_REFUSED_KINDS = {
    "DATABASE": "CREATE/DROP DATABASE is not allowed",
    "SCHEMA": "CREATE/DROP SCHEMA is not allowed (an instance is scoped to one database)",
    "TABLESPACE": "TABLESPACE statements are not allowed",
    "FUNCTION": "functions are not allowed",
    "PROCEDURE": "procedures are not allowed",
    "TRIGGER": "triggers are not allowed",
    "RULE": "rules are not allowed",
    "EXTENSION": "extensions are not allowed",
    "ROLE": "GRANT/REVOKE and role changes are not allowed",
    "USER": "GRANT/REVOKE and role changes are not allowed",
}

# Keywords of statements sqlglot only knows as an opaque Command, for a clearer reason.
_COMMAND_REASONS = {
    "DO": "DO blocks are not allowed",
    "CALL": "procedures are not allowed",
    "ALTER SYSTEM": "ALTER SYSTEM is not allowed",
    "RESET": "SET/RESET is not allowed",
    "LOCK": "explicit locking is not allowed",
    "VACUUM": "maintenance commands are not DDL",
}


_EXECUTABLE_COMMENT = re.compile(r"/\*\s*M?!")


class DDLNotAllowed(Exception):
    """The statement is refused before touching the database."""

    def __init__(self, reason: str, *, sha256: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sha256 = sha256


def statement_sha256(sql: str) -> str:
    return hashlib.sha256(sql.strip().encode()).hexdigest()


def parse_single(sql: str, dialect: Dialect) -> tuple[exp.Expression, str]:
    """Parse ``sql``; return its only statement and that statement's own text, or refuse.

    The text spans the statement's own tokens, so what runs is exactly what was
    parsed, without a comment after a semicolon that a driver could take for a
    second statement.
    """
    digest = statement_sha256(sql)
    if dialect not in DIALECTS:
        raise DDLNotAllowed(f"unknown dialect {dialect!r}", sha256=digest)
    if not sql.strip():
        raise DDLNotAllowed("the statement is empty", sha256=digest)
    if dialect == "mysql" and _EXECUTABLE_COMMENT.search(sql):
        # MySQL and MariaDB run the inside of /*! ... */ as SQL, which the parser takes
        # for a comment: "ADD COLUMN c int /*!, DROP COLUMN a */" would drop a column.
        raise DDLNotAllowed("executable comments (/*! ... */, /*M! ... */) are not allowed", sha256=digest)
    try:
        parsed = sqlglot.parse(sql, read=dialect)
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except (ParseError, TokenError) as err:
        first = str(err).splitlines()[0]
        raise DDLNotAllowed(f"cannot parse the statement as {dialect}: {first}", sha256=digest) from None
    # A Semicolon node is what is left of "; -- a comment": no statement at all.
    trees = [t for t in parsed if isinstance(t, exp.Expression) and not isinstance(t, exp.Semicolon)]
    if len(trees) != 1:
        raise DDLNotAllowed(f"exactly one statement is allowed, found {len(trees)}", sha256=digest)
    segments: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            segments.append([])
        else:
            segments[-1].append(token)
    real = [seg for seg in segments if seg]
    if len(real) != 1:  # the parser and the tokenizer must agree, or we refuse
        raise DDLNotAllowed(f"exactly one statement is allowed, found {len(real)}", sha256=digest)
    # From its first token to its last (inclusive): comments around it are dropped.
    return trees[0], sql[real[0][0].start : real[0][-1].end + 1]


def check_allowed(tree: exp.Expression, dialect: Dialect, *, sha256: str) -> None:
    """Raise DDLNotAllowed unless ``tree`` is an allowed DDL statement."""
    reason = _refusal(tree, dialect)
    if reason:
        raise DDLNotAllowed(reason, sha256=sha256)


def _refusal(tree: exp.Expression, dialect: Dialect) -> str | None:
    if isinstance(tree, exp.Command):
        return _command_reason(tree)
    for node_type, reason in _REFUSED_ROOTS.items():
        if isinstance(tree, node_type):
            return reason
    if not isinstance(tree, exp.Create | exp.Alter | exp.Drop | exp.Comment):
        return f"{type(tree).__name__.upper()} is not an allowed DDL statement"

    kind = str(tree.args.get("kind") or "").upper()
    allowed = {
        exp.Create: _CREATE_KINDS,
        exp.Alter: _ALTER_KINDS,
        exp.Drop: _DROP_KINDS,
        exp.Comment: _COMMENT_KINDS,
    }[type(tree)]
    if kind in _REFUSED_KINDS:
        return _REFUSED_KINDS[kind]
    if kind not in allowed:
        return f"{_verb(tree)} {kind or 'this object'} is not allowed"
    if isinstance(tree, exp.Comment) and dialect != "postgres":
        return f"COMMENT ON is not supported on {dialect}"
    if isinstance(tree, exp.Create) and kind == "TABLE" and tree.expression is not None:
        return "CREATE TABLE ... AS SELECT copies data; create the table, then load it"
    if isinstance(tree.this, exp.Index) and _misread_qualified_index(tree.this):
        return "a qualified index name is not allowed; an index lives with its table"
    if tree.find(exp.VirtualProperty, exp.ModuleProperty) is not None:
        # sqlglot reads CREATE VIRTUAL TABLE as a CREATE TABLE with two properties, so
        # the kind alone let it through; a module's code runs inside the platform.
        return "virtual tables (CREATE VIRTUAL TABLE ... USING module) are not allowed"
    if tree.find(exp.TableSpaceProperty) is not None or any(
        a.args.get("tablespace") for a in tree.find_all(exp.AlterSet)
    ):
        return _REFUSED_KINDS["TABLESPACE"]
    return _table_option_refusal(tree) or _function_refusal(tree)


def _misread_qualified_index(index: exp.Index) -> bool:
    # sqlglot reads "CREATE INDEX other.i ON t (a)" as an index "other" on a table "i"
    # with a call t(a): the tell-tale is that call where the column list should be.
    params = index.args.get("params")
    return params is not None and params.args.get("on") is not None


def _table_option_refusal(tree: exp.Expression) -> str | None:
    # Storage engines and options that make the database server read files or
    # connect elsewhere (FEDERATED, CONNECT, FILE_NAME=..., CONNECTION=...).
    for prop in tree.find_all(exp.EngineProperty):
        engine = prop.name.upper()
        if engine not in _ENGINES:
            return f"storage engine {engine} is not allowed (allowed: {', '.join(sorted(_ENGINES))})"
    for option in tree.find_all(exp.Property):
        if type(option) is exp.Property and option.name.upper() in _REFUSED_TABLE_OPTIONS:
            return f"table option {option.name.upper()} is not allowed"
    return None


def _function_refusal(tree: exp.Expression) -> str | None:
    # Unknown functions are refused everywhere: in defaults, checks, index
    # expressions and view bodies alike. A plain view's body is stored, not run, by
    # CREATE VIEW, but anything that later reads the view runs it (a preview's own
    # catalog checks included, before they learned to skip views), so a view that
    # calls pg_terminate_backend() or dblink_exec() is as dangerous as a default that does.
    for node in tree.walk():
        if isinstance(node, exp.Anonymous) and node.name.lower() not in SAFE_FUNCTIONS:
            return f"calling function {node.name}() is not allowed in DDL"
    return None


def _command_reason(tree: exp.Command) -> str:
    original = f"{tree.this} {tree.expression or ''}".split()
    words = [w.upper() for w in original]
    for kind, reason in _REFUSED_KINDS.items():
        if len(words) > 1 and words[0] in {"CREATE", "DROP", "ALTER"} and kind in words[1:3]:
            return reason
    for prefix, reason in _COMMAND_REASONS.items():
        if " ".join(words).startswith(prefix):
            return reason
    shown = " ".join(original[:3])
    return f"'{shown} ...' is not a statement the DDL policy can classify; refused"


def _verb(tree: exp.Expression) -> str:
    return {exp.Create: "CREATE", exp.Alter: "ALTER", exp.Drop: "DROP"}.get(type(tree), "COMMENT ON")


class _DropCommandFallbackWarning(logging.Filter):
    """sqlglot warns whenever it falls back to a Command; we refuse those with our own reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


# A filter, not a level change around each parse: requests parse in parallel threads.
logging.getLogger("sqlglot").addFilter(_DropCommandFallbackWarning())
