"""Service-token verification on one core: with the revocation check vs a bare signature check.

python3 dev.py bench service_tokens

"bare" is what a verifier without revocations does: PyJWT's decode with the algorithm
pinned and audience, issuer and expiry checked. "with revocations" is the gateway's
``ServiceTokenVerifier.verify``: the same checks plus the revocation counter read and
the jti/cutoff look-ups, against a store holding 1,000 revocations. Embedded SQLite
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


def measure(platform: Platform, label: str) -> float:
    settings = platform.settings
    service_id = str(uuid.uuid4())
    with platform.sessions() as s:
        for i in range(REVOCATIONS):
            st.revoke_service_token(
                s, org_id=ORG, workspace_id=WS, service_id=service_id if i % 2 else str(uuid.uuid4()),
                jti=uuid.uuid4().hex, expires_at=None, reason="bench", revoked_by="bench",
            )
        st.revoke_all_service_tokens(
            s, org_id=ORG, workspace_id=WS, service_id=str(uuid.uuid4()), reason="bench", revoked_by="bench"
        )
        minted = st.mint_service_token(
            s, settings, org_id=ORG, workspace_id=WS, service_id=service_id, claims={"tenant_id": "t-1"}
        )
    body = minted.token[len(st.PREFIX):]
    public = keypair(settings, st.SIGNING_PURPOSE).public
    audience = st.audience_for(service_id)
    verifier = ServiceTokenVerifier(settings, platform.engine)

    def bare() -> object:
        return jwt.decode(body, public, algorithms=["EdDSA"], audience=audience, issuer=settings.issuer)

    def checked() -> object:
        return verifier.verify(minted.token, service_id)

    try:
        checked(), bare()
        with_rev, without = alternate(ROUNDS, _rate(checked), _rate(bare))
    finally:
        verifier.close()
    best_with, best_bare = max(with_rev), max(without)
    ratio = best_with / best_bare
    report(
        f"service-token verifications per second, one core ({label})",
        [
            ("bare signature check", f"{best_bare:,.0f} /s"),
            ("with revocation check", f"{best_with:,.0f} /s"),
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
