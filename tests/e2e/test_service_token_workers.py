"""Two platform workers on one PostgreSQL database: a revocation through one is refused
by the other on its very next check."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from flow_platform.domain.errors import Unauthenticated
from flow_platform.domain.service_token_verifier import ServiceTokenVerifier
from flow_platform.platform import Platform
from flow_sdk.cli_client import CLIClient
from flow_sdk.config import FlowConfig
from support.databases import pg_unavailable_reason, scratch_pg_database
from support.platform import RunningPlatform
from support.workers import platform_workers


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RunningPlatform]]:
    if "postgres" not in os.environ.get("FLOW_TEST_BACKENDS", "sqlite,postgres").split(","):
        pytest.skip("the PostgreSQL leg is not selected (FLOW_TEST_BACKENDS)")
    reason = pg_unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with scratch_pg_database("flow_workers") as url, platform_workers(tmp_path_factory.mktemp("workers"), url) as ws:
        yield ws


def _client(worker: RunningPlatform, tenant) -> CLIClient:
    token = CLIClient.exchange_api_key(worker.url, tenant.api_key)
    return CLIClient(FlowConfig(token, worker.url, tenant.org_id, tenant.workspace_id))


@pytest.fixture
def verifiers(workers: list[RunningPlatform]) -> Iterator[list[ServiceTokenVerifier]]:
    """A verifier with its own connection and view per worker's settings."""
    platforms = [Platform.open(w.settings) for w in workers]
    made = [ServiceTokenVerifier(w.settings, p.engine) for w, p in zip(workers, platforms, strict=True)]
    yield made
    for v, p in zip(made, platforms, strict=True):
        v.close()
        p.close()


def test_revocation_through_one_worker_is_seen_by_the_other(workers, verifiers):
    a, b = workers
    tenant = a.bootstrap()
    service_id = str(uuid.uuid4())
    with _client(a, tenant) as via_a, _client(b, tenant) as via_b:
        first = via_a.hosted_services.service_tokens.mint(service_id=service_id, claims={"n": 1})
        second = via_b.hosted_services.service_tokens.mint(service_id=service_id, claims={"n": 2})
        for v in verifiers:  # both views are warm before the revocation
            assert v.verify(first["token"], service_id)["n"] == 1
            assert v.verify(second["token"], service_id)["n"] == 2
        via_a.hosted_services.service_tokens.revoke(
            service_id=service_id, jti=first["jti"], expires_at=first["expires_at"]
        )
        for v in verifiers:
            with pytest.raises(Unauthenticated, match="revoked"):
                v.verify(first["token"], service_id)
            v.verify(second["token"], service_id)
        via_b.hosted_services.service_tokens.revoke_all(service_id=service_id)
        for v in verifiers:
            with pytest.raises(Unauthenticated, match="revoked"):
                v.verify(second["token"], service_id)
        third = via_a.hosted_services.service_tokens.mint(service_id=service_id)
        for v in verifiers:
            assert v.verify(third["token"], service_id)["jti"] == third["jti"]
