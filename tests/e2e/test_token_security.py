"""Forged, tampered, expired and misdirected tokens are all refused with 401."""

from __future__ import annotations

import base64
import hmac
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from flow_platform.domain.access_tokens import issue_access_token
from flow_platform.domain.signing import keypair
from flow_sdk.cli_client import CLIClient


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def real_claims(tenant):
    token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
    return token, jwt.decode(token, options={"verify_signature": False})


def _status(url: str, token: str) -> int:
    return httpx.get(f"{url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_genuine_token_is_accepted(tenant, real_claims):
    assert _status(tenant.url, real_claims[0]) == 200


def test_alg_none_is_refused(tenant, real_claims):
    _, claims = real_claims
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'role': 'admin'})}."
    assert _status(tenant.url, forged) == 401


def test_hs256_signed_with_the_public_key_is_refused(platform, tenant, real_claims):
    _, claims = real_claims
    public_pem = keypair(platform.settings).public_pem()
    # PyJWT itself refuses to HMAC with a PEM key, so the forgery is built by hand.
    raw = (
        base64.urlsafe_b64encode(
            hmac.new(public_pem, f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}".encode(), "sha256").digest()
        )
        .rstrip(b"=")
        .decode()
    )
    assert _status(tenant.url, f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}.{raw}") == 401


def test_rs256_with_an_attacker_key_is_refused(tenant, real_claims):
    _, claims = real_claims
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _status(tenant.url, jwt.encode(claims, attacker, algorithm="RS256")) == 401


def test_eddsa_with_another_key_is_refused(tenant, real_claims):
    _, claims = real_claims
    assert _status(tenant.url, jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA")) == 401


def test_tampered_payload_is_refused(tenant, real_claims, platform):
    token, claims = real_claims
    head, _, sig = token.split(".")
    other = platform.bootstrap()
    for change in (
        {"role": "admin", "sub": other.api_key_id},
        {"org_id": other.org_id},
        {"exp": claims["exp"] + 86400},
    ):
        assert _status(tenant.url, f"{head}.{_b64({**claims, **change})}.{sig}") == 401


def test_expired_token_is_refused(platform, tenant):
    issued = issue_access_token(
        platform.settings,
        key_id=tenant.api_key_id,
        org_id=tenant.org_id,
        workspace_id=tenant.workspace_id,
        role="admin",
        ttl_minutes=1,
    )
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 3600, exp=now - 600)
    expired = jwt.encode(claims, keypair(platform.settings).private, algorithm="EdDSA")
    r = httpx.get(f"{tenant.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert r.json()["code"] == "TOKEN_EXPIRED"
    assert _status(tenant.url, issued.token) == 200


@pytest.mark.parametrize("claim,value", [("aud", "someone-else"), ("iss", "evil"), ("typ", "service")])
def test_wrong_audience_issuer_or_type_is_refused(platform, tenant, real_claims, claim, value):
    _, claims = real_claims
    signed = jwt.encode({**claims, claim: value}, keypair(platform.settings).private, algorithm="EdDSA")
    assert _status(tenant.url, signed) == 401


@pytest.mark.parametrize("missing", ["exp", "iat", "jti", "iss", "aud", "sub"])
def test_required_claims(platform, tenant, real_claims, missing):
    _, claims = real_claims
    del claims[missing]
    assert _status(tenant.url, jwt.encode(claims, keypair(platform.settings).private, algorithm="EdDSA")) == 401


def test_database_holds_no_api_key_in_clear(platform, tenant):
    from sqlalchemy import inspect, select
    from sqlalchemy import table as sa_table

    secret_part = tenant.api_key[len("fl_") + 12 : -6]
    with platform.session() as session:
        # The session's own connection: a second one would queue behind its write lock (SQLite).
        inspector = inspect(session.connection())
        for name in inspector.get_table_names():
            cols = [c["name"] for c in inspector.get_columns(name)]
            from sqlalchemy import column

            for row in session.execute(select(*[column(c) for c in cols]).select_from(sa_table(name))):
                for value in row:
                    text = str(value)
                    assert tenant.api_key not in text, f"clear API key in {name}"
                    assert secret_part not in text, f"API key secret in {name}"
    assert tenant.api_key not in platform.output()
