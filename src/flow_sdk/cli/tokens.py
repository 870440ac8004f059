"""``flow-sdk tokens mint|revoke|revoke-all|revocations``: service tokens of a hosted service."""

from __future__ import annotations

from typing import Any

import click

from . import _context
from ._types import POSITIVE
from .output import emit, json_argument, json_option


def _claims(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    claims = json_argument(value, "--claims")
    if not isinstance(claims, dict):
        raise click.BadParameter("claims must be a JSON object")
    return claims


@click.group()
def tokens() -> None:
    """Service tokens (fl_hsl_...) for calling a hosted service."""


@tokens.command("mint")
@click.argument("service_id")
@click.option("--claims", help='JSON object, or @file.json: e.g. \'{"tenant_id": "t-123"}\'.')
@click.option("--ttl-minutes", type=POSITIVE, help="Default 60, at most 10080.")
@json_option
def mint(service_id: str, claims: str | None, ttl_minutes: int | None, as_json: bool) -> None:
    """Mint a token. It is printed once and cannot be shown again."""
    result = _context.client().hosted_services.service_tokens.mint(
        service_id=service_id, claims=_claims(claims), ttl_minutes=ttl_minutes
    )
    if as_json:
        emit(result, True)
        return
    click.echo(result["token"])
    click.echo(f"jti {result['jti']}, expires {result['expires_at']} (the token is not shown again)", err=True)


@tokens.command("revoke")
@click.argument("service_id")
@click.argument("jti")
@click.option("--expires-at", help="The token's expires_at, as mint printed it (keeps the row that long).")
@click.option("--reason", default=None)
@json_option
def revoke(service_id: str, jti: str, expires_at: str | None, reason: str | None, as_json: bool) -> None:
    """Revoke one token by its jti."""
    result = _context.client().hosted_services.service_tokens.revoke(
        service_id=service_id, jti=jti, expires_at=expires_at, reason=reason
    )
    emit(result, as_json)


@tokens.command("revoke-all")
@click.argument("service_id")
@click.option("--reason", default=None)
@json_option
def revoke_all(service_id: str, reason: str | None, as_json: bool) -> None:
    """Revoke every token of the service issued until now."""
    emit(_context.client().hosted_services.service_tokens.revoke_all(service_id=service_id, reason=reason), as_json)


@tokens.command("revocations")
@click.argument("service_id")
@click.option("--include-expired", is_flag=True, help="Also show revocations whose tokens have expired.")
@json_option
def revocations(service_id: str, include_expired: bool, as_json: bool) -> None:
    """List what was revoked, when, by whom, why, and until when it matters."""
    rows = _context.client().hosted_services.service_tokens.list_revocations(
        service_id=service_id, include_expired=include_expired
    )
    emit(rows, as_json, columns=["kind", "jti", "revoked_at", "revoked_by", "expires_at", "reason"])
