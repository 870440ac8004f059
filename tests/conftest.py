"""Shared fixtures. End-to-end tests run against every backend: SQLite and PostgreSQL.

The PostgreSQL leg is skipped, visibly, when no server answers at 127.0.0.1:5432, except
under CI=true, where a missing server is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.databases import pg_unavailable_reason, scratch_pg_database
from support.platform import RunningPlatform, Tenant

BACKENDS = [b for b in os.environ.get("FLOW_TEST_BACKENDS", "sqlite,postgres").split(",") if b]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real ~/.flow, nor sees the developer's FLOW_* settings."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith("FLOW_") and name not in ("FLOW_TEST_PG_URL", "FLOW_TEST_BACKENDS"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The database URL the platform runs on: None for embedded SQLite."""
    if request.param == "sqlite":
        yield None
        return
    reason = pg_unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run the PostgreSQL leg)")
        pytest.skip(reason)
    with scratch_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def platform(backend: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    name = "postgres" if backend else "sqlite"
    running = RunningPlatform(tmp_path_factory.mktemp(f"platform-{name}"), backend, name)
    running.start()
    yield running
    running.close()


@pytest.fixture
def tenant(platform: RunningPlatform) -> Tenant:
    """A fresh org with one workspace and an admin key: tests never share tenants."""
    return platform.bootstrap()


@pytest.fixture
def make_client(platform: RunningPlatform, tenant: Tenant) -> Iterator[Callable[..., object]]:
    from flow_sdk.cli_client import CLIClient
    from flow_sdk.config import FlowConfig

    made: list[CLIClient] = []

    def factory(role: str = "admin", *, tenant_: Tenant | None = None, **kwargs: object) -> CLIClient:
        t = tenant_ or tenant
        key = t.api_key if role == "admin" and tenant_ is None else platform.create_key(t, role)
        token = CLIClient.exchange_api_key(t.url, key)
        client = CLIClient(
            FlowConfig(access_token=token, platform_url=t.url, org_id=t.org_id, workspace_id=t.workspace_id),
            **kwargs,  # type: ignore[arg-type]
        )
        made.append(client)
        return client

    yield factory
    for c in made:
        c.close()


@pytest.fixture
def client(make_client: Callable[..., object]) -> object:
    """An admin ``CLIClient`` of a fresh tenant, talking to the real platform over a socket."""
    return make_client("admin")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A failed end-to-end test shows the platform's own log: a 500 is explained there."""
    report = yield
    running = getattr(item, "funcargs", {}).get("platform")
    if report.failed and isinstance(running, RunningPlatform):
        report.sections.append(("platform log (last 80 lines)", "\n".join(running.output().splitlines()[-80:])))
    return report
