"""Service tokens end to end: the spec snippet, the rules over HTTP, the CLI, the verifier."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from click.testing import CliRunner

from flow_platform.domain.service_token_verifier import ServiceTokenVerifier
from flow_platform.domain.service_tokens import MAX_TTL_MINUTES
from flow_platform.platform import Platform
from flow_sdk.cli.main import cli
from flow_sdk.cli_client import CLIClient, CLINotFoundError, CLIPermissionError, CLIValidationError
from flow_sdk.config import FlowConfig, save_config

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")


def new_service(client) -> str:
    data = {"slug": f"svc-{uuid.uuid4().hex[:12]}", "name": "tokens", "execution_mode": "persistent"}
    return str(client.hosted_services.create(data)["id"])


@pytest.fixture
def service_id(client) -> str:
    return new_service(client)


@pytest.fixture
def verifier(platform):
    p = Platform.open(platform.settings)
    v = ServiceTokenVerifier(platform.settings, p.engine)
    yield v
    v.close()
    p.close()


def _tokens_url(tenant, service_id: str, suffix: str = "") -> str:
    return (
        f"{tenant.url}/api/v1/orgs/{tenant.org_id}/workspaces/{tenant.workspace_id}"
        f"/hosted-services/{service_id}/service-tokens{suffix}"
    )


def test_spec_service_token_snippet_runs_verbatim(client, service_id, capsys):
    # "Service Token Management", with "<service-uuid>" filled in.
    token_result = client.hosted_services.service_tokens.mint(
        service_id=service_id,
        claims={"tenant_id": "t-123", "role": "reader"},
        ttl_minutes=120,
    )
    print(f"Token JTI: {token_result['jti']}")
    print(f"Expires: {token_result['expires_at']}")
    # Revoke a specific token
    client.hosted_services.service_tokens.revoke(
        service_id=service_id,
        jti=token_result["jti"],
        expires_at=token_result["expires_at"],
        reason="No longer needed",
    )
    # Revoke all tokens for a service
    client.hosted_services.service_tokens.revoke_all(
        service_id=service_id,
        reason="Rotating credentials",
    )
    # List active revocations
    revocations = client.hosted_services.service_tokens.list_revocations(
        service_id=service_id,
        include_expired=False,
    )

    out = capsys.readouterr().out
    assert f"Token JTI: {token_result['jti']}\nExpires: {token_result['expires_at']}\n" == out
    assert token_result["token"].startswith("fl_hsl_")
    assert token_result["service_id"] == service_id
    assert token_result["claims"] == {"tenant_id": "t-123", "role": "reader"}
    assert ISO_UTC.match(token_result["expires_at"])
    assert len(token_result["jti"]) >= 32
    by_kind = {r["kind"]: r for r in revocations}
    assert by_kind["token"]["jti"] == token_result["jti"]
    assert by_kind["token"]["reason"] == "No longer needed"
    assert by_kind["token"]["expires_at"].replace("Z", "+00:00") == token_result["expires_at"].replace("Z", "+00:00")
    assert by_kind["all"]["reason"] == "Rotating credentials"
    assert by_kind["token"]["revoked_by"] and by_kind["token"]["revoked_at"]


def test_minted_token_verifies_and_revocation_bites_at_once(client, service_id, verifier):
    tokens = client.hosted_services.service_tokens
    a = tokens.mint(service_id=service_id, claims={"tenant_id": "t-1"})
    b = tokens.mint(service_id=service_id)
    assert verifier.verify(a["token"], service_id)["tenant_id"] == "t-1"
    tokens.revoke(service_id=service_id, jti=a["jti"], expires_at=a["expires_at"])
    with pytest.raises(Exception, match="revoked"):
        verifier.verify(a["token"], service_id)
    verifier.verify(b["token"], service_id)
    tokens.revoke_all(service_id=service_id)
    with pytest.raises(Exception, match="revoked"):
        verifier.verify(b["token"], service_id)
    c = tokens.mint(service_id=service_id)
    assert verifier.verify(c["token"], service_id)["jti"] == c["jti"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"ttl_minutes": 0}, "ttl_minutes"),
        ({"ttl_minutes": -5}, "ttl_minutes"),
        ({"ttl_minutes": MAX_TTL_MINUTES + 1}, "ttl_minutes"),
        ({"claims": {"aud": "other"}}, "claims"),
        ({"claims": {"sub": "x"}}, "claims"),
        ({"claims": {"org_id": "x"}}, "claims"),
        ({"claims": {"big": "x" * 5000}}, "claims"),
        ({"claims": ["not", "an", "object"]}, "claims"),
    ],
)
def test_mint_rules_are_422(tenant, service_id, body, field):
    r = httpx.post(_tokens_url(tenant, service_id), json=body, headers={"X-API-Key": tenant.api_key})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "VALIDATION_ERROR"
    assert field in json.dumps(r.json()["details"])


def test_sdk_raises_validation_error(client, service_id):
    with pytest.raises(CLIValidationError):
        client.hosted_services.service_tokens.mint(service_id=service_id, claims={"exp": 1})


def test_roles(make_client, service_id):
    viewer, builder = make_client("viewer"), make_client("builder")
    for call in (
        lambda t: t.mint(service_id=service_id),
        lambda t: t.revoke(service_id=service_id, jti="a" * 32),
        lambda t: t.revoke_all(service_id=service_id),
        lambda t: t.list_revocations(service_id=service_id),
    ):
        with pytest.raises(CLIPermissionError):
            call(viewer.hosted_services.service_tokens)
        call(builder.hosted_services.service_tokens)


def test_another_org_is_404(platform, client, service_id):
    other = platform.bootstrap()
    outsider = CLIClient(
        FlowConfig(
            access_token=CLIClient.exchange_api_key(other.url, other.api_key),
            platform_url=other.url,
            org_id=client.config.org_id,  # this tenant's ids, the outsider's credentials
            workspace_id=client.config.workspace_id,
        )
    )
    with outsider:
        with pytest.raises(CLINotFoundError):
            outsider.hosted_services.service_tokens.mint(service_id=service_id)
        with pytest.raises(CLINotFoundError):
            outsider.hosted_services.service_tokens.list_revocations(service_id=service_id)
        with pytest.raises(CLINotFoundError):
            outsider.hosted_services.service_tokens.revoke_all(service_id=service_id)
    own = CLIClient(  # nor through the outsider's own org and workspace
        FlowConfig(outsider.config.access_token, other.url, other.org_id, other.workspace_id)
    )
    with own:
        with pytest.raises(CLINotFoundError):
            own.hosted_services.service_tokens.mint(service_id=service_id)
        with pytest.raises(CLINotFoundError):
            own.hosted_services.service_tokens.revoke(service_id=service_id, jti="a" * 32)
    for unknown in ("nonexistent-uuid", str(uuid.uuid4())):
        with pytest.raises(CLINotFoundError):
            client.hosted_services.service_tokens.mint(service_id=unknown)


def test_revoke_answers_the_same_for_known_and_unknown_jtis(tenant, client, service_id):
    minted = client.hosted_services.service_tokens.mint(service_id=service_id)
    headers = {"X-API-Key": tenant.api_key}
    when = minted["expires_at"]

    def revoke(jti: str) -> httpx.Response:
        return httpx.post(
            _tokens_url(tenant, service_id, "/revoke"),
            json={"jti": jti, "expires_at": when, "reason": "r"},
            headers=headers,
        )

    never_minted = "f" * 32 + minted["jti"][32:]
    first, again, unknown = revoke(minted["jti"]), revoke(minted["jti"]), revoke(never_minted)
    assert first.status_code == again.status_code == unknown.status_code == 200
    assert first.json() == again.json()
    assert {**unknown.json(), "jti": minted["jti"]} == first.json()
    listed = client.hosted_services.service_tokens.list_revocations(service_id=service_id)
    assert sorted(r["jti"] for r in listed) == sorted([minted["jti"], never_minted])


def test_include_expired(client, service_id):
    tokens = client.hosted_services.service_tokens
    past = (datetime.now().astimezone() - timedelta(minutes=2)).isoformat()
    tokens.revoke(service_id=service_id, jti="old", expires_at=past, reason="expired already")
    assert tokens.list_revocations(service_id=service_id) == []
    shown = tokens.list_revocations(service_id=service_id, include_expired=True)
    assert [(r["jti"], r["expired"]) for r in shown] == [("old", True)]


def test_service_token_is_refused_by_the_management_api(tenant, client, service_id):
    token = client.hosted_services.service_tokens.mint(service_id=service_id)["token"]
    me = f"{tenant.url}/api/v1/auth/me"
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-API-Key": token}):
        r = httpx.get(me, headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"].startswith("Bearer")
        r = httpx.post(_tokens_url(tenant, service_id), json={}, headers=headers)
        assert r.status_code == 401
    # Without the prefix it is still not a platform token.
    r = httpx.get(me, headers={"Authorization": f"Bearer {token.removeprefix('fl_hsl_')}"})
    assert r.status_code == 401


def test_platform_jwt_is_not_a_service_token(client, service_id, verifier):
    with pytest.raises(Exception, match="service token"):
        verifier.verify(client.config.access_token, service_id)
    with pytest.raises(Exception, match="invalid service token"):
        verifier.verify("fl_hsl_" + client.config.access_token, service_id)


def test_cli(tenant, client, service_id, tmp_path):
    cfg = tmp_path / "config.json"
    save_config(client.config, cfg)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(cli, ["--config", str(cfg), "tokens", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    plain = run("mint", service_id, "--claims", '{"tenant_id": "t-9"}', "--ttl-minutes", "30")
    assert plain.stdout.startswith("fl_hsl_") and plain.stdout.count("fl_hsl_") == 1
    minted = json.loads(run("mint", service_id, "--json").stdout)
    assert {"token", "jti", "expires_at", "claims", "service_id"} <= set(minted)
    run("revoke", service_id, minted["jti"], "--expires-at", minted["expires_at"], "--reason", "cli test")
    listed = json.loads(run("revocations", service_id, "--json").stdout)
    assert [(r["jti"], r["reason"]) for r in listed] == [(minted["jti"], "cli test")]
    assert "cli test" in run("revocations", service_id).stdout
    run("revoke-all", service_id, "--reason", "rotate")
    assert {r["kind"] for r in json.loads(run("revocations", service_id, "--json").stdout)} == {"token", "all"}
    # Past the server's 7-day limit: the client passes it on, the server answers 422.
    bad = runner.invoke(cli, ["--config", str(cfg), "tokens", "mint", service_id, "--ttl-minutes", "20000"])
    assert bad.exit_code == 1 and "422" in bad.output
    # Not a positive count at all: a one-line usage error before any request.
    bad = runner.invoke(cli, ["--config", str(cfg), "tokens", "mint", service_id, "--ttl-minutes", "0"])
    assert bad.exit_code == 2 and bad.output.startswith("error: ")


def test_gateway_path_on_postgresql_coalesces_reads_and_fails_closed(platform, client, service_id, verifier):
    import asyncio

    from flow_platform.domain.errors import Unauthenticated

    if not verifier.reads_asynchronously:
        pytest.skip("the asynchronous read path is PostgreSQL's")
    tokens = client.hosted_services.service_tokens
    minted = tokens.mint(service_id=service_id, claims={"tenant_id": "t-5"})
    reads = 0
    query = verifier._aquery_counter

    async def counted() -> int:
        nonlocal reads
        reads += 1
        return await query()

    verifier._aquery_counter = counted  # type: ignore[method-assign]

    async def burst(n: int) -> list:
        return await asyncio.gather(
            *(verifier.averify(minted["token"], service_id) for _ in range(n)), return_exceptions=True
        )

    async def scenario() -> None:
        answers = await burst(50)
        assert all(a["tenant_id"] == "t-5" for a in answers)
        assert reads <= 2  # fifty calls, at most two round trips
        await asyncio.to_thread(tokens.revoke, service_id=service_id, jti=minted["jti"])
        refused = await burst(5)
        assert all(isinstance(a, Unauthenticated) and a.code == "TOKEN_REVOKED" for a in refused)
        # Cut the verifier's connection: the next calls fail closed, then it reconnects.
        pid = verifier._aconn.info.backend_pid
        with platform.session() as session:
            from sqlalchemy import text

            session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other = await asyncio.to_thread(tokens.mint, service_id=service_id)
        [failed] = await burst(1)
        assert isinstance(failed, Unauthenticated) and failed.code == "REVOCATION_STORE_UNAVAILABLE"
        assert (await verifier.averify(other["token"], service_id))["jti"] == other["jti"]
        await verifier.aclose()

    asyncio.run(scenario())
