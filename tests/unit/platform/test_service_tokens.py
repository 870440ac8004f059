"""Service-token rules and the verifier, in process on an embedded SQLite store."""

from __future__ import annotations

import base64
import hmac
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from flow_platform.domain import service_tokens as st
from flow_platform.domain.access_tokens import issue_access_token
from flow_platform.domain.errors import NotFound, Unauthenticated, Unprocessable
from flow_platform.domain.service_token_verifier import ServiceTokenVerifier
from flow_platform.domain.signing import keypair
from flow_platform.platform import Platform
from flow_platform.settings import Settings
from flow_platform.store.db import read_only_engine
from flow_platform.store.migrate import upgrade
from flow_platform.store.tables import HostedService, Org, Workspace

ORG, WS = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated store with one org and workspace, copied for each test (migrating is slow)."""
    folder = tmp_path_factory.mktemp("template")
    p = Platform.open(Settings(data_dir=folder, secret_key="unit-test-secret"))
    upgrade(p.engine, p.settings)
    with p.sessions() as s:
        s.add(Org(id=ORG, name="org"))
        s.flush()
        s.add(Workspace(id=WS, org_id=ORG, name="main"))
        s.commit()
    # A checkpoint cannot run inside a write transaction: use a deferred (read) one.
    with read_only_engine(p.engine).connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    p.close()
    return folder / "platform.db"


@pytest.fixture
def platform(migrated: Path, tmp_path: Path) -> Iterator[Platform]:
    shutil.copy(migrated, tmp_path / "platform.db")
    p = Platform.open(Settings(data_dir=tmp_path, secret_key="unit-test-secret"))
    yield p
    p.close()


def new_service(platform: Platform) -> str:
    with platform.sessions() as s:
        row = HostedService(
            org_id=ORG,
            workspace_id=WS,
            slug=f"s-{uuid.uuid4().hex[:8]}",
            name="s",
            execution_mode="persistent",
            created_by="tester",
        )
        s.add(row)
        s.commit()
        return row.id


@pytest.fixture
def verifier(platform: Platform) -> Iterator[ServiceTokenVerifier]:
    v = ServiceTokenVerifier(platform.settings, platform.engine)
    yield v
    v.close()


@pytest.fixture
def service(platform: Platform) -> str:
    return new_service(platform)


def mint(platform: Platform, service_id: str, **kw: Any) -> st.MintedServiceToken:
    with platform.sessions() as s:
        return st.mint_service_token(s, platform.settings, org_id=ORG, workspace_id=WS, service_id=service_id, **kw)


def revoke(platform: Platform, service_id: str, jti: str, **kw: Any) -> st.Revoked:
    kw.setdefault("expires_at", None)
    kw.setdefault("reason", "test")
    with platform.sessions() as s:
        return st.revoke_service_token(
            s, org_id=ORG, workspace_id=WS, service_id=service_id, jti=jti, revoked_by="tester", **kw
        )


def revoke_all(platform: Platform, service_id: str, **kw: Any) -> Any:
    with platform.sessions() as s:
        return st.revoke_all_service_tokens(
            s, org_id=ORG, workspace_id=WS, service_id=service_id, reason="rotate", revoked_by="tester", **kw
        )


def listing(platform: Platform, service_id: str, **kw: Any) -> list[st.RevocationEntry]:
    with platform.sessions() as s:
        return st.read_revocations(s, org_id=ORG, workspace_id=WS, service_id=service_id, **kw)


def refused(verifier: ServiceTokenVerifier, token: str, service_id: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as info:
        verifier.verify(token, service_id)
    return info.value


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _payload(token: str) -> dict[str, Any]:
    return jwt.decode(token[len(st.PREFIX) :], options={"verify_signature": False})


# -- minting rules -------------------------------------------------------------------
def test_minted_token_shape(platform, verifier, service):
    minted = mint(platform, service, claims={"tenant_id": "t-123", "role": "reader"}, ttl_minutes=120)
    assert minted.token.startswith("fl_hsl_eyJ")
    assert len(minted.jti) == 40 and int(minted.jti, 16) >= 0  # 128 random bits + the expiry, hex
    assert st.expiry_in_jti(minted.jti) == minted.expires_at
    assert minted.expires_at - minted.issued_at == timedelta(minutes=120)
    assert minted.claims == {"tenant_id": "t-123", "role": "reader"}
    header = jwt.get_unverified_header(minted.token[len(st.PREFIX) :])
    assert header["alg"] == "EdDSA"
    payload = _payload(minted.token)
    assert payload["aud"] == st.audience_for(service) and payload["sub"] == service
    assert payload["typ"] == "service" and payload["org_id"] == ORG
    claims = verifier.verify(minted.token, service)
    assert claims["tenant_id"] == "t-123" and claims["jti"] == minted.jti


def test_jtis_are_unique(platform, service):
    assert len({mint(platform, service).jti for _ in range(50)}) == 50


def test_ttl_default_and_maximum(platform, service):
    assert mint(platform, service).ttl_minutes == st.DEFAULT_TTL_MINUTES == 60
    assert mint(platform, service, ttl_minutes=st.MAX_TTL_MINUTES).ttl_minutes == 10080


@pytest.mark.parametrize("ttl", [0, -1, st.MAX_TTL_MINUTES + 1])
def test_ttl_out_of_range_is_422(platform, service, ttl):
    with pytest.raises(Unprocessable) as info:
        mint(platform, service, ttl_minutes=ttl)
    assert info.value.details[0]["field"] == "ttl_minutes"


@pytest.mark.parametrize("name", sorted(st.RESERVED_CLAIMS))
def test_reserved_claim_names_are_422(platform, service, name):
    with pytest.raises(Unprocessable) as info:
        mint(platform, service, claims={name: "x", "ok": 1})
    assert name in info.value.message


@pytest.mark.parametrize("claims", [["a"], "text", 3])
def test_claims_must_be_an_object(platform, service, claims):
    with pytest.raises(Unprocessable):
        mint(platform, service, claims=claims)


def test_claims_size_limit(platform, service):
    # {"k":"..."} is 8 bytes of JSON around the value.
    mint(platform, service, claims={"k": "x" * (st.MAX_CLAIMS_BYTES - 8)})
    with pytest.raises(Unprocessable):
        mint(platform, service, claims={"k": "x" * (st.MAX_CLAIMS_BYTES - 7)})


def test_unknown_or_malformed_service_id_is_404(platform):
    for service_id in ("nonexistent-uuid", str(uuid.uuid4())):
        with pytest.raises(NotFound):
            mint(platform, service_id)
        with pytest.raises(NotFound):
            revoke(platform, service_id, "a" * 32)
        with pytest.raises(NotFound):
            revoke_all(platform, service_id)
        with pytest.raises(NotFound):
            listing(platform, service_id)


# -- the verifier's checks, in order -------------------------------------------------
def test_forged_tokens_are_refused(platform, verifier, service):
    minted = mint(platform, service, claims={"tenant_id": "t-1"})
    payload = _payload(minted.token)
    head, body, sig = minted.token[len(st.PREFIX) :].split(".")
    public_pem = keypair(platform.settings, st.SIGNING_PURPOSE).public_pem()
    hs_head = _b64({"alg": "HS256", "typ": "JWT"})
    hs_sig = base64.urlsafe_b64encode(hmac.new(public_pem, f"{hs_head}.{body}".encode(), "sha256").digest())
    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{body}.",
        "HS256 with the public key": f"{hs_head}.{body}.{hs_sig.rstrip(b'=').decode()}",
        "RS256 attacker key": jwt.encode(
            payload, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256"
        ),
        "EdDSA another key": jwt.encode(payload, Ed25519PrivateKey.generate(), algorithm="EdDSA"),
        "edited claims": f"{head}.{_b64({**payload, 'tenant_id': 't-2'})}.{sig}",
        "edited expiry": f"{head}.{_b64({**payload, 'exp': payload['exp'] + 86400})}.{sig}",
        "access-token key": jwt.encode(payload, keypair(platform.settings).private, algorithm="EdDSA"),
    }
    for name, token in forged.items():
        err = refused(verifier, st.PREFIX + token, service)
        assert err.code == "INVALID_TOKEN", name
    assert verifier.verify(minted.token, service)["tenant_id"] == "t-1"


def test_platform_access_token_is_not_a_service_token(platform, verifier, service):
    access = issue_access_token(platform.settings, key_id="k", org_id=ORG, workspace_id=WS, role="admin").token
    assert refused(verifier, access, service).code == "INVALID_TOKEN"
    assert refused(verifier, st.PREFIX + access, service).code == "INVALID_TOKEN"


def test_token_of_another_service_is_refused(platform, verifier, service):
    minted = mint(platform, service)
    err = refused(verifier, minted.token, str(uuid.uuid4()))
    assert "not valid for this service" in err.message


def _signed(platform: Platform, payload: dict[str, Any]) -> str:
    keys = keypair(platform.settings, st.SIGNING_PURPOSE)
    return st.PREFIX + jwt.encode(payload, keys.private, algorithm="EdDSA")


def test_expired_token_is_refused_even_before_revocation(platform, verifier, service):
    minted = mint(platform, service)
    payload = _payload(minted.token)
    now = int(time.time())
    expired = _signed(platform, {**payload, "iat": now - 3600, "exp": now - 600})
    assert refused(verifier, expired, service).code == "TOKEN_EXPIRED"
    revoke(platform, service, payload["jti"])
    # Expiry is checked before revocation.
    assert refused(verifier, expired, service).code == "TOKEN_EXPIRED"
    # ...and the audience before revocation too.
    assert "not valid for this service" in refused(verifier, minted.token, str(uuid.uuid4())).message
    assert refused(verifier, minted.token, service).code == "TOKEN_REVOKED"


def test_missing_or_wrong_registered_claims_are_refused(platform, verifier, service):
    payload = _payload(mint(platform, service).token)
    for change in ({"typ": "access"}, {"iss": "evil"}, {"sub": str(uuid.uuid4())}, {"iat": "now"}):
        assert refused(verifier, _signed(platform, {**payload, **change}), service).code == "INVALID_TOKEN"
    for name in ("exp", "iat", "jti"):
        trimmed = {k: v for k, v in payload.items() if k != name}
        assert refused(verifier, _signed(platform, trimmed), service).code == "INVALID_TOKEN"


# -- revocation ------------------------------------------------------------------------
def test_revoke_refuses_that_token_only(platform, verifier, service):
    a, b = mint(platform, service), mint(platform, service)
    verifier.verify(a.token, service)
    revoke(platform, service, a.jti, expires_at=a.expires_at, reason="leaked")
    assert refused(verifier, a.token, service).code == "TOKEN_REVOKED"
    verifier.verify(b.token, service)


def test_revoke_is_idempotent_and_says_nothing_about_existence(platform, service):
    real = mint(platform, service)
    when = datetime.now(UTC) + timedelta(minutes=30)
    first = revoke(platform, service, real.jti, expires_at=when, reason="r")
    again = revoke(platform, service, real.jti, expires_at=when, reason="r")
    # Never minted, same shape (the expiry is in the jti): the same answer but for the jti.
    unknown = revoke(platform, service, "0" * 32 + real.jti[32:], expires_at=when, reason="r")
    assert first == again
    assert {**unknown.__dict__, "jti": real.jti} == first.__dict__
    assert [e.jti for e in listing(platform, service)].count(real.jti) == 1


@pytest.mark.parametrize("jti", ["", "x" * 65, "a b", "../x"])
def test_revoke_rejects_malformed_jti(platform, service, jti):
    with pytest.raises(Unprocessable):
        revoke(platform, service, jti)


def test_revoke_rejects_an_expiry_no_token_can_have(platform, service):
    with pytest.raises(Unprocessable):
        revoke(platform, service, "a" * 32, expires_at=datetime.now(UTC) + timedelta(days=30))


def test_revoke_all_cutoff(platform, verifier, service):
    other_service = new_service(platform)
    old, other = mint(platform, service), mint(platform, other_service)
    verifier.verify(old.token, service)
    cutoff = revoke_all(platform, service)
    fresh = mint(platform, service)  # within the same second as the cutoff, usually
    assert refused(verifier, old.token, service).code == "TOKEN_REVOKED"
    assert verifier.verify(fresh.token, service)["jti"] == fresh.jti
    assert verifier.verify(other.token, other_service)
    # A second revoke_all moves strictly past every token minted so far.
    second = revoke_all(platform, service)
    assert second.cutoff_at > cutoff.cutoff_at or second.cutoff_at.timestamp() > _payload(fresh.token)["iat"]
    assert refused(verifier, fresh.token, service).code == "TOKEN_REVOKED"
    newest = mint(platform, service)
    verifier.verify(newest.token, service)


def test_jti_revocation_is_checked_before_the_cutoff(platform, verifier, service):
    minted = mint(platform, service)
    revoke_all(platform, service)
    assert "all tokens" in refused(verifier, minted.token, service).message
    revoke(platform, service, minted.jti)
    assert refused(verifier, minted.token, service).message == "service token has been revoked"


def test_listing_and_pruning(platform, service):
    now = datetime.now(UTC)
    revoke(platform, service, "live", expires_at=now + timedelta(hours=1), reason="live one")
    revoke(platform, service, "justexpired", expires_at=now - timedelta(minutes=1))
    revoke(platform, service, "longgone", expires_at=now - timedelta(hours=2))  # pruned at once
    revoke_all(platform, service)
    active = listing(platform, service)
    assert [(e.kind, e.jti) for e in active if e.kind == "token"] == [("token", "live")]
    assert [e.kind for e in active].count("all") == 1
    entry = next(e for e in active if e.jti == "live")
    assert (entry.reason, entry.revoked_by, entry.expired) == ("live one", "tester", False)
    everything = {e.jti for e in listing(platform, service, include_expired=True)}
    assert everything == {"live", "justexpired", None}
    # Pruning happens on writes once expires_at + leeway has passed.
    with platform.sessions() as s:
        st.prune_revocations(s, now=now + st.PRUNE_LEEWAY + timedelta(minutes=2))
    assert {e.jti for e in listing(platform, service, include_expired=True)} == {"live", None}
    assert listing(platform, new_service(platform), include_expired=True) == []


# -- the local view: no reload unless something changed, fail closed -----------------
def test_view_reloads_only_when_the_counter_moves(platform, verifier, service):
    minted = mint(platform, service)
    verifier.verify(minted.token, service)
    loads = verifier.reloads
    for _ in range(200):
        verifier.verify(minted.token, service)
    assert verifier.reloads == loads
    revoke(platform, service, "someone-else")
    verifier.verify(minted.token, service)
    assert verifier.reloads == loads + 1


def test_two_verifiers_see_each_others_revocations_at_once(platform, service):
    a = ServiceTokenVerifier(platform.settings, platform.engine)
    b = ServiceTokenVerifier(platform.settings, Platform.open(platform.settings).engine)
    try:
        minted = mint(platform, service)
        a.verify(minted.token, service)
        b.verify(minted.token, service)
        revoke(platform, service, minted.jti)
        assert refused(a, minted.token, service).code == "TOKEN_REVOKED"
        assert refused(b, minted.token, service).code == "TOKEN_REVOKED"
    finally:
        a.close()
        b.close()


def test_unreadable_store_fails_closed(platform, verifier, service):
    minted = mint(platform, service)
    verifier.verify(minted.token, service)
    with platform.engine.begin() as conn:
        conn.execute(text("ALTER TABLE service_token_revocation_counter RENAME TO counter_away"))
    assert refused(verifier, minted.token, service).code == "REVOCATION_STORE_UNAVAILABLE"
    with platform.engine.begin() as conn:
        conn.execute(text("ALTER TABLE counter_away RENAME TO service_token_revocation_counter"))
    assert verifier.verify(minted.token, service)["jti"] == minted.jti


def test_a_revocation_outlives_a_wrong_or_missing_expires_at(platform, verifier, service):
    now = datetime.now(UTC)
    minted = mint(platform, service, ttl_minutes=120)
    # The caller claims the token expires in a minute: the jti knows better.
    answer = revoke(platform, service, minted.jti, expires_at=now + timedelta(minutes=1))
    assert answer.expires_at == minted.expires_at
    with platform.sessions() as s:
        st.prune_revocations(s, now=now + timedelta(minutes=1) + st.PRUNE_LEEWAY + timedelta(minutes=5))
    assert refused(verifier, minted.token, service).code == "TOKEN_REVOKED"
    # Without expires_at the row also lives exactly as long as the token.
    other = mint(platform, service, ttl_minutes=30)
    assert revoke(platform, service, other.jti).expires_at == other.expires_at
    # A jti that was never minted (or not by us) is kept as long as any token can live, at most.
    made_up = "f" * 40
    assert revoke(platform, service, made_up).expires_at <= datetime.now(UTC) + timedelta(minutes=st.MAX_TTL_MINUTES)


def test_a_verifier_sees_a_revocation_extended_after_it_loaded_it(platform, service):
    # The first revoke ran on a clock that was behind, so the row was capped to end in
    # 30 minutes; the repeat (right clock) extends it to the token's real expiry. A
    # verifier that loaded the short row must see the longer one, or it forgets the
    # revocation while the token still lives.
    now = datetime.now(UTC)
    clock = [now.timestamp()]
    verifier = ServiceTokenVerifier(platform.settings, platform.engine, clock=lambda: clock[0])
    try:
        minted = mint(platform, service, ttl_minutes=120)
        skewed = now - timedelta(minutes=st.MAX_TTL_MINUTES) + timedelta(minutes=30)
        short = revoke(platform, service, minted.jti, now=skewed)
        assert short.expires_at < minted.expires_at
        assert refused(verifier, minted.token, service).code == "TOKEN_REVOKED"
        longer = revoke(platform, service, minted.jti)
        assert longer.expires_at == minted.expires_at
        clock[0] = (now + timedelta(minutes=60)).timestamp()  # past the short row, before the token's expiry
        assert refused(verifier, minted.token, service).code == "TOKEN_REVOKED"
        fresh = ServiceTokenVerifier(platform.settings, platform.engine, clock=lambda: clock[0])
        try:
            assert refused(fresh, minted.token, service).code == "TOKEN_REVOKED"
        finally:
            fresh.close()
    finally:
        verifier.close()


def test_listing_judges_expiry_by_the_clock_revocations_are_written_with(platform, service, monkeypatch):
    # Mint and revoke take the database's clock (PostgreSQL: shared by every host); the
    # listing's `expired` must follow the same clock, not this host's.
    now = datetime.now(UTC)
    revoke(platform, service, "soon", expires_at=now + timedelta(minutes=5))
    monkeypatch.setattr(st, "db_now", lambda session: now + timedelta(hours=1))
    (entry,) = listing(platform, service, include_expired=True)
    assert (entry.jti, entry.expired) == ("soon", True)
    assert listing(platform, service) == []
