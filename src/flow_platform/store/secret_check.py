"""Refuse to run with a master secret other than the one the database was created with.

Every key the platform derives (API key hashes, token signatures, sealed connector
credentials) comes from the master secret; a process that starts with another one
(a forgotten ``FLOW_SECRET_KEY`` on a team server) would mint keys no other process
accepts and fail to read what they wrote. The database keeps an HMAC of a fixed label
under a key derived from the secret: it proves nothing about the secret itself, and
any process can check it.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..settings import Settings
from .tables import PlatformMeta

VERIFIER_NAME = "master_secret_verifier"
_PURPOSE = "database-secret-verifier"
_LABEL = b"flow-platform: this database belongs to this master secret"


class SecretMismatch(Exception):
    """The master secret differs from the one the database was created with."""


def verifier(settings: Settings) -> str:
    return "v1:" + hmac.new(settings.derive_key(_PURPOSE), _LABEL, hashlib.sha256).hexdigest()


def check_master_secret(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Record the verifier on first use; afterwards, raise ``SecretMismatch`` on a different secret."""
    mine = verifier(settings)
    with sessions() as session:
        row = session.get(PlatformMeta, VERIFIER_NAME)
        if row is None:
            session.add(PlatformMeta(name=VERIFIER_NAME, value=mine))
            try:
                session.commit()
                return
            except IntegrityError:  # another process recorded its verifier first
                session.rollback()
                row = session.get_one(PlatformMeta, VERIFIER_NAME)
        if not hmac.compare_digest(row.value, mine):
            source = "FLOW_SECRET_KEY" if settings.secret_key else f"{settings.data_dir / 'secret.key'}"
            raise SecretMismatch(
                f"the master secret ({source}) is not the one this database was created with;"
                " start every process with the same FLOW_SECRET_KEY (or the same data dir)"
            )
