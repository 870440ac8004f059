"""Findings and risk levels that a DDL preview reports.

Each finding code has one message template and one hint, kept here so the
analyser and the executors word the same problem the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Risk = Literal["low", "medium", "high"]
_RISK_ORDER: dict[Risk, int] = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    hint: str
    risk: Risk

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# code -> (risk, message template, hint)
_CATALOG: dict[str, tuple[Risk, str, str]] = {
    "DROP_TABLE": (
        "high",
        "Dropping table {name} deletes its rows permanently.",
        "Rename the table first and drop it in a later release once nothing reads it.",
    ),
    "DROP_VIEW": (
        "high",
        "Dropping view {name} breaks every reader that still selects from it.",
        "Make sure no application or report reads the view any more.",
    ),
    "DROP_OBJECT": (
        "high",
        "Dropping {type} {name} cannot be undone.",
        "Check that nothing depends on it; prefer IF EXISTS in migrations.",
    ),
    "DROP_INDEX": (
        "medium",
        "Dropping index {name} may slow down queries that use it.",
        "Check the query plans that use the index before dropping it.",
    ),
    "DROP_COLUMN": (
        "high",
        "Dropping column {name} deletes its data and breaks readers that select it.",
        "Stop reading and writing the column first, then drop it in a later release.",
    ),
    "DROP_CONSTRAINT": (
        "medium",
        "Dropping constraint {name} stops the database from enforcing it.",
        "Make sure the application enforces the rule, or that it is no longer needed.",
    ),
    "DROP_CASCADE": (
        "high",
        "CASCADE also drops every object that depends on {name}.",
        "List the dependent objects first; drop them explicitly instead of CASCADE.",
    ),
    "RENAME": (
        "high",
        "Renaming {type} {name} breaks every client that uses the old name.",
        "Add the new name alongside the old one (e.g. a view or a new column) and migrate.",
    ),
    "INDEX_WITHOUT_CONCURRENTLY": (
        "medium",
        "CREATE INDEX without CONCURRENTLY blocks writes to {name} while the index builds.",
        "Use CREATE INDEX CONCURRENTLY (it runs outside a transaction).",
    ),
    "UNIQUE_INDEX": (
        "medium",
        "A unique index on {name} fails if existing rows hold duplicates.",
        "Check for duplicates first.",
    ),
    "NON_TRANSACTIONAL": (
        "medium",
        "This statement cannot run inside a transaction, so it cannot be rolled back.",
        "The preview is static; if execution fails halfway, clean up (e.g. an INVALID index).",
    ),
    "STATIC_PREVIEW": (
        "low",
        "The statement calls {calls}, whose effect a rollback does not undo, so a preview does not run it.",
        "The preview checked the catalog only; the database has not tried the statement yet.",
    ),
    "TYPE_CHANGE_REWRITE": (
        "medium",
        "Changing the type of column {name} may rewrite the whole table under an "
        "exclusive lock, and fails if existing values do not convert.",
        "Add a new column, backfill it in batches, then switch readers over.",
    ),
    "TABLE_REWRITE": (
        "medium",
        "{what} rewrites table {name} under an exclusive lock.",
        "Run it in a quiet period; it takes as long as copying the table.",
    ),
    "SET_NOT_NULL": (
        "medium",
        "SET NOT NULL on {name} scans the whole table under an exclusive lock and fails if a row holds NULL.",
        "Add a CHECK (... IS NOT NULL) NOT VALID constraint, validate it, then set NOT NULL.",
    ),
    "NOT_NULL_WITHOUT_DEFAULT": (
        "medium",
        "Column {name} is NOT NULL without a default; adding it fails when the table has rows.",
        "Add a DEFAULT, or add the column nullable, backfill, then set NOT NULL.",
    ),
    "ADD_CONSTRAINT": (
        "medium",
        "Adding constraint {name} checks every existing row while holding a lock.",
        "On PostgreSQL add it NOT VALID and VALIDATE CONSTRAINT separately.",
    ),
    "VOLATILE_DEFAULT": (
        "medium",
        "The default of column {name} is computed per row, which rewrites the table.",
        "Add the column without a default, backfill in batches, then set the default.",
    ),
    "MATERIALIZED_VIEW": (
        "medium",
        "Creating materialized view {name} runs its query and stores the result now.",
        "Expect the statement to take as long as the query.",
    ),
    "REPLACE_VIEW": (
        "medium",
        "CREATE OR REPLACE changes what readers of {name} see.",
        "Check that the new definition keeps the columns readers rely on.",
    ),
    "JSONB_ON_MYSQL": (
        "medium",
        "MySQL and MariaDB have no JSONB type; the statement fails there.",
        "Use JSON on MySQL/MariaDB.",
    ),
    "TABLE_HAS_ROWS": (
        "medium",
        "Table {name} has rows, so this change touches existing data.",
        "Run it in a quiet period and check the data first.",
    ),
    "OBJECT_EXISTS": (
        "medium",
        "{type} {name} already exists; the statement will fail.",
        "Use IF NOT EXISTS or pick another name.",
    ),
    "OBJECT_MISSING": (
        "medium",
        "{type} {name} does not exist; the statement will fail.",
        "Check the name and the schema.",
    ),
    "LOCK_TIMEOUT": (
        "medium",
        "The statement could not get its locks within {timeout}; another session holds them.",
        "Retry when the blocking session is done, or find it in the locks view and end it.",
    ),
    "STATEMENT_TIMEOUT": (
        "medium",
        "The statement did not finish within {timeout}.",
        "Run it in a maintenance window or split it into smaller steps.",
    ),
    "DATABASE_ERROR": (
        "medium",
        "The database rejected the statement: {error}",
        "Fix the statement and preview it again.",
    ),
}


def finding(code: str, **values: Any) -> Finding:
    risk, template, hint = _CATALOG[code]
    return Finding(code=code, message=template.format(**values), hint=hint, risk=risk)


def overall_risk(findings: list[Finding], base: Risk = "low") -> Risk:
    risk = base
    for f in findings:
        if _RISK_ORDER[f.risk] > _RISK_ORDER[risk]:
            risk = f.risk
    return risk


def risk_at_least(risk: Risk, floor: Risk) -> bool:
    return _RISK_ORDER[risk] >= _RISK_ORDER[floor]
