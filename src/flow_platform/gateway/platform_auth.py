"""Platform credentials on the gateway: access tokens and org API keys, without a
database round trip per call.

- An access token's signature is checked once (Ed25519, ~50 us) and the claims kept
  until the token expires.
- Whether the API key behind a token (or sent as X-API-Key) is still live is read from
  the database at most once per `KEY_RECHECK_SECONDS` per key. That is the one cache
  window: revoking an API key reaches the gateway within that time.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ..domain.access_tokens import verify_access_token
from ..domain.api_keys import KeyKind, authenticate_api_key, kind_of
from ..domain.errors import Unauthenticated
from ..settings import Settings
from ..store.tables import ApiKey
from .auth import Caller, Credentials, GatewayError, unauthorized

KEY_RECHECK_SECONDS = 1.0
_MAX_CACHED = 10_000


class PlatformVerifier:
    """Credentials -> (the caller's org id, the workspace they are bound to or None).

    A key created for one workspace, and an access token minted from it or bound to one
    workspace (`bound_workspace` claim, as the runtime's tokens are), reach only that
    workspace's services, as on the management API.
    """

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        read_sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions  # authenticating a key may record its last use: a write
        self.read_sessions = read_sessions or sessions
        self._tokens: dict[str, dict[str, Any]] = {}
        # api key id -> (when it was last seen live, the workspace the key is bound to)
        self._keys_checked: dict[str, tuple[float, str | None]] = {}
        self._api_keys: dict[str, tuple[str, str | None, float]] = {}  # sha256(key) -> (org, workspace, checked)

    def __call__(self, credentials: Credentials) -> Caller | Awaitable[Caller]:
        if credentials.api_key is not None:  # X-API-Key wins, as on the platform API
            return self._api_key(credentials.api_key)
        token = credentials.bearer
        if token is None:
            raise unauthorized("expected a bearer token or X-API-Key")
        if token.startswith("fl_"):
            return self._api_key(token)
        claims = self._tokens.get(token)
        if claims is None or claims["exp"] <= time.time():
            try:
                claims = verify_access_token(self.settings, token)
            except Unauthenticated as err:
                raise unauthorized(err.message) from None
            if len(self._tokens) >= _MAX_CACHED:
                self._tokens.clear()
            self._tokens[token] = claims
        if claims.get("kind") == KeyKind.DEPLOY:
            raise _deploy_key_refused()
        org: str = claims["org_id"]
        bound = claims.get("bound_workspace")
        checked = self._keys_checked.get(claims["sub"])
        if checked is not None and time.monotonic() - checked[0] < KEY_RECHECK_SECONDS:
            return org, _narrowest(checked[1], bound)
        return self._recheck_key(claims["sub"], org, bound)

    async def _recheck_key(self, key_id: str, org: str, bound: str | None) -> Caller:
        live, workspace = await asyncio.to_thread(self._key_is_live, key_id, org)
        if not live:
            self._keys_checked.pop(key_id, None)
            raise unauthorized("the API key behind this token has been revoked")
        if len(self._keys_checked) >= _MAX_CACHED:
            self._keys_checked.clear()
        self._keys_checked[key_id] = (time.monotonic(), workspace)
        return org, _narrowest(workspace, bound)

    def _key_is_live(self, key_id: str, org: str) -> tuple[bool, str | None]:
        with self.read_sessions() as session:
            key = session.get(ApiKey, key_id)
            live = key is not None and key.revoked_at is None and key.org_id == org
            return live, key.workspace_id if key is not None else None

    def _api_key(self, key: str) -> Caller | Awaitable[Caller]:
        if key.startswith("fl_hsl_"):
            raise unauthorized("service tokens are not platform credentials")
        if kind_of(key) is KeyKind.DEPLOY:
            raise _deploy_key_refused()
        digest = hashlib.sha256(key.encode()).hexdigest()
        hit = self._api_keys.get(digest)
        if hit is not None and time.monotonic() - hit[2] < KEY_RECHECK_SECONDS:
            return hit[0], hit[1]
        return self._check_api_key(key, digest)

    async def _check_api_key(self, key: str, digest: str) -> Caller:
        try:
            org, workspace = await asyncio.to_thread(self._authenticate, key)
        except Unauthenticated as err:
            self._api_keys.pop(digest, None)
            raise unauthorized(err.message) from None
        if len(self._api_keys) >= _MAX_CACHED:
            self._api_keys.clear()
        self._api_keys[digest] = (org, workspace, time.monotonic())
        return org, workspace

    def _authenticate(self, key: str) -> tuple[str, str | None]:
        with self.sessions() as session:
            row = authenticate_api_key(session, self.settings, key)
            return row.org_id, row.workspace_id


def _deploy_key_refused() -> GatewayError:
    return GatewayError(403, "FORBIDDEN", "a deploy key may only create, promote and roll back deployments")


def _narrowest(key_workspace: str | None, token_workspace: str | None) -> str | None:
    """The workspace a token may act in: its key's binding, else its own (or none).

    A token bound to a workspace its key is not bound to is refused by naming an
    impossible workspace.
    """
    if key_workspace is None:
        return token_workspace
    if token_workspace is None or token_workspace == key_workspace:
        return key_workspace
    return "\0"
