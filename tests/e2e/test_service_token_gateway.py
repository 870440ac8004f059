"""Service tokens at the gateway: a real service, raw HTTP calls, every way a token is refused."""

from __future__ import annotations

import base64
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from flow_platform.domain.service_tokens import PREFIX, SIGNING_PURPOSE
from flow_platform.domain.signing import keypair
from support.hosted import deploy

ECHO = 'def main(request):\n    return {"claims": request["claims"], "path": request["path"]}\n'


def _endpoints(auth_mode: str = "service_token") -> list[dict[str, Any]]:
    return [
        {"path": "/whoami", "method": "GET", "source": ECHO, "auth_mode": auth_mode},
        {"path": "/platform", "method": "GET", "source": ECHO},
    ]


@pytest.fixture
def service(client, tenant) -> dict[str, Any]:
    sid = deploy(client, _endpoints())["id"]
    return {"id": sid, "base": f"{tenant.url}/api/v1/orgs/{tenant.org_id}/services/{sid}"}


@pytest.fixture
def http():
    with httpx.Client(timeout=30) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(response: httpx.Response, code: str | None = None) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    if code:
        assert response.json()["code"] == code


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_minted_token_works_and_its_claims_reach_the_handler(client, service, http):
    minted = client.hosted_services.service_tokens.mint(
        service_id=service["id"], claims={"tenant_id": "t-123", "role": "reader"}, ttl_minutes=120
    )
    for headers in (_bearer(minted["token"]), {"X-API-Key": minted["token"]}):
        r = http.get(f"{service['base']}/whoami", headers=headers)
        assert r.status_code == 200, r.text
        claims = r.json()["claims"]
        assert claims["tenant_id"] == "t-123" and claims["role"] == "reader"
        assert claims["jti"] == minted["jti"] and claims["sub"] == service["id"]
    pinned = http.get(f"{service['base']}/v1/whoami", headers=_bearer(minted["token"]))
    assert pinned.json()["claims"]["tenant_id"] == "t-123"


def test_revoke_then_revoke_all(client, service, http):
    tokens = client.hosted_services.service_tokens
    url = f"{service['base']}/whoami"
    a = tokens.mint(service_id=service["id"], claims={"n": "a"})
    b = tokens.mint(service_id=service["id"], claims={"n": "b"})
    assert http.get(url, headers=_bearer(a["token"])).json()["claims"]["n"] == "a"
    tokens.revoke(service_id=service["id"], jti=a["jti"], expires_at=a["expires_at"], reason="leaked")
    _refused(http.get(url, headers=_bearer(a["token"])), "TOKEN_REVOKED")
    assert http.get(url, headers=_bearer(b["token"])).json()["claims"]["n"] == "b"
    tokens.revoke_all(service_id=service["id"], reason="rotate")
    _refused(http.get(url, headers=_bearer(a["token"])), "TOKEN_REVOKED")
    _refused(http.get(url, headers={"X-API-Key": b["token"]}), "TOKEN_REVOKED")
    c = tokens.mint(service_id=service["id"], claims={"n": "c"})
    assert http.get(url, headers=_bearer(c["token"])).json()["claims"]["n"] == "c"


def test_expired_token_is_refused(platform, client, service, http):
    minted = client.hosted_services.service_tokens.mint(service_id=service["id"])
    payload = jwt.decode(minted["token"][len(PREFIX) :], options={"verify_signature": False})
    now = int(time.time())
    # Signed with the platform's own service-token key: a genuine token, only expired.
    expired = PREFIX + jwt.encode(
        {**payload, "iat": now - 7200, "exp": now - 3600},
        keypair(platform.settings, SIGNING_PURPOSE).private,
        algorithm="EdDSA",
    )
    _refused(http.get(f"{service['base']}/whoami", headers=_bearer(expired)), "TOKEN_EXPIRED")
    assert http.get(f"{service['base']}/whoami", headers=_bearer(minted["token"])).status_code == 200


def test_token_of_service_a_on_service_b_is_refused(client, tenant, service, http):
    other = deploy(client, _endpoints())["id"]
    token_a = client.hosted_services.service_tokens.mint(service_id=service["id"])["token"]
    other_url = f"{tenant.url}/api/v1/orgs/{tenant.org_id}/services/{other}/whoami"
    _refused(http.get(other_url, headers=_bearer(token_a)))
    token_b = client.hosted_services.service_tokens.mint(service_id=other)["token"]
    assert http.get(other_url, headers=_bearer(token_b)).status_code == 200


def test_platform_credentials_are_not_service_tokens(client, tenant, service, http):
    url = f"{service['base']}/whoami"
    _refused(http.get(url))
    _refused(http.get(url, headers=_bearer(client.config.access_token)))
    _refused(http.get(url, headers={"X-API-Key": tenant.api_key}))
    _refused(http.get(url, headers=_bearer(PREFIX + client.config.access_token)))
    # ...and a service token is not a platform credential, on the gateway or the API.
    token = client.hosted_services.service_tokens.mint(service_id=service["id"])["token"]
    _refused(http.get(f"{service['base']}/platform", headers=_bearer(token)))
    _refused(http.get(f"{tenant.url}/api/v1/auth/me", headers=_bearer(token)))
    _refused(http.get(f"{tenant.url}/api/v1/auth/me", headers={"X-API-Key": token}))
    assert http.get(f"{service['base']}/platform", headers=_bearer(client.config.access_token)).status_code == 200


def test_forged_tokens_are_refused(platform, client, service, http):
    minted = client.hosted_services.service_tokens.mint(service_id=service["id"], claims={"tenant_id": "t-1"})
    url = f"{service['base']}/whoami"
    head, body, sig = minted["token"][len(PREFIX) :].split(".")
    payload = jwt.decode(minted["token"][len(PREFIX) :], options={"verify_signature": False})
    public_pem = keypair(platform.settings, SIGNING_PURPOSE).public_pem()
    hs_head = _b64({"alg": "HS256", "typ": "JWT"})
    hs_body = _b64({**payload, "tenant_id": "t-admin"})
    hs_sig = base64.urlsafe_b64encode(hmac.new(public_pem, f"{hs_head}.{hs_body}".encode(), "sha256").digest())
    attacker_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forgeries = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**payload, 'tenant_id': 't-admin'})}.",
        "HS256 keyed with the public key": f"{hs_head}.{hs_body}.{hs_sig.rstrip(b'=').decode()}",
        "RS256, attacker key": jwt.encode({**payload, "tenant_id": "t-admin"}, attacker_rsa, algorithm="RS256"),
        "EdDSA, attacker key": jwt.encode(payload, Ed25519PrivateKey.generate(), algorithm="EdDSA"),
        "edited claims": f"{head}.{_b64({**payload, 'tenant_id': 't-admin'})}.{sig}",
        "truncated signature": f"{head}.{body}.{sig[:-4]}",
    }
    for name, forged in forgeries.items():
        r = http.get(url, headers=_bearer(PREFIX + forged))
        assert r.status_code == 401, name
        assert r.headers["www-authenticate"].startswith("Bearer"), name
    assert http.get(url, headers=_bearer(minted["token"])).json()["claims"]["tenant_id"] == "t-1"
