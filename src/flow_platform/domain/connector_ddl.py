"""execute_ddl: refuse, preview or execute one statement, and audit every attempt."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..settings import Settings
from ..store.tables import ConnectorInstance, DDLAuditEntry
from .connector_instances import read_connector_instance, target_for
from .ddl import DDLNotAllowed, Scope, analyze, runner
from .ddl.policy import statement_sha256
from .errors import DomainError, Forbidden, Unprocessable, field_error
from .roles import Role

log = logging.getLogger(__name__)

DDL_NOT_ALLOWED = "DDL_NOT_ALLOWED"


@dataclass(frozen=True)
class Caller:
    actor: str
    role: Role
    request_id: str | None


def execute_ddl(
    session: Session,
    settings: Settings,
    *,
    workspace_id: str,
    instance_id: str,
    caller: Caller,
    sql: str,
    confirm: bool,
    reason: str | None,
) -> tuple[DDLAuditEntry, runner.DDLRun]:
    """Preview (``confirm=False``) or execute one statement; raise on refusal.

    Every path, refusals included, commits an audit row before it returns or raises.
    """
    instance = read_connector_instance(session, workspace_id, instance_id)
    reason = (reason or "").strip() or None
    audit = _AuditWriter(session, instance, caller, sql=sql, confirm=confirm, reason=reason)

    if not caller.role.allows(Role.BUILDER):
        audit.write(outcome="denied", error="viewers cannot preview or execute DDL")
        raise Forbidden(f"DDL needs the builder role; you are {caller.role.value}")
    if confirm and reason is None:
        audit.write(outcome="rejected", error="confirm=true needs a reason")
        raise field_error("reason", "a non-empty reason is required when confirm is true")
    cfg = instance.configuration or {}
    # The instance's own database/schema, from its configuration: no credentials are
    # needed to refuse a statement, so a refusal never waits on decrypting them.
    scope = Scope(database=cfg.get("database"), schema=cfg.get("schema"))
    try:
        analysis = analyze(sql, instance.connector, scope)  # type: ignore[arg-type]
    except DDLNotAllowed as refused:
        audit.write(outcome="refused", error=refused.reason)
        raise Unprocessable(
            f"DDL not allowed: {refused.reason}",
            code=DDL_NOT_ALLOWED,
            details=[{"field": "sql", "message": refused.reason}],
        ) from None
    if confirm and analysis.risk == "high" and not caller.role.allows(Role.ADMIN):
        codes = ", ".join(f.code for f in analysis.findings if f.risk == "high")
        audit.write(
            outcome="denied",
            error=f"high-risk statement ({codes}) needs an admin",
            kind=analysis.kind,
            risk=analysis.risk,
            findings=[f.to_dict() for f in analysis.findings],
            objects=analysis.objects,
        )
        raise Forbidden(f"executing a high-risk statement ({codes}) needs the admin role")

    try:
        target, timeouts = target_for(settings, instance)
    except DomainError as err:
        audit.write(outcome="failed", error=err.message, kind=analysis.kind, risk=analysis.risk)
        raise
    session.commit()  # hold no store transaction (SQLite: the write lock) while the statement runs
    if confirm:
        run = runner.execute(target, analysis, timeouts, lock_key=instance.id)
    else:
        run = runner.preview(target, analysis, timeouts)
    row = audit.write(
        outcome=run.outcome,
        error=run.error,
        kind=analysis.kind,
        mode=run.mode,
        risk=run.risk,
        findings=[f.to_dict() for f in run.findings],
        objects=run.objects_changed if confirm else analysis.objects,
        duration_ms=run.duration_ms,
    )
    log.info(
        "ddl %s on instance %s by %s: %s %s (%s, request %s)",
        "execution" if confirm else "preview",
        instance.id,
        caller.actor,
        analysis.kind,
        run.outcome,
        analysis.sha256[:12],
        caller.request_id,
    )
    return row, run


def read_ddl_audit(session: Session, workspace_id: str, instance_id: str, *, limit: int = 500) -> list[DDLAuditEntry]:
    instance = read_connector_instance(session, workspace_id, instance_id)
    stmt = (
        select(DDLAuditEntry)
        .where(DDLAuditEntry.instance_id == instance.id)
        .order_by(DDLAuditEntry.created_at.desc(), DDLAuditEntry.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


class _AuditWriter:
    def __init__(
        self,
        session: Session,
        instance: ConnectorInstance,
        caller: Caller,
        *,
        sql: str,
        confirm: bool,
        reason: str | None,
    ) -> None:
        self._session = session
        self._base: dict[str, Any] = {
            "org_id": instance.org_id,
            "workspace_id": instance.workspace_id,
            "instance_id": instance.id,
            "connector": instance.connector,
            "actor": caller.actor,
            "role": caller.role.value,
            "request_id": caller.request_id,
            "sql": sql,
            "sha256": statement_sha256(sql),
            "confirm": confirm,
            "reason": reason,
        }

    def write(self, *, outcome: str, error: str | None = None, **fields: Any) -> DDLAuditEntry:
        row = DDLAuditEntry(
            **self._base,
            outcome=outcome,
            error=error,
            findings=fields.pop("findings", []),
            objects=fields.pop("objects", []),
            duration_ms=fields.pop("duration_ms", 0),
            **fields,
        )
        self._session.add(row)
        self._session.commit()
        return row
