"""Two platform workers on one PostgreSQL database: a revocation made through one is
refused by the other's gateway on its very next call."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from flow_platform.domain.errors import Unauthenticated
from flow_platform.domain.service_token_verifier import ServiceTokenVerifier
from flow_platform.platform import Platform
from flow_sdk.cli_client import CLIClient
from flow_sdk.config import FlowConfig
from support.databases import pg_unavailable_reason, scratch_pg_database
from support.hosted import deploy
from support.platform import RunningPlatform
from support.workers import platform_workers

ECHO = 'def main(request):\n    return request["claims"].get("n")\n'


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


def test_revocation_through_one_worker_is_refused_by_the_other_at_once(workers):
    a, b = workers
    tenant = a.bootstrap()
    with _client(a, tenant) as via_a, _client(b, tenant) as via_b, httpx.Client(timeout=30) as http:
        sid = deploy(via_a, [{"path": "/n", "method": "GET", "source": ECHO, "auth_mode": "service_token"}])["id"]
        urls = [f"{w.url}/api/v1/orgs/{tenant.org_id}/services/{sid}/n" for w in workers]

        def status(url: str, minted: dict) -> int:
            return http.get(url, headers={"Authorization": f"Bearer {minted['token']}"}).status_code

        first = via_a.hosted_services.service_tokens.mint(service_id=sid, claims={"n": 1})
        second = via_b.hosted_services.service_tokens.mint(service_id=sid, claims={"n": 2})
        for url in urls:  # both gateways have warm views before the revocation
            assert http.get(url, headers={"X-API-Key": first["token"]}).json() == 1
            assert http.get(url, headers={"X-API-Key": second["token"]}).json() == 2

        via_a.hosted_services.service_tokens.revoke(service_id=sid, jti=first["jti"], expires_at=first["expires_at"])
        assert status(urls[1], first) == 401  # the other worker, very next call
        assert status(urls[0], first) == 401
        assert [status(u, second) for u in urls] == [200, 200]

        via_b.hosted_services.service_tokens.revoke_all(service_id=sid)
        assert status(urls[0], second) == 401  # now the first worker, after a revoke_all through the second
        assert status(urls[1], second) == 401
        third = via_a.hosted_services.service_tokens.mint(service_id=sid, claims={"n": 3})
        assert [status(u, third) for u in urls] == [200, 200]


def test_in_process_verifiers_on_each_workers_settings_agree(workers):
    a, b = workers
    tenant = b.bootstrap()
    platforms = [Platform.open(w.settings) for w in workers]
    verifiers = [ServiceTokenVerifier(w.settings, p.engine) for w, p in zip(workers, platforms, strict=True)]
    try:
        with _client(b, tenant) as via_b:
            sid = via_b.hosted_services.create({"slug": "svc-agree", "name": "s", "execution_mode": "persistent"})["id"]
            minted = via_b.hosted_services.service_tokens.mint(service_id=sid)
            for v in verifiers:
                v.verify(minted["token"], sid)
            via_b.hosted_services.service_tokens.revoke(service_id=sid, jti=minted["jti"])
            for v in verifiers:
                with pytest.raises(Unauthenticated, match="revoked"):
                    v.verify(minted["token"], sid)
    finally:
        for v, p in zip(verifiers, platforms, strict=True):
            v.close()
            p.close()
