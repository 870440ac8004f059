"""The transaction discipline: who takes SQLite's write lock, and what a conflict becomes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from flow_platform.api import errors as api_errors
from flow_platform.api.retry import TransientRetryMiddleware
from flow_platform.platform import Platform
from flow_platform.settings import Settings
from flow_platform.store.conflicts import ATTEMPTS, Transient, classify, note_commit, retry_conflicts
from flow_platform.store.db import ReadOnlySessionWrite
from flow_platform.store.migrate import upgrade
from flow_platform.store.tables import Org


@pytest.fixture
def platform(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, secret_key="test-secret")
    made = Platform.open(settings)
    upgrade(made.engine, settings)
    yield made
    made.close()


def _other_writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    return conn


def _locked_error(path: Path) -> sqlite3.OperationalError:
    holder = _other_writer(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        _other_writer(path).execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        holder.execute("ROLLBACK")
    raise AssertionError("a second writer got the lock")


def test_a_write_session_holds_the_write_lock_from_its_first_read(platform: Platform, tmp_path: Path):
    with platform.sessions() as session:
        session.execute(text("SELECT 1")).all()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _other_writer(tmp_path / "platform.db").execute("BEGIN IMMEDIATE")
    # Closed: the lock is free again.
    _other_writer(tmp_path / "platform.db").execute("BEGIN IMMEDIATE")


def test_a_read_session_leaves_the_write_lock_free_and_cannot_write(platform: Platform, tmp_path: Path):
    with platform.read_sessions() as session:
        session.execute(text("SELECT count(*) FROM orgs")).all()
        other = _other_writer(tmp_path / "platform.db")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        session.add(Org(name="nope"))
        with pytest.raises(ReadOnlySessionWrite):
            session.flush()


def test_conflicts_are_classified(tmp_path: Path, platform: Platform):
    busy = OperationalError("BEGIN IMMEDIATE", {}, _locked_error(tmp_path / "platform.db"))
    assert classify(busy) is Transient.BUSY
    assert classify(OperationalError("x", {}, _PgError("40001"))) is Transient.RETRY
    assert classify(OperationalError("x", {}, _PgError("40P01"))) is Transient.RETRY
    assert classify(OperationalError("x", {}, _PgError("23505"))) is Transient.NO
    assert classify(ValueError("x")) is Transient.NO


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _app(fail: list[Exception], *, commit_first: bool = False) -> tuple[Callable[..., httpx.Response], list[bytes]]:
    """A route that fails with each exception in ``fail`` in turn, then answers its body."""
    app = FastAPI()
    api_errors.install(app)
    app.add_middleware(TransientRetryMiddleware)
    seen: list[bytes] = []

    @app.post("/write")
    async def write(request: Request) -> dict[str, str]:
        seen.append(await request.body())
        if commit_first:
            note_commit(None)
        if fail:
            raise fail.pop(0)
        return {"ok": "yes"}

    def post(path: str, content: bytes) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.post(path, content=content)

        return asyncio.run(go())

    return post, seen


def test_a_serialization_failure_is_run_again_with_the_same_body():
    client, seen = _app([OperationalError("x", {}, _PgError("40001")) for _ in range(ATTEMPTS - 1)])
    answer = client("/write", content=b"payload")
    assert (answer.status_code, answer.json()) == (200, {"ok": "yes"})
    assert seen == [b"payload"] * ATTEMPTS


def test_conflicts_beyond_the_bound_answer_503_with_retry_after():
    client, seen = _app([OperationalError("x", {}, _PgError("40P01")) for _ in range(ATTEMPTS + 1)])
    answer = client("/write", content=b"p")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    body = answer.json()
    assert body["code"] == "STORE_BUSY" and set(body) == {"code", "message", "details", "request_id"}
    assert len(seen) == ATTEMPTS


def test_a_busy_timeout_that_ran_out_is_503_at_once(tmp_path: Path, platform: Platform):
    locked = OperationalError("BEGIN IMMEDIATE", {}, _locked_error(tmp_path / "platform.db"))
    client, seen = _app([locked])
    answer = client("/write", content=b"p")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
    assert len(seen) == 1


def test_a_request_that_committed_is_never_run_twice():
    client, seen = _app([OperationalError("x", {}, _PgError("40001"))], commit_first=True)
    assert client("/write", content=b"p").status_code == 503
    assert len(seen) == 1


def test_other_errors_pass_through_untouched():
    client, seen = _app([RuntimeError("boom")])
    assert client("/write", content=b"p").status_code == 500
    assert len(seen) == 1


def test_a_whole_transaction_is_run_again_on_a_retryable_conflict_only():
    calls: list[int] = []

    @retry_conflicts
    def flaky(fail_times: int, error: Exception) -> str:
        calls.append(1)
        if len(calls) <= fail_times:
            raise error
        return "done"

    assert flaky(ATTEMPTS - 1, OperationalError("x", {}, _PgError("40P01"))) == "done"
    assert len(calls) == ATTEMPTS
    calls.clear()
    with pytest.raises(OperationalError):
        flaky(ATTEMPTS, OperationalError("x", {}, _PgError("40001")))
    assert len(calls) == ATTEMPTS
    calls.clear()
    with pytest.raises(OperationalError):
        flaky(1, OperationalError("x", {}, _PgError("23505")))
    assert len(calls) == 1
