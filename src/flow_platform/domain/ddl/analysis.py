"""Static analysis of one DDL statement: what it touches and how risky it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from .findings import Finding, Risk, finding, overall_risk
from .policy import SIDE_EFFECT_FUNCTIONS, DDLNotAllowed, Dialect, check_allowed, parse_single, statement_sha256
from .scope import Scope, scope_refusal

# Defaults computed per row force PostgreSQL to rewrite the table on ADD COLUMN.
_VOLATILE = (exp.Uuid, exp.Rand)
_VOLATILE_NAMES = {"gen_random_uuid", "uuid_generate_v4", "nextval", "clock_timestamp", "random"}


@dataclass(frozen=True)
class TableRef:
    name: str
    schema: str | None = None

    def display(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class RowCheck:
    """A finding that applies only if ``table`` has rows; executors decide it."""

    code: str
    table: TableRef
    subject: str


@dataclass
class Analysis:
    dialect: Dialect
    sql: str
    kind: str
    objects: list[dict[str, str]]
    findings: list[Finding]
    transactional: bool
    sha256: str
    # For the executors' catalog checks.
    creates: list[tuple[str, TableRef]] = field(default_factory=list)
    requires: list[TableRef] = field(default_factory=list)
    row_checks: list[RowCheck] = field(default_factory=list)
    tolerant: bool = False  # IF EXISTS / IF NOT EXISTS
    # Functions the statement calls whose effect a rollback does not undo; a preview
    # that ran it would change the database, so such a preview stays static.
    side_effects: list[str] = field(default_factory=list)

    @property
    def risk(self) -> Risk:
        return overall_risk(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "objects": self.objects,
            "findings": [f.to_dict() for f in self.findings],
            "risk": self.risk,
            "transactional": self.transactional,
            "sha256": self.sha256,
        }


def analyze(sql: str, dialect: Dialect, scope: Scope | None = None) -> Analysis:
    """Parse and classify ``sql``; raise DDLNotAllowed if the policy refuses it.

    ``scope`` is the instance's own database/schema; names outside it are refused.
    Without one, a MySQL statement may not qualify names, a PostgreSQL one may name
    only ``public`` and a SQLite one only ``main``.
    """
    digest = statement_sha256(sql)
    tree, statement = parse_single(sql, dialect)
    check_allowed(tree, dialect, sha256=digest)
    outside = scope_refusal(tree, dialect, scope or Scope())
    if outside:
        raise DDLNotAllowed(outside, sha256=digest)
    result = Analysis(
        dialect=dialect,
        sql=statement,
        kind="",
        objects=[],
        findings=[],
        transactional=dialect != "mysql",  # MySQL commits implicitly around DDL
        sha256=digest,
        tolerant=bool(tree.args.get("exists")),
        side_effects=sorted(
            {n.name.lower() for n in tree.find_all(exp.Anonymous) if n.name.lower() in SIDE_EFFECT_FUNCTIONS}
        ),
    )
    if isinstance(tree, exp.Create):
        _create(tree, result)
    elif isinstance(tree, exp.Alter):
        _alter(tree, result)
    elif isinstance(tree, exp.Drop):
        _drop(tree, result)
    else:
        assert isinstance(tree, exp.Comment)
        _comment(tree, result)
    if dialect == "mysql" and any(d.this == exp.DataType.Type.JSONB for d in tree.find_all(exp.DataType)):
        result.findings.append(finding("JSONB_ON_MYSQL"))
    if not result.transactional and dialect == "postgres":
        result.findings.append(finding("NON_TRANSACTIONAL"))
    elif result.side_effects and dialect == "postgres":
        calls = ", ".join(f"{name}()" for name in result.side_effects)
        result.findings.append(finding("STATIC_PREVIEW", calls=calls))
    return result


def table_ref(node: exp.Expression) -> TableRef:
    table = node if isinstance(node, exp.Table) else node.find(exp.Table)
    if table is None:
        return TableRef(name=node.name)
    return TableRef(name=table.name, schema=table.db or None)


def _kind(tree: exp.Expression) -> str:
    return str(tree.args.get("kind") or "").upper()


def _create(tree: exp.Create, out: Analysis) -> None:
    kind = _kind(tree)
    materialized = tree.find(exp.MaterializedProperty) is not None
    out.kind = f"CREATE {'MATERIALIZED ' if materialized else ''}{kind}"
    if kind == "INDEX":
        index = tree.this
        table = table_ref(index.args["table"])
        name = index.name or f"(unnamed index on {table.display()})"
        out.objects.append({"action": "create", "type": "index", "name": name})
        out.requires.append(table)
        if tree.args.get("unique"):
            out.kind = "CREATE UNIQUE INDEX"
            out.findings.append(finding("UNIQUE_INDEX", name=table.display()))
        if out.dialect == "postgres":
            if tree.args.get("concurrently"):
                out.transactional = False
            else:
                out.findings.append(finding("INDEX_WITHOUT_CONCURRENTLY", name=table.display()))
        return
    ref = table_ref(tree.this)
    out.objects.append({"action": "create", "type": kind.lower(), "name": ref.display()})
    out.creates.append((kind.lower(), ref))
    if kind == "VIEW":
        if materialized:
            out.findings.append(finding("MATERIALIZED_VIEW", name=ref.display()))
        if tree.args.get("replace"):
            out.findings.append(finding("REPLACE_VIEW", name=ref.display()))


def _alter(tree: exp.Alter, out: Analysis) -> None:
    kind = _kind(tree)
    ref = table_ref(tree.this)
    out.kind = f"ALTER {kind}"
    out.objects.append({"action": "alter", "type": kind.lower(), "name": ref.display()})
    if kind == "TABLE":
        out.requires.append(ref)
    for action in tree.args.get("actions") or []:
        _alter_action(action, kind, ref, out)
    for option in tree.args.get("options") or []:
        if isinstance(option, exp.EngineProperty):  # MySQL: ALTER TABLE t ENGINE=...
            out.findings.append(finding("TABLE_REWRITE", what=f"ENGINE={option.name}", name=ref.display()))


def _alter_action(action: exp.Expression, kind: str, ref: TableRef, out: Analysis) -> None:
    table = ref.display()
    if isinstance(action, exp.ColumnDef):
        column = f"{table}.{action.name}"
        out.objects.append({"action": "create", "type": "column", "name": column})
        constraints = [c.args.get("kind") for c in action.args.get("constraints") or []]
        not_null = any(isinstance(c, exp.NotNullColumnConstraint) for c in constraints)
        defaults = [c for c in constraints if isinstance(c, exp.DefaultColumnConstraint)]
        if not_null and not defaults:
            out.row_checks.append(RowCheck("NOT_NULL_WITHOUT_DEFAULT", ref, column))
        if out.dialect == "postgres" and any(_volatile(d.this) for d in defaults):
            out.findings.append(finding("VOLATILE_DEFAULT", name=column))
    elif isinstance(action, exp.Drop):
        what = _kind(action)
        names = [n.name for n in action.args.get("tables") or []] or [action.name]
        for name in names:
            out.objects.append({"action": "drop", "type": what.lower(), "name": f"{table}.{name}"})
            code = {"COLUMN": "DROP_COLUMN", "INDEX": "DROP_INDEX"}.get(what, "DROP_CONSTRAINT")
            out.findings.append(finding(code, name=f"{table}.{name}"))
    elif isinstance(action, exp.AlterColumn):
        column = f"{table}.{action.name}"
        out.objects.append({"action": "alter", "type": "column", "name": column})
        if action.args.get("dtype") is not None:
            out.findings.append(finding("TYPE_CHANGE_REWRITE", name=column))
        if action.args.get("allow_null") is False:
            out.findings.append(finding("SET_NOT_NULL", name=column))
    elif isinstance(action, exp.ModifyColumn):
        column_def = action.this
        column = f"{table}.{column_def.name}"
        out.objects.append({"action": "alter", "type": "column", "name": column})
        if action.args.get("rename_from") is not None:
            old = f"{table}.{action.args['rename_from'].name}"
            out.findings.append(finding("RENAME", type="column", name=old))
        out.findings.append(finding("TYPE_CHANGE_REWRITE", name=column))
    elif isinstance(action, exp.RenameColumn):
        column = f"{table}.{action.this.name}"
        out.objects.append({"action": "alter", "type": "column", "name": column})
        out.findings.append(finding("RENAME", type="column", name=column))
    elif isinstance(action, exp.AlterRename):
        new = table_ref(action.this).display()
        out.objects.append({"action": "create", "type": kind.lower(), "name": new})
        if kind != "INDEX":
            out.findings.append(finding("RENAME", type=kind.lower(), name=table))
    elif isinstance(action, exp.AddConstraint):
        names = [c.name for c in action.find_all(exp.Constraint)] or ["(unnamed)"]
        for name in names:
            out.objects.append({"action": "create", "type": "constraint", "name": name})
        out.findings.append(finding("ADD_CONSTRAINT", name=", ".join(names)))
    elif isinstance(action, exp.AlterSet):
        # Storage parameters are cheap; TABLESPACE is refused by the policy.
        option = str(action.args.get("option") or "").upper()
        if option in {"LOGGED", "UNLOGGED"} or action.args.get("access_method") is not None:
            what = f"SET {option}" if option else "SET ACCESS METHOD"
            out.findings.append(finding("TABLE_REWRITE", what=what, name=table))
    else:
        raise DDLNotAllowed(
            f"ALTER action {type(action).__name__} is not one the DDL policy can classify",
            sha256=out.sha256,
        )


def _volatile(node: exp.Expression | None) -> bool:
    if node is None:
        return False
    return any(
        isinstance(n, _VOLATILE) or (isinstance(n, exp.Anonymous) and n.name.lower() in _VOLATILE_NAMES)
        for n in node.walk()
    )


def _drop(tree: exp.Drop, out: Analysis) -> None:
    kind = _kind(tree)
    materialized = bool(tree.args.get("materialized"))
    out.kind = f"DROP {'MATERIALIZED ' if materialized else ''}{kind}"
    code = {"TABLE": "DROP_TABLE", "VIEW": "DROP_VIEW", "INDEX": "DROP_INDEX"}.get(kind, "DROP_OBJECT")
    for node in tree.args.get("tables") or [tree.this]:
        ref = table_ref(node)
        out.objects.append({"action": "drop", "type": kind.lower(), "name": ref.display()})
        out.findings.append(finding(code, type=kind.lower(), name=ref.display()))
        if kind == "TABLE":
            out.requires.append(ref)
        if tree.args.get("cascade"):
            out.findings.append(finding("DROP_CASCADE", name=ref.display()))
    if out.dialect == "postgres" and tree.args.get("concurrently"):
        out.transactional = False


def _comment(tree: exp.Comment, out: Analysis) -> None:
    kind = _kind(tree)
    out.kind = f"COMMENT ON {kind}"
    target = tree.this
    if isinstance(target, exp.Column):
        name = ".".join(p.name for p in target.parts)
    else:
        name = table_ref(target).display()
    out.objects.append({"action": "comment", "type": kind.lower(), "name": name})
