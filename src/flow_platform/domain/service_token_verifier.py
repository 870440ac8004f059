"""Verifies service tokens for the gateway: ``verify(token, service_id) -> claims``.

Checks, in this order, each failure an ``Unauthenticated`` (401): the signature (with
the algorithm pinned to EdDSA and the service-token key), expiry, audience/service
(and issuer and token type), revocation of the jti, the service's revoke-all cutoff.

Revocations must bite on the very next request on every platform worker, without a
database round trip per request for the revocation data itself. Each verifier keeps a
local view (revoked jtis and cutoffs) tagged with the revocation counter's version,
and per call reads only that counter: one single-row primary-key read on a connection
it holds open (no pool checkout, no ORM), about 5 us on SQLite and one loopback round
trip on PostgreSQL. When the counter moved it loads just the rows written since (each
row carries the version that wrote it). Every revocation write bumps the counter in
the same transaction as the row, so a revocation committed before a request starts is
always seen by it, on any worker.

Why not PostgreSQL LISTEN/NOTIFY: a notification arrives asynchronously on another
connection and has to be picked up by a listener thread, so between the revoking
commit and that moment a worker would still accept the token: a cache window, which
the rule forbids. (It also would not cover SQLite.) If the counter cannot be read the
verifier refuses every token: it fails closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from jwt.types import Options
from sqlalchemy import Engine, select

from ..settings import Settings
from ..store.tables import ServiceTokenCutoff, ServiceTokenRevocation
from .errors import Unauthenticated
from .service_tokens import PREFIX, PRUNE_LEEWAY, SIGNING_PURPOSE, TOKEN_TYPE, audience_for
from .signing import ALGORITHM, keypair

log = logging.getLogger(__name__)

ASYNC_READ_TIMEOUT = 5.0  # seconds; a store slower than this is treated as unreadable
_COUNTER_SQL = "SELECT version FROM service_token_revocation_counter WHERE id = 1"
# Signature only here: the claims are then checked in the documented order by hand.
_SIGNATURE_ONLY: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


def _invalid(message: str = "invalid service token", code: str = "INVALID_TOKEN") -> Unauthenticated:
    return Unauthenticated(message, code=code)


class ServiceTokenVerifier:
    """One per platform process; thread-safe. ``close()`` releases its connection.

    A token whose signature was checked once is remembered (up to ``cache_size`` tokens):
    a token is immutable, so later calls skip the Ed25519 check and JSON decoding, and
    redo only the expiry, audience and revocation checks. ``cache_size=0`` turns it off.
    """

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        cache_size: int = 10_000,
    ) -> None:
        self._public_key = keypair(settings, SIGNING_PURPOSE).public
        self._issuer = settings.issuer
        self._leeway = settings.jwt_leeway_seconds
        self._engine = engine
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: Any = None
        self._version = -1
        self._revoked: dict[tuple[str, str], float] = {}  # (service_id, jti) -> forget after
        self._cutoffs: dict[str, float] = {}  # service_id -> refuse tokens with iat below
        self._signed: dict[str, dict[str, Any]] = {}  # token -> claims, signature already checked
        self._aconn: Any = None  # the gateway's async connection (PostgreSQL only)
        self._reads = _Reads(self._aread_counter)
        self._cache_size = cache_size
        self.reloads = 0  # how often the view was (re)loaded: tests and metrics read it

    # -- the public check -----------------------------------------------------------
    def verify(self, token: str, service_id: str) -> dict[str, Any]:
        claims = self.check_token(token, service_id)
        self.check_revocation(claims, service_id)
        return claims

    def check_token(self, token: str, service_id: str) -> dict[str, Any]:
        """Signature, expiry, then audience: everything that needs no database."""
        claims = self._signed.get(token)
        if claims is None:
            claims = self._check_signature(token)
        exp = claims["exp"]
        if exp + self._leeway <= self._clock():
            raise _invalid("service token has expired", "TOKEN_EXPIRED")
        if (
            claims.get("aud") != audience_for(service_id)
            or claims.get("sub") != service_id
            or claims.get("typ") != TOKEN_TYPE
            or claims.get("iss") != self._issuer
        ):
            raise _invalid("service token is not valid for this service")
        return dict(claims)

    def _check_signature(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or not token.startswith(PREFIX):
            raise _invalid("not a service token (expected fl_hsl_...)")
        try:
            claims: dict[str, Any] = jwt.decode(
                token[len(PREFIX) :], self._public_key, algorithms=[ALGORITHM], options=_SIGNATURE_ONLY
            )
        except jwt.PyJWTError:
            raise _invalid() from None
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int) or not isinstance(iat, int) or not isinstance(claims.get("jti"), str):
            raise _invalid()
        if self._cache_size:
            if len(self._signed) >= self._cache_size:
                self._signed.clear()
            self._signed[token] = claims
        return claims

    def check_revocation(self, claims: dict[str, Any], service_id: str) -> None:
        """The jti's revocation, then the service's cutoff, against a current view."""
        with self._lock:
            self._refresh()
        self._check_view(claims, service_id)

    def _check_view(self, claims: dict[str, Any], service_id: str) -> None:
        if (service_id, claims["jti"]) in self._revoked:
            raise _invalid("service token has been revoked", "TOKEN_REVOKED")
        cutoff = self._cutoffs.get(service_id)
        if cutoff is not None and claims["iat"] < cutoff:
            raise _invalid("service token was revoked with all tokens of this service", "TOKEN_REVOKED")

    # -- the gateway's path -----------------------------------------------------------
    @property
    def reads_asynchronously(self) -> bool:
        """True on PostgreSQL: the gateway then awaits ``averify`` instead of calling ``verify``.

        A counter read there is a network round trip; made synchronously it would stall
        the event loop for every call in flight. SQLite's read (a few microseconds, no
        network) is cheaper than any hand-off, so it stays synchronous.
        """
        return self._engine.dialect.name == "postgresql"

    async def averify(self, token: str, service_id: str) -> dict[str, Any]:
        """``verify`` for an event loop; concurrent calls share counter reads (``_Reads``)."""
        claims = self.check_token(token, service_id)
        await self._reads.fresh()
        self._check_view(claims, service_id)
        return claims

    async def _aread_counter(self) -> None:
        try:
            version = await asyncio.wait_for(self._aquery_counter(), ASYNC_READ_TIMEOUT)
            if version != self._version:
                await asyncio.to_thread(self._locked_load, version)
        except Exception:
            log.warning("revocation store unreadable; refusing service tokens", exc_info=True)
            conn, self._aconn = self._aconn, None
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
            raise _invalid("revocations cannot be checked right now", "REVOCATION_STORE_UNAVAILABLE") from None

    async def _aquery_counter(self) -> int:
        import psycopg

        if self._aconn is None:
            url = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._aconn = await psycopg.AsyncConnection.connect(url, autocommit=True)
        cursor = await self._aconn.execute(_COUNTER_SQL)
        row = await cursor.fetchone()
        if row is None:
            raise RuntimeError("the revocation counter row is missing")
        return int(row[0])

    def _locked_load(self, version: int) -> None:
        with self._lock:
            if version != self._version:
                self._load(version)

    async def aclose(self) -> None:
        conn, self._aconn = self._aconn, None
        if conn is not None:
            await conn.close()

    # -- the local view ---------------------------------------------------------------
    def _refresh(self) -> None:
        try:
            version = self._read_counter()
            if version != self._version:
                self._load(version)
        except Exception:
            # Any failure to read the store means we cannot know what was revoked: refuse.
            log.warning("revocation store unreadable; refusing service tokens", exc_info=True)
            self._drop_connection()
            raise _invalid("revocations cannot be checked right now", "REVOCATION_STORE_UNAVAILABLE") from None

    def _read_counter(self) -> int:
        if self._conn is None:
            conn = self._engine.raw_connection()
            if self._engine.dialect.name == "postgresql":
                conn.driver_connection.autocommit = True  # type: ignore[union-attr]
            self._conn = conn
        cursor = self._conn.cursor()
        try:
            cursor.execute(_COUNTER_SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            raise RuntimeError("the revocation counter row is missing")
        return int(row[0])

    def _load(self, version: int) -> None:
        since = self._version
        with self._engine.connect() as conn:
            revoked = conn.execute(
                select(
                    ServiceTokenRevocation.service_id, ServiceTokenRevocation.jti, ServiceTokenRevocation.expires_at
                ).where(ServiceTokenRevocation.version > since)
            ).all()
            cutoffs = conn.execute(
                select(ServiceTokenCutoff.service_id, ServiceTokenCutoff.cutoff_at).where(
                    ServiceTokenCutoff.version > since
                )
            ).all()
        leeway = PRUNE_LEEWAY.total_seconds()
        for service_id, jti, expires_at in revoked:
            self._revoked[(service_id, jti)] = max(
                expires_at.timestamp() + leeway, self._revoked.get((service_id, jti), 0.0)
            )
        for service_id, cutoff_at in cutoffs:
            self._cutoffs[service_id] = max(cutoff_at.timestamp(), self._cutoffs.get(service_id, 0.0))
        # Forget revocations whose tokens can no longer pass the expiry check anyway.
        now = self._clock()
        self._revoked = {k: v for k, v in self._revoked.items() if v > now}
        self._version = version
        self.reloads += 1

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
            except Exception:  # noqa: BLE001 - already broken; nothing more to do
                log.debug("could not invalidate the revocation connection", exc_info=True)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()


class _Reads:
    """Coalesces the counter reads of calls in flight on one event loop.

    A call waits for a read that *started after the call arrived*, so it sees every
    revocation committed before it; all calls that arrive while one read is in flight
    share the next one. Under load that is one round trip per batch of calls instead
    of one per call, with no cache window.
    """

    def __init__(self, read: Callable[[], Awaitable[None]]) -> None:
        self._read = read
        self._current: asyncio.Future[None] | None = None
        self._next: asyncio.Future[None] | None = None

    async def fresh(self) -> None:
        loop = asyncio.get_running_loop()
        if self._current is None:
            future = self._current = loop.create_future()
            loop.create_task(self._run(future))
        else:
            # The read in flight may have started before this call: wait for the next.
            if self._next is None:
                self._next = loop.create_future()
            future = self._next
        # shield: one caller giving up must not cancel the read the others wait for
        await asyncio.shield(future)

    async def _run(self, future: asyncio.Future[None]) -> None:
        try:
            await self._read()
        except Exception as exc:  # noqa: BLE001 - handed to every waiter
            future.set_exception(exc)
            future.exception()  # retrieved: waiters that gave up must not log it as lost
        else:
            future.set_result(None)
        finally:
            self._current = None
            if self._next is not None:
                future, self._next = self._next, None
                self._current = future
                asyncio.get_running_loop().create_task(self._run(future))
