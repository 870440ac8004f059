"""Apply Alembic migrations at start, safely when several processes start at once."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from ..settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every platform process.
_PG_MIGRATION_LOCK = 0x466C6F77

log = logging.getLogger(__name__)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, settings: Settings) -> None:
    """Bring the schema to every head: features add sibling migration branches."""
    cfg = alembic_config()
    if engine.dialect.name == "sqlite":
        lock_path = settings.data_dir / ".migrate.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            with engine.connect() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "heads")
        return
    with engine.connect() as conn:
        # A session-level advisory lock serializes concurrent starts; the loser then
        # finds the schema current and does nothing.
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
            conn.commit()
