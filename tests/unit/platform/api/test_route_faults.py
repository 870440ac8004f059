"""Faults injected under the routes: the caller always gets the one error body, never a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from flow_platform.api.deps import get_session

from .conftest import InProcess

SOURCE = "def main(request):\n    return {'ok': True}\n"


def _codeblock(api: InProcess) -> str:
    answer = api.client.post(
        f"{api.ws_path}/components",
        json={"component_type": "codeblock", "name": "hello", "version": "1.0.0", "source": SOURCE},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_an_unexpected_error_is_the_one_body_with_the_request_id(api: InProcess) -> None:
    def broken_session() -> Iterator[object]:
        raise RuntimeError("secret detail of a bug")
        yield  # pragma: no cover

    api.app.dependency_overrides[get_session] = broken_session
    answer = api.client.get(f"{api.ws_path}/rings", headers={"X-Request-ID": "req-fault-1"})
    assert answer.status_code == 500
    body = answer.json()
    assert body["code"] == "INTERNAL_ERROR"
    assert body["request_id"] == answer.headers["x-request-id"] == "req-fault-1"
    assert "secret detail" not in answer.text and "Traceback" not in answer.text


def test_a_deployment_waits_queued_while_no_deployer_runs(api: InProcess) -> None:
    component_id = _codeblock(api)
    rings = {r["name"]: r["id"] for r in api.client.get(f"{api.ws_path}/rings").json()["items"]}
    created = api.client.post(
        f"{api.ws_path}/component-deployments",
        json={"ring_id": rings["dev"], "components": [{"component_id": component_id}]},
    )
    assert created.status_code == 201, created.text
    (deployment,) = created.json()["deployments"]
    assert deployment["status"] == "queued"
    again = api.client.get(f"{api.ws_path}/component-deployments/{deployment['id']}")
    assert again.json()["status"] == "queued"
    # Nothing is active yet, so there is nothing to promote from.
    promoted = api.client.post(
        f"{api.ws_path}/component-deployments/{deployment['id']}/promote", json={"target_ring_id": rings["staging"]}
    )
    assert promoted.status_code == 409
    assert promoted.json()["code"] in ("CONFLICT", "PROMOTION_OUT_OF_ORDER")


def _store_error(sqlite_errorcode: int, text: str) -> OperationalError:
    """What SQLAlchemy raises when SQLite answers `sqlite_errorcode` on a statement."""
    orig = sqlite3.OperationalError(text)
    orig.sqlite_errorcode = sqlite_errorcode  # type: ignore[attr-defined]
    return OperationalError("COMMIT", {}, orig)


def _commit_fails_with(api: InProcess, error: Exception) -> None:
    def session_whose_commit_fails() -> Iterator[Session]:
        with api.platform.sessions() as session:

            def fail() -> None:
                raise error

            session.commit = fail  # type: ignore[method-assign]
            yield session

    api.app.dependency_overrides[get_session] = session_whose_commit_fails


def _ring_names(api: InProcess) -> set[str]:
    api.app.dependency_overrides.clear()
    return {ring["name"] for ring in api.client.get(f"{api.ws_path}/rings").json()["items"]}


def test_a_store_that_stays_busy_is_a_503_with_retry_after_and_nothing_applied(api: InProcess) -> None:
    _commit_fails_with(api, _store_error(5, "database is locked"))  # SQLITE_BUSY: the busy timeout ran out
    answer = api.client.post(f"{api.ws_path}/rings", json={"name": "canary", "position": 15})
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "STORE_BUSY"
    assert int(answer.headers["retry-after"]) >= 1
    assert answer.json()["request_id"] == answer.headers["x-request-id"]
    assert "canary" not in _ring_names(api)


def test_a_full_disk_is_a_503_that_says_so_and_nothing_applied(api: InProcess) -> None:
    _commit_fails_with(api, _store_error(13, "database or disk is full"))  # SQLITE_FULL
    answer = api.client.post(f"{api.ws_path}/rings", json={"name": "canary", "position": 15})
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "STORE_UNAVAILABLE"
    assert "retry-after" in answer.headers
    assert "canary" not in _ring_names(api)
