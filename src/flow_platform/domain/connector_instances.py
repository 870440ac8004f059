"""Connector instances: registered databases a workspace can run DDL against."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schemas.connector_instances import ConnectorInstanceCreate
from ..settings import Settings
from ..store.base import utcnow
from ..store.tables import ConnectorInstance
from .credentials import CredentialsError, seal, unseal
from .ddl import executors
from .ddl.sqlite import create_database
from .ddl.target import Target, Timeouts
from .errors import Conflict
from .ids import parse_id
from .lookup import read_owned
from .persist import commit_or_conflict

log = logging.getLogger(__name__)

_CREDENTIALS_KEY_PURPOSE = "connector-credentials"


def sqlite_path(settings: Settings, instance_id: str) -> Path:
    """Where a sqlite instance lives: derived from its id, never chosen by a caller."""
    return settings.data_dir / "connectors" / f"{parse_id(instance_id, 'connector instance')}.db"


def create_connector_instance(
    session: Session,
    settings: Settings,
    *,
    org_id: str,
    workspace_id: str,
    actor: str,
    body: ConnectorInstanceCreate,
) -> ConnectorInstance:
    cfg = body.configuration.model_dump(exclude_none=True, by_alias=True)
    if body.connector == "sqlite":
        cfg = {k: cfg[k] for k in ("lock_timeout_ms", "statement_timeout_ms")}
    row = ConnectorInstance(
        org_id=org_id,
        workspace_id=workspace_id,
        connector=body.connector,
        instance_name=body.instance_name.strip(),
        configuration=cfg,
        created_by=actor,
    )
    password = body.credentials.password
    if password:
        row.credentials_sealed = seal(_key(settings), {"password": password})
    session.add(row)
    commit_or_conflict(session, f"an instance named {row.instance_name!r} already exists", flush_only=True)
    if row.connector == "sqlite":
        path = sqlite_path(settings, row.id)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        create_database(str(path))
    session.commit()
    log.info("connector instance %s (%s) created by %s", row.id, row.connector, actor)
    return row


def read_connector_instances(session: Session, workspace_id: str) -> list[ConnectorInstance]:
    stmt = (
        select(ConnectorInstance)
        .where(ConnectorInstance.workspace_id == workspace_id)
        .order_by(ConnectorInstance.created_at, ConnectorInstance.instance_name)
    )
    return list(session.scalars(stmt))


def read_connector_instance(session: Session, workspace_id: str, instance_id: str) -> ConnectorInstance:
    row = read_owned(session, ConnectorInstance, instance_id, "connector instance", owner=workspace_id)
    return row


def delete_connector_instance(session: Session, settings: Settings, workspace_id: str, instance_id: str) -> None:
    row = read_connector_instance(session, workspace_id, instance_id)
    session.delete(row)
    session.commit()
    if row.connector == "sqlite":
        # The platform created the file, so it removes it; the audit trail stays.
        path = sqlite_path(settings, row.id)
        for leftover in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", ".ddl-lock"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def test_connector_instance(
    session: Session, settings: Settings, workspace_id: str, instance_id: str
) -> ConnectorInstance:
    row = read_connector_instance(session, workspace_id, instance_id)
    target, timeouts = target_for(settings, row)
    session.commit()  # hold no store transaction (SQLite: the write lock) while connecting out
    ok, message = executors.executor_for(target.dialect).test_connection(target, timeouts)
    row.test_status = "success" if ok else "failed"
    row.test_message = message
    row.last_tested_at = utcnow()
    session.commit()
    return row


def target_for(settings: Settings, row: ConnectorInstance) -> tuple[Target, Timeouts]:
    """Connection parameters with the decrypted password, for one use; never stored."""
    cfg: dict[str, Any] = dict(row.configuration or {})
    timeouts = Timeouts(
        lock_timeout_ms=int(cfg.get("lock_timeout_ms", 2_000)),
        statement_timeout_ms=int(cfg.get("statement_timeout_ms", 60_000)),
    )
    if row.connector == "sqlite":
        return Target(dialect="sqlite", path=str(sqlite_path(settings, row.id))), timeouts
    password = None
    if row.credentials_sealed:
        try:
            password = unseal(_key(settings), row.credentials_sealed).get("password")
        except CredentialsError:
            raise Conflict(
                "the instance's credentials cannot be decrypted with this platform's secret "
                "(was FLOW_SECRET_KEY changed?); delete and re-create the instance",
                code="CREDENTIALS_UNREADABLE",
            ) from None
    target = Target(
        dialect=row.connector,  # type: ignore[arg-type]
        host=cfg.get("host"),
        port=cfg.get("port"),
        database=cfg.get("database"),
        schema=cfg.get("schema"),
        user=cfg.get("user"),
        password=password,
        options=dict(cfg.get("options") or {}),
    )
    return target, timeouts


def _key(settings: Settings) -> bytes:
    return settings.derive_key(_CREDENTIALS_KEY_PURPOSE)
