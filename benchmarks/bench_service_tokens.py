"""Service-token verification on one core: with the revocation check vs a bare signature check.

python3 dev.py bench service_tokens

"bare" is what a verifier without revocations does: PyJWT's decode with the algorithm
pinned and audience, issuer and expiry checked. "with revocations" is
``ServiceTokenVerifier.verify`` with its signature cache off: the same checks plus the
revocation counter read and the jti/cutoff look-ups, against a store holding 1,000
revocations. The gateway runs it with the cache on (a token's signature is checked
once, its expiry, audience and revocation every time); that figure is printed too. Embedded SQLite
first; then PostgreSQL when one answers at FLOW_TEST_PG_URL (one loopback round trip
per check, reported for information: the target is set on the embedded store).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import jwt
from _common import ROOT, alternate, report

from flow_platform.domain import service_tokens as st
from flow_platform.domain.service_token_verifier import ServiceTokenVerifier
from flow_platform.domain.signing import keypair
from flow_platform.platform import Platform
from flow_platform.settings import Settings
from flow_platform.store.migrate import upgrade
from flow_platform.store.tables import HostedService, Org, Workspace

CALLS_PER_ROUND = 5_000
ROUNDS = 8
REVOCATIONS = 1_000
ORG, WS = str(uuid.uuid4()), str(uuid.uuid4())


def _rate(fn: Callable[[], object]) -> Callable[[], list[float]]:
    def side() -> list[float]:
        start = time.perf_counter()
        for _ in range(CALLS_PER_ROUND):
            fn()
        return [CALLS_PER_ROUND / (time.perf_counter() - start)]

    return side


def _services(platform: Platform, count: int) -> list[str]:
    with platform.sessions() as s:
        s.add(Org(id=ORG, name="bench"))
        s.flush()
        s.add(Workspace(id=WS, org_id=ORG, name="bench"))
        s.flush()
        rows = [
            HostedService(org_id=ORG, workspace_id=WS, slug=f"bench-{i}", name="bench",
                          execution_mode="persistent", created_by="bench")
            for i in range(count)
        ]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def _concurrent_rate(verifier: ServiceTokenVerifier, token: str, service_id: str) -> float:
    """``averify`` from 32 concurrent calls on one event loop, as the gateway makes them."""
    import asyncio

    async def run() -> float:
        async def caller(n: int) -> None:
            for _ in range(n):
                await verifier.averify(token, service_id)

        await caller(10)
        start = time.perf_counter()
        await asyncio.gather(*(caller(CALLS_PER_ROUND // 32) for _ in range(32)))
        rate = (CALLS_PER_ROUND // 32) * 32 / (time.perf_counter() - start)
        await verifier.aclose()
        return rate

    return max(asyncio.run(run()) for _ in range(3))


def measure(platform: Platform, label: str) -> float:
    settings = platform.settings
    service_id, *others = _services(platform, 11)
    with platform.sessions() as s:
        for i in range(REVOCATIONS):
            st.revoke_service_token(
                s, org_id=ORG, workspace_id=WS, service_id=service_id if i % 2 else others[i % 10],
                jti=uuid.uuid4().hex, expires_at=None, reason="bench", revoked_by="bench",
            )
        st.revoke_all_service_tokens(
            s, org_id=ORG, workspace_id=WS, service_id=others[0], reason="bench", revoked_by="bench"
        )
        minted = st.mint_service_token(
            s, settings, org_id=ORG, workspace_id=WS, service_id=service_id, claims={"tenant_id": "t-1"}
        )
    body = minted.token[len(st.PREFIX):]
    public = keypair(settings, st.SIGNING_PURPOSE).public
    audience = st.audience_for(service_id)
    verifier = ServiceTokenVerifier(settings, platform.engine, cache_size=0)
    cached = ServiceTokenVerifier(settings, platform.engine)

    def bare() -> object:
        return jwt.decode(body, public, algorithms=["EdDSA"], audience=audience, issuer=settings.issuer)

    def checked() -> object:
        return verifier.verify(minted.token, service_id)

    def as_the_gateway() -> object:
        return cached.verify(minted.token, service_id)

    try:
        checked(), bare(), as_the_gateway()
        with_rev, without, gateway = alternate(ROUNDS, _rate(checked), _rate(bare), _rate(as_the_gateway))
        concurrent = _concurrent_rate(cached, minted.token, service_id) if cached.reads_asynchronously else None
    finally:
        verifier.close()
        cached.close()
    best_with, best_bare = max(with_rev), max(without)
    ratio = best_with / best_bare
    report(
        f"service-token verifications per second, one core ({label})",
        [
            ("bare signature check", f"{best_bare:,.0f} /s"),
            ("with revocation check", f"{best_with:,.0f} /s"),
            ("same, signature cached", f"{max(gateway):,.0f} /s (the gateway's way; information)"),
            *(
                [("gateway path, 32 concurrent", f"{concurrent:,.0f} /s (averify, coalesced reads; information)")]
                if concurrent
                else []
            ),
            ("view reloads during run", f"{verifier.reloads} (1 = only the first load)"),
            ("samples", f"{ROUNDS} alternating rounds of {CALLS_PER_ROUND:,}, best of each"),
        ],
        "with revocations / bare",
        ratio,
        ">= 0.8" if label.startswith("sqlite") else "information only",
    )
    return ratio


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    sys.path.insert(0, str(ROOT / "tests"))
    from support.databases import pg_unavailable_reason, scratch_pg_database

    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp, ExitStack() as stack:
        secret = uuid.uuid4().hex
        sqlite = Platform.open(Settings(data_dir=Path(tmp), secret_key=secret))
        stack.callback(sqlite.close)
        upgrade(sqlite.engine, sqlite.settings)
        ratio = measure(sqlite, "sqlite, embedded")
        if pg_unavailable_reason() is None:
            url = stack.enter_context(scratch_pg_database("flow_bench"))
            pg = Platform.open(Settings(data_dir=Path(tmp), database_url=url, secret_key=secret))
            stack.callback(pg.close)
            upgrade(pg.engine, pg.settings)
            measure(pg, "postgresql, loopback")
    return 0 if ratio >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
