"""The deployer survives its platform dying mid-deployment: nothing stays stuck in flight.

Each test runs its own platform (and, on PostgreSQL, its own database), since it kills it.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from flow_sdk.cli_client import CLIClient
from flow_sdk.config import FlowConfig
from support.databases import scratch_pg_database
from support.deployments import codeblock, deploy, wait_for
from support.platform import RunningPlatform

FINAL = {"active", "failed", "rolled_back", "superseded"}
# Slow on purpose, so the platform can be killed while the deployer works on it.
SLOW_IMPORT = "import time\ntime.sleep(2)\n\ndef main(request):\n    return {}\n"
SLOW_SMOKE_RUN = "import time\n\ndef main(request):\n    time.sleep(2)\n    return {}\n"


@pytest.fixture
def own_platform(backend: str | None, tmp_path) -> Iterator[RunningPlatform]:
    with scratch_pg_database("flow_recovery") if backend else nullcontext(None) as url:
        running = RunningPlatform(tmp_path / "platform", url, "postgres" if url else "sqlite")
        running.start()
        try:
            yield running
        finally:
            running.close()


def _client(running: RunningPlatform) -> CLIClient:
    t = running.bootstrap()
    token = CLIClient.exchange_api_key(t.url, t.api_key)
    return CLIClient(FlowConfig(access_token=token, platform_url=t.url, org_id=t.org_id, workspace_id=t.workspace_id))


def _wait_status(client: CLIClient, dep_id: str, wanted: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while (status := client.component_deployments.status(dep_id)["status"]) != wanted:
        assert status not in FINAL, f"reached {status} before the platform could be killed"
        assert time.monotonic() < deadline, f"never reached {wanted}"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "sig,state,source",
    [
        (signal.SIGKILL, "building", SLOW_IMPORT),
        (signal.SIGKILL, "validating", SLOW_SMOKE_RUN),
        (signal.SIGTERM, "building", SLOW_IMPORT),
    ],
)
def test_platform_killed_mid_deployment_resumes_it(own_platform, sig, state, source):
    from flow_platform.store.tables import Deployment

    with _client(own_platform) as client:
        dep = deploy(client, codeblock(client, source), client.rings.resolve("dev"))
        _wait_status(client, dep["id"], state)
        own_platform.restart(sig)
        # Same database and secret key after the restart: the token is still good.
        with CLIClient(client.config) as again:
            done = wait_for(again.component_deployments, dep["id"], FINAL)
    assert done["status"] == "active", done
    assert done["attempts"] == 2  # claimed once before the stop, taken over once after
    with own_platform.session() as session:
        row = session.get(Deployment, dep["id"])
        assert row.worker_id is None and row.lease_until is None


def test_two_platform_processes_on_one_database_apply_each_deployment_once(backend, tmp_path):
    from flow_platform.store.tables import Deployment

    with scratch_pg_database("flow_pair") if backend else nullcontext(None) as url:
        # SQLite: one data dir, so one database file; PostgreSQL: one database.
        first = RunningPlatform(tmp_path / "a", url, "pair")
        second = RunningPlatform(tmp_path / ("a" if url is None else "b"), url, "pair")
        second.secret_key = first.secret_key
        first.start()
        second.start()
        try:
            with _client(first) as client:
                components = [codeblock(client, SLOW_IMPORT.replace("2", "0.2")) for _ in range(6)]
                created = client.component_deployments.create(
                    {
                        "ring_id": client.rings.resolve("dev"),
                        "components": [{"component_id": c["id"], "component_type": "codeblock"} for c in components],
                    }
                )["deployments"]
                done = [wait_for(client.component_deployments, d["id"], FINAL) for d in created]
            assert [d["status"] for d in done] == ["active"] * 6
            assert [d["attempts"] for d in done] == [1] * 6  # claimed once each, by one of the two
            with first.session() as session:
                assert session.query(Deployment).filter(Deployment.status != "active").count() == 0
        finally:
            second.close()
            first.close()
