"""Engine and session factories for SQLite (embedded) and PostgreSQL (team server).

Transaction discipline (docs/architecture.md, "Transactions"): on SQLite every
transaction from ``make_sessionmaker`` opens with ``BEGIN IMMEDIATE``, so it holds the
one write lock from its first statement and a concurrent writer waits on the busy
timeout instead of failing. A transaction that only reads may use
``make_read_sessionmaker``: a deferred ``BEGIN`` that never blocks nor is blocked by
writers (WAL), and that must not write. PostgreSQL runs both as READ COMMITTED.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from ..settings import Settings
from .conflicts import note_commit

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option that marks a read-only engine: its SQLite transactions start deferred.
READ_ONLY_OPTION = "flow_read_only"


def make_engine(settings: Settings) -> Engine:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # SQLAlchemy's documented pysqlite recipe: the driver must not issue BEGIN itself
    # (it defers it and breaks SAVEPOINTs); the "begin" event below does instead.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # A deferred transaction that reads and then writes cannot take the write lock if
    # another connection committed in between (SQLITE_BUSY_SNAPSHOT skips the busy
    # timeout and fails at once). IMMEDIATE takes the lock first and waits for it.
    if conn.get_execution_options().get(READ_ONLY_OPTION):
        conn.exec_driver_sql("BEGIN DEFERRED")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that may write: on SQLite each transaction holds the write lock."""
    factory = sessionmaker(engine, expire_on_commit=False)
    # A request that committed something is never re-run on a conflict (api/retry.py).
    event.listen(factory, "after_commit", note_commit)
    return factory


def read_only_engine(engine: Engine) -> Engine:
    """The same engine and pool, whose SQLite transactions start deferred: for reads only."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read: they neither wait for nor hold up writers on SQLite."""
    factory = sessionmaker(read_only_engine(engine), expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_flush)
    event.listen(factory, "do_orm_execute", _refuse_write)
    return factory


class ReadOnlySessionWrite(RuntimeError):
    """A read session tried to write: a bug, caught in every test rather than in production."""


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySessionWrite("a read-only session cannot write; use Platform.sessions")


def _refuse_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionWrite("a read-only session cannot write; use Platform.sessions")
