"""Concurrent writers against the real server: no 5xx, no reset, every invariant kept.

Clients run with ``max_retries=0``: a 503 or a reset the SDK would hide is a failure here.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from flow_sdk.cli_client import CLIAuthenticationError, CLIClient, CLIClientError
from support.deployments import CODE, codeblock, deploy, wait_for
from support.hosted import deploy as deploy_service

FINAL = {"active", "failed", "rolled_back", "superseded"}
THREADS = 32
OPS_PER_THREAD = 6
ECHO = 'def main(request):\n    return {"claims": request["claims"]}\n'


def _no_retry_client(make_client: Any) -> CLIClient:
    client: CLIClient = make_client("admin", max_retries=0, timeout=120.0)
    return client


def test_writes_while_a_deployment_runs_all_succeed(make_client):
    """A script deploys, then writes 160 times one at a time: every write succeeds."""
    client = _no_retry_client(make_client)
    ring = client.rings.resolve("dev")
    deployments = [deploy(client, codeblock(client, CODE), ring)["id"] for _ in range(2)]
    failures: list[str] = []
    for i in range(160):
        try:
            if i % 40 == 0:  # keep the deployer busy for the whole run
                deployments.append(deploy(client, codeblock(client, CODE), ring)["id"])
            elif i % 3 == 0:
                codeblock(client, CODE)
            elif i % 3 == 1:
                client.hosted_services.create(
                    {"slug": f"svc-{uuid.uuid4().hex[:12]}", "name": "s", "execution_mode": "persistent"}
                )
            else:
                client.api_keys.create(role="viewer", name=f"k{i}")
        except CLIClientError as exc:
            failures.append(f"write {i}: {exc}")
    assert failures == []
    for dep_id in deployments:
        assert wait_for(client.component_deployments, dep_id, FINAL)["status"] == "active"


class _Load:
    """What the writers did, for the checks afterwards."""

    def __init__(self, client: CLIClient, service_id: str, ring_id: str) -> None:
        self.client = client
        self.service_id = service_id
        self.ring_id = ring_id
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.live_tokens: list[str] = []
        self.revoked_tokens: list[str] = []
        self.live_keys: list[dict[str, Any]] = []
        self.revoked_keys: list[dict[str, Any]] = []
        self.services: dict[str, int] = {}  # service id -> endpoints added to version 1
        self.published: set[str] = set()
        self.deployments: list[str] = []
        self.components: list[str] = []
        self.shared = [codeblock(client, CODE) for _ in range(2)]  # deployed by many threads at once

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(OPS_PER_THREAD):
            op = rng.choice([self.component, self.service, self.token, self.key, self.deployment])
            try:
                op(rng)
            except CLIClientError as exc:
                with self.lock:
                    self.errors.append(f"{op.__name__}: {type(exc).__name__}: {exc}")

    def component(self, _rng: random.Random) -> None:
        made = codeblock(self.client, CODE)
        with self.lock:
            self.components.append(made["id"])

    def service(self, rng: random.Random) -> None:
        client = self.client
        made = client.hosted_services.create(
            {"slug": f"svc-{uuid.uuid4().hex[:12]}", "name": "s", "execution_mode": "persistent"}
        )
        version = client.hosted_services.versions.list(made["id"])[0]
        block = codeblock(client, ECHO)["id"]
        count = rng.randint(1, 3)
        for n in range(count):
            client.hosted_services.endpoints.create(
                made["id"], version["id"], {"path": f"/e{n}", "method": "GET", "code_block_id": block}
            )
        with self.lock:
            self.services[made["id"]] = count
        if rng.random() < 0.7:
            client.hosted_services.versions.publish(made["id"], version["id"])
            with self.lock:
                self.published.add(made["id"])

    def token(self, rng: random.Random) -> None:
        tokens = self.client.hosted_services.service_tokens
        minted = tokens.mint(service_id=self.service_id, claims={"n": rng.randint(0, 10**6)})
        if rng.random() < 0.5:
            tokens.revoke(service_id=self.service_id, jti=minted["jti"], expires_at=minted["expires_at"])
            with self.lock:
                self.revoked_tokens.append(minted["token"])
        else:
            with self.lock:
                self.live_tokens.append(minted["token"])

    def key(self, rng: random.Random) -> None:
        made = self.client.api_keys.create(role="viewer", name="load")
        if rng.random() < 0.5:
            self.client.api_keys.revoke(made["id"])
            with self.lock:
                self.revoked_keys.append(made)
        else:
            with self.lock:
                self.live_keys.append(made)

    def deployment(self, rng: random.Random) -> None:
        target = rng.choice(self.shared)
        made = deploy(self.client, target, self.ring_id)
        with self.lock:
            self.deployments.append(made["id"])


def test_32_concurrent_writers_keep_every_invariant(make_client, tenant):
    client = _no_retry_client(make_client)
    service = deploy_service(
        client, [{"path": "/whoami", "method": "GET", "source": ECHO, "auth_mode": "service_token"}]
    )
    load = _Load(client, service["id"], client.rings.resolve("dev"))
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(load.run, range(THREADS)))
    assert load.errors == []

    # Every deployment ends, and at most one per component is active in the ring.
    for dep_id in load.deployments:
        wait_for(client.component_deployments, dep_id, FINAL, timeout=180)
    # Read again once all have settled: one seen active early may be superseded since.
    finals = [client.component_deployments.status(d) for d in load.deployments]
    assert all(f["status"] in FINAL for f in finals)
    active = Counter(f["component_id"] for f in finals if f["status"] == "active")
    assert all(n == 1 for n in active.values()), active
    listed = client.component_deployments.list(ring_id=load.ring_id, status="active")
    assert Counter(d["component_id"] for d in listed if d["component_id"] in active) == active

    # No version half-published: a published version holds every endpoint it was given.
    for sid, count in load.services.items():
        (version,) = client.hosted_services.versions.list(sid)
        assert version["status"] == ("published" if sid in load.published else "draft"), version
        assert len(client.hosted_services.endpoints.list(sid, version["id"])) == count
        assert client.hosted_services.get(sid)["status"] == ("active" if sid in load.published else "draft")

    # Every minted token works at the gateway; every revoked one is refused there.
    url = f"{tenant.url}/api/v1/orgs/{tenant.org_id}/services/{service['id']}/whoami"
    with httpx.Client(timeout=30) as http:
        for token in load.live_tokens:
            assert http.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        for token in load.revoked_tokens:
            answer = http.get(url, headers={"Authorization": f"Bearer {token}"})
            assert (answer.status_code, answer.json()["code"]) == (401, "TOKEN_REVOKED")
    # Every API key is listed; the revoked ones no longer exchange for a token.
    listed_keys = {k["id"] for k in client.api_keys.list()}
    assert {k["id"] for k in load.live_keys + load.revoked_keys} <= listed_keys
    for key in load.live_keys:
        assert CLIClient.exchange_api_key(tenant.url, key["api_key"])
    for key in load.revoked_keys:
        with pytest.raises(CLIAuthenticationError):
            CLIClient.exchange_api_key(tenant.url, key["api_key"])
