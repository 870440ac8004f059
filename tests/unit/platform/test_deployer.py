"""The deployer in-process: compare-and-set transitions and two deployers sharing one database."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from flow_platform.deployer.sandbox import Limits, run_probe
from flow_platform.deployer.worker import Deployer, DeployerOptions
from flow_platform.domain.components import create_component
from flow_platform.domain.deployments import create_deployments, lease, transition
from flow_platform.domain.rings import read_ring_by_name
from flow_platform.domain.roles import Role
from flow_platform.domain.tenancy import bootstrap
from flow_platform.platform import Platform
from flow_platform.settings import Settings
from flow_platform.store.migrate import upgrade
from flow_platform.store.tables import Deployment
from support.databases import scratch_pg_database

CODE = "def main(request):\n    return {'ok': True}\n"


@pytest.fixture
def store(backend: str | None, tmp_path) -> Iterator[tuple[Platform, str, str, str]]:
    """A migrated database of its own, with one tenant: (platform, workspace, dev ring, key id)."""
    with scratch_pg_database("flow_unit") if backend else nullcontext(None) as url:
        settings = Settings(data_dir=tmp_path, database_url=url, secret_key="unit-test")
        platform = Platform.open(settings)
        upgrade(platform.engine, settings)
        with platform.sessions() as session:
            made = bootstrap(session, settings, org_name="o", workspace_name="w")
            dev = read_ring_by_name(session, made.workspace.id, "dev")
            ids = (made.workspace.id, dev.id, made.key.row.id)
        try:
            yield (platform, *ids)
        finally:
            platform.close()


def _queue(platform: Platform, workspace_id: str, ring_id: str, key_id: str, n: int) -> list[str]:
    with platform.sessions() as session:
        components = [
            create_component(
                session,
                workspace_id=workspace_id,
                created_by=key_id,
                component_type="codeblock",
                name=f"c{i}",
                version="1.0.0",
                source=CODE,
            )
            for i in range(n)
        ]
        rows = create_deployments(
            session,
            workspace_id=workspace_id,
            kind="component",
            role=Role.ADMIN,
            created_by=key_id,
            ring_id=ring_id,
            components=[{"component_id": c.id} for c in components],
        )
        return [r.id for r in rows]


def test_only_one_of_two_racing_transitions_applies(store):
    platform, ws, dev, key = store
    ids = _queue(platform, ws, dev, key, 5)
    wins: list[tuple[str, str]] = []
    barrier = threading.Barrier(2)

    def racer(name: str) -> None:
        for dep_id in ids:
            barrier.wait()
            with platform.sessions() as session:
                if transition(session, dep_id, "queued", "building", worker_id=name):
                    wins.append((dep_id, name))
                session.commit()

    threads = [threading.Thread(target=racer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(d for d, _ in wins) == sorted(ids)  # every row moved exactly once
    with platform.sessions() as session:
        for dep_id, name in wins:
            row = session.get_one(Deployment, dep_id)
            assert (row.status, row.worker_id) == ("building", name)
            assert row.building_at is not None


def test_transition_from_the_wrong_state_does_nothing(store):
    platform, ws, dev, key = store
    (dep_id,) = _queue(platform, ws, dev, key, 1)
    with platform.sessions() as session:
        assert not transition(session, dep_id, "validating", "active")
        assert transition(session, dep_id, "queued", "building", worker_id="w")
        assert not transition(session, dep_id, "building", "deploying", expect_worker="someone-else")
        session.commit()
        assert session.get_one(Deployment, dep_id).status == "building"


def test_two_deployers_share_the_work_and_apply_each_deployment_once(store):
    platform, ws, dev, key = store
    options = DeployerOptions(poll_seconds=0.05, concurrency=3)
    deployers = [Deployer(platform.sessions, options) for _ in range(2)]
    ids = _queue(platform, ws, dev, key, 8)
    for d in deployers:
        d.start()
    try:
        deadline = time.monotonic() + 120
        while True:
            with platform.sessions() as session:
                rows = [session.get_one(Deployment, i) for i in ids]
            if all(r.status == "active" for r in rows):
                break
            assert time.monotonic() < deadline, [r.status for r in rows]
            time.sleep(0.1)
    finally:
        for d in deployers:
            d.stop()
    assert all(r.attempts == 1 for r in rows)


def test_probe_enforces_its_time_limit():
    result = run_probe("build", "while True:\n    pass\n", "main", limits=Limits(wall_seconds=1, cpu_seconds=1))
    assert (result.ok, result.stage) == (False, "timeout")


def test_probe_memory_limit_turns_into_an_import_error():
    source = "blob = bytearray(1024 * 1024 * 1024)\n"
    result = run_probe("build", source, "main", limits=Limits(memory_bytes=512 * 1024**2))
    assert (result.ok, result.stage) == (False, "import")
    assert "MemoryError" in result.error


def test_probe_runs_isolated_from_the_platform_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLOW_SECRET_KEY", "do-not-leak")
    source = (
        "import os, sys\n"
        "def main():\n"
        "    assert 'FLOW_SECRET_KEY' not in os.environ, 'secret leaked'\n"
        "    assert sys.flags.isolated\n"
        "    return os.getcwd()\n"
    )
    assert run_probe("validate", source, "main").ok


def test_output_of_the_code_block_is_kept_apart_from_the_result():
    result = run_probe("validate", "print('noise')\ndef main(request):\n    return None\n", "main")
    assert result.ok and "noise" in result.output


def test_warm_spares_are_used_once_and_killed_on_close():
    from flow_platform.deployer.sandbox import WarmProbes

    warm = WarmProbes()
    seen = []
    for _ in range(3):
        spare = warm.take()
        seen.append(spare.proc.pid)
        spare.discard()
        assert spare.proc.returncode is not None
    assert len(set(seen)) == 3
    assert run_probe("validate", "def main():\n    return 1\n", "main", warm=warm).ok
    deadline = time.monotonic() + 10
    while len(warm._spares) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    spares = list(warm._spares)
    assert len(spares) == 2
    warm.close()
    assert all(s.proc.poll() is not None for s in spares)


def test_confined_probe_cannot_read_platform_files_or_signal_the_platform(tmp_path):
    secret = tmp_path / "secret.key"
    secret.write_text("s3cret")
    probe = run_probe("build", "def main():\n    return 1\n", "main")
    if not probe.confined:
        pytest.skip("this kernel has no Landlock; the probe runs with rlimits only")
    # Refused by Landlock, or not even there: the probe's mount namespace hides /tmp.
    for source, causes in [
        (f"open({str(secret)!r}).read()\n", ("PermissionError: [Errno 13]", "FileNotFoundError: [Errno 2]")),
        ("open('/proc/1/environ').read()\n", ("PermissionError: [Errno 13]",)),
        (f"import os\nos.kill({os.getpid()}, 0)\n", ("PermissionError: [Errno 1]", "ProcessLookupError")),
    ]:
        result = run_probe("build", source, "main")
        assert (result.ok, result.stage) == (False, "import"), source
        assert any(cause in result.error for cause in causes), result.error
    allowed = "import asyncio, ssl, subprocess, tempfile\nopen('scratch.txt', 'w').write('x')\ntempfile.mkstemp()\n"
    assert run_probe("validate", allowed + "def main():\n    return 1\n", "main").ok


def _strand(platform: Platform, dep_id: str, **values: object) -> None:
    """Leave a deployment as a worker that died would have left it."""
    from sqlalchemy import update

    with platform.sessions() as session:
        session.execute(update(Deployment).where(Deployment.id == dep_id).values(**values))
        session.commit()


def _settle(platform: Platform, dep_id: str) -> Deployment:
    options = DeployerOptions(poll_seconds=0.05, sweep_seconds=0.1)
    deployer = Deployer(platform.sessions, options)
    deployer.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            with platform.sessions() as session:
                row = session.get_one(Deployment, dep_id)
            if row.status in ("active", "failed", "rolled_back", "superseded"):
                return row
            assert time.monotonic() < deadline, row.status
            time.sleep(0.05)
    finally:
        deployer.stop()


def test_a_dead_local_worker_is_detected_by_its_pid(store):
    import socket

    platform, ws, dev, key = store
    (dep_id,) = _queue(platform, ws, dev, key, 1)
    # Beyond the kernel's largest pid, so certainly not a live process; the lease is still good.
    owner = f"{socket.gethostname()}/{2**22 + 1}/dead"
    _strand(platform, dep_id, status="validating", worker_id=owner, lease_until=lease(600), attempts=1)
    row = _settle(platform, dep_id)
    assert (row.status, row.attempts) == ("active", 2)


def test_an_expired_lease_of_another_host_is_taken_over(store):
    platform, ws, dev, key = store
    (dep_id,) = _queue(platform, ws, dev, key, 1)
    _strand(platform, dep_id, status="building", worker_id="elsewhere/1/x", lease_until=lease(-1), attempts=1)
    assert _settle(platform, dep_id).status == "active"


def test_a_live_lease_of_another_host_is_left_alone(store):
    platform, ws, dev, key = store
    (dep_id,) = _queue(platform, ws, dev, key, 1)
    _strand(platform, dep_id, status="building", worker_id="elsewhere/1/x", lease_until=lease(600), attempts=1)
    deployer = Deployer(platform.sessions, DeployerOptions(poll_seconds=0.05, sweep_seconds=0.05))
    deployer.start()
    try:
        # Three full sweeps that saw the row, however long the machine takes to run them;
        # the deadline only keeps a deployer that never sweeps from hanging the test.
        deadline = time.monotonic() + 120
        while deployer.sweeps < 3:
            assert time.monotonic() < deadline, f"only {deployer.sweeps} sweeps ran"
            time.sleep(0.05)
    finally:
        deployer.stop()
    with platform.sessions() as session:
        row = session.get_one(Deployment, dep_id)
    assert (row.status, row.worker_id, row.attempts) == ("building", "elsewhere/1/x", 1)


def test_a_deployment_whose_workers_keep_dying_fails(store):
    platform, ws, dev, key = store
    (dep_id,) = _queue(platform, ws, dev, key, 1)
    _strand(platform, dep_id, status="building", worker_id="elsewhere/1/x", lease_until=lease(-1), attempts=3)
    row = _settle(platform, dep_id)
    assert row.status == "failed"
    assert row.error == "gave up after 3 attempts: the platform stopped each time while it was building"


def _three_of_one_component(platform: Platform, workspace_id: str, ring_id: str, key_id: str) -> list[str]:
    with platform.sessions() as session:
        component = create_component(
            session,
            workspace_id=workspace_id,
            created_by=key_id,
            component_type="codeblock",
            name="same",
            version="1.0.0",
            source=CODE,
        )
        component_id = component.id
    ids: list[str] = []
    for _ in range(3):
        with platform.sessions() as session:
            (row,) = create_deployments(
                session,
                workspace_id=workspace_id,
                kind="component",
                role=Role.ADMIN,
                created_by=key_id,
                ring_id=ring_id,
                components=[{"component_id": component_id}],
            )
            ids.append(row.id)
    return ids


def _statuses(platform: Platform, ids: list[str]) -> list[str]:
    with platform.sessions() as session:
        return [session.get_one(Deployment, i).status for i in ids]


@pytest.mark.parametrize("newer_went_active", [False, True])
def test_rollback_restores_the_previous_version_only_while_nothing_newer_is_active(store, newer_went_active):
    # v2 superseded v1 and is being rolled back; v3 may have gone active in the ring
    # meanwhile (it found nothing active to supersede, v2 being rolling_back). Either
    # way the ring ends with exactly one active deployment of the component.
    platform, ws, dev, key = store
    v1, v2, v3 = _three_of_one_component(platform, ws, dev, key)
    deployer = Deployer(platform.sessions, DeployerOptions())
    try:
        _strand(platform, v1, status="superseded")
        _strand(platform, v2, status="rolling_back", previous_id=v1, worker_id=deployer.worker_id)
        _strand(platform, v3, status="active" if newer_went_active else "failed")
        deployer._finish_rollback(v2)
    finally:
        deployer._pool.shutdown(wait=True)
        deployer._warm.close()
    statuses = _statuses(platform, [v1, v2, v3])
    if newer_went_active:
        assert statuses == ["superseded", "rolled_back", "active"]
    else:
        assert statuses == ["active", "rolled_back", "failed"]
