"""Which names a statement may reach: only its instance's own database or schema.

An instance is bound to one MySQL database, one PostgreSQL schema (in one database)
or one SQLite file (``main``). A qualifier that names anything else — another
database, a system schema (``mysql``, ``information_schema``, ``pg_catalog``, ...),
an attached SQLite database — is refused before a connection is opened. Unqualified
names stay inside: MySQL resolves them in the connection's database, the PostgreSQL
executor pins ``search_path`` to the instance's schema, and SQLite has only ``main``.

Credential catalogs are refused by name as well, because PostgreSQL resolves an
unqualified ``pg_authid`` in ``pg_catalog`` whatever the search path says.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .policy import Dialect

# Catalogs that hold passwords, password hashes, credentials of foreign servers, or
# other sessions' statements (which may carry a password). A view over one of them
# would hand their content to whoever may read the view, with its owner's rights.
PG_CREDENTIAL_CATALOGS = frozenset(
    {
        "pg_authid",
        "pg_shadow",
        "pg_user_mapping",
        "pg_user_mappings",
        "pg_hba_file_rules",
        "pg_ident_file_mappings",
        "pg_stat_activity",
        "pg_stat_statements",
    }
)
MYSQL_CREDENTIAL_CATALOGS = frozenset({"user", "global_priv", "password_history", "servers"})

# Functions whose first argument names a sequence as a string: 'other.s' reaches
# another schema as surely as other.s does.
_SEQUENCE_FUNCTIONS = frozenset({"nextval", "setval", "currval"})

# PostgreSQL's built-in types and functions live in pg_catalog; qualifying them with it
# (pg_catalog.int4, pg_catalog.nextval) reaches nothing but the built-ins.
_PG_BUILTINS = "pg_catalog"

# The schema a PostgreSQL instance owns when its configuration names none.
DEFAULT_PG_SCHEMA = "public"


@dataclass(frozen=True)
class Scope:
    """The instance's own namespace: MySQL ``database``; PostgreSQL ``database`` and ``schema``.

    Without a database, a MySQL statement may not qualify names at all.
    """

    database: str | None = None
    schema: str | None = None

    def own(self, dialect: Dialect) -> str | None:
        """The one qualifier that names the instance itself."""
        return {"mysql": self.database, "postgres": self.schema or DEFAULT_PG_SCHEMA, "sqlite": "main"}[dialect]


def scope_refusal(tree: exp.Expression, dialect: Dialect, scope: Scope) -> str | None:
    """Why ``tree`` reaches outside ``scope``, or None when it stays inside."""
    check = _Checker(dialect, scope)
    for node in tree.walk():
        reason = check.node(node) if isinstance(node, exp.Expression) else None
        if reason:
            return reason
    return None


class _Checker:
    def __init__(self, dialect: Dialect, scope: Scope) -> None:
        self.dialect = dialect
        self.scope = scope

    def node(self, node: exp.Expression) -> str | None:
        if isinstance(node, exp.Table):
            name = node.args.get("this")
            return self._credential(node) or self._qualifiers(node) or self._system_lookalike(node, name)
        if isinstance(node, exp.Column):
            return self._qualifiers(node) or self._system_lookalike(node, node.args.get("table"))
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            return self._qualified_function(node)
        if isinstance(node, exp.DataType) and isinstance(node.args.get("kind"), exp.Dot):
            return self._qualified_type(node.args["kind"])
        if isinstance(node, exp.Anonymous) and node.name.lower() in _SEQUENCE_FUNCTIONS:
            return self._sequence_argument(node)
        if isinstance(node, exp.Operator):
            return self._qualified_operator(node)
        return None

    def _credential(self, table: exp.Table) -> str | None:
        name, qualifier = self._fold(table.args.get("this")), self._fold(table.args.get("db"))
        if self.dialect == "postgres" and name in PG_CREDENTIAL_CATALOGS:
            return f"{name} holds credentials or other sessions' statements; reading it is not allowed"
        if self.dialect == "mysql" and qualifier == "mysql" and name in MYSQL_CREDENTIAL_CATALOGS:
            return f"mysql.{name} holds credentials; reading it is not allowed"
        return None

    def _system_lookalike(self, node: exp.Table | exp.Column, name: exp.Expression | None) -> str | None:
        # PostgreSQL looks unqualified names up in pg_catalog before the search path, so
        # "COMMENT ON TABLE pg_class" or "DROP VIEW pg_settings" acts on the system
        # catalog. A query may read the catalogs (those holding credentials are refused
        # above); a name the statement creates or acts on must be qualified instead.
        if self.dialect != "postgres" or name is None or node.args.get("db") is not None:
            return None
        if not str(self._fold(name)).startswith("pg_") or node.find_ancestor(exp.Query) is not None:
            return None
        own = self.scope.own(self.dialect)
        return f"{name.name} may name a system catalog; qualify it as {own}.{name.name} if it is the instance's own"

    def _qualifiers(self, node: exp.Table | exp.Column) -> str | None:
        """A table or column name's database (catalog) and schema (db) parts, if any."""
        db, catalog = node.args.get("db"), node.args.get("catalog")
        shown = node.sql(dialect=self.dialect)
        # Only PostgreSQL has three-part names; there the catalog is the database.
        if catalog is not None and not (self.dialect == "postgres" and self._fold(catalog) == self.scope.database):
            return f"{shown} names another database; an instance reaches only its own"
        if db is not None and self._fold(db) != self._own():
            return f"{shown} is outside {self._own_shown()}; only the instance's own objects may be named"
        return None

    def _qualified_function(self, dot: exp.Dot) -> str | None:
        qualifier = dot.this
        if self.dialect == "postgres" and isinstance(qualifier, exp.Identifier):
            if self._fold(qualifier) == _PG_BUILTINS:
                return None
        return f"schema-qualified function calls are not allowed ({dot.sql(dialect=self.dialect)})"

    def _qualified_operator(self, node: exp.Operator) -> str | None:
        # OPERATOR(schema.+) calls the function behind that schema's operator.
        text = str(node.args.get("operator") or "")
        schema, _, _ = text.rpartition(".")
        if schema.strip().strip('"').lower() == _PG_BUILTINS:
            return None
        return f"OPERATOR({text}) is not allowed; only pg_catalog's operators may be named"

    def _qualified_type(self, kind: exp.Dot) -> str | None:
        qualifier = kind.this
        if isinstance(qualifier, exp.Identifier) and self._fold(qualifier) in {_PG_BUILTINS, self._own()}:
            return None
        return f"type {kind.sql(dialect=self.dialect)} is outside {self._own_shown()}"

    def _sequence_argument(self, call: exp.Anonymous) -> str | None:
        args = call.expressions
        if self.dialect == "mysql" and args and isinstance(args[0], exp.Column):
            # MariaDB names the sequence as an identifier: NEXTVAL(db.s) reads as a column.
            database = args[0].args.get("table")
            if database is not None and self._fold(database) != self._own():
                return f"{call.sql(dialect='mysql')} is outside {self._own_shown()}"
            return None
        literal = args[0] if args else None
        while isinstance(literal, exp.Cast | exp.Paren):
            literal = literal.this
        if not (isinstance(literal, exp.Literal) and literal.is_string):
            return f"{call.name.lower()}() takes the sequence's name as a string literal"
        try:
            # PostgreSQL reads the string as a (possibly quoted, possibly qualified) name.
            named = exp.to_table(literal.this, dialect=self.dialect)
        except (ParseError, TokenError):
            return f"{call.name.lower()}() names a sequence that cannot be parsed: {literal.this!r}"
        return self._qualifiers(named)

    def _fold(self, ident: exp.Expression | None) -> str | None:
        """The name the database sees: PostgreSQL folds unquoted names, SQLite ignores case."""
        if ident is None:
            return None
        text = ident.name
        if self.dialect == "sqlite" or (self.dialect == "postgres" and not ident.args.get("quoted")):
            return text.lower()
        return text

    def _own(self) -> str | None:
        own = self.scope.own(self.dialect)
        return own.lower() if own is not None and self.dialect == "sqlite" else own

    def _own_shown(self) -> str:
        own = self.scope.own(self.dialect)
        if own is None:
            return "the instance's database (none is configured)"
        noun = "schema" if self.dialect == "postgres" else "database"
        return f"the instance's {noun} {own!r}"

