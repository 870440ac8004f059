"""An API key kept in the operating system's keyring (``flow-sdk login --remember``).

With it the client trades the key for a fresh access token when the stored token has
expired, instead of failing. Opt-in only: without ``--remember`` no key is stored
anywhere, and where no keyring backend exists nothing is stored at all (never a
plain-text fallback). ``keyring`` is an optional dependency (the ``keyring`` extra).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._errors import CLIConfigError

SERVICE = "flow-sdk"
# Set in the config (of the default profile or a named one) when its key is in the keyring.
MARKER = "api_key_in_keyring"
TOKEN_TTL_MINUTES = 60


def _account(platform_url: str, org_id: str, workspace_id: str) -> str:
    return f"{platform_url.rstrip('/')} {org_id} {workspace_id}"


def _backend() -> Any:
    """The keyring module when a usable (not fail/null) backend exists, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    chosen = keyring.get_keyring()
    if isinstance(chosen, fail.Keyring) or type(chosen).__module__.startswith("keyring.backends.null"):
        return None
    return keyring


def unavailable_reason() -> str | None:
    """Why ``--remember`` cannot work here, or None when it can."""
    try:
        import keyring  # noqa: F401
    except ImportError:
        return "the keyring package is not installed (pip install 'flow-sdk[keyring]')"
    if _backend() is None:
        return "no keyring backend is available on this machine"
    return None


def store(platform_url: str, org_id: str, workspace_id: str, api_key: str) -> None:
    backend = _backend()
    if backend is None:
        raise CLIConfigError(f"cannot remember the API key: {unavailable_reason()}")
    backend.set_password(SERVICE, _account(platform_url, org_id, workspace_id), api_key)


def forget(platform_url: str, org_id: str, workspace_id: str) -> bool:
    backend = _backend()
    if backend is None:
        return False
    from keyring.errors import PasswordDeleteError

    try:
        backend.delete_password(SERVICE, _account(platform_url, org_id, workspace_id))
    except PasswordDeleteError:
        return False
    return True


def lookup(platform_url: str, org_id: str, workspace_id: str) -> str | None:
    backend = _backend()
    if backend is None:
        return None
    key: str | None = backend.get_password(SERVICE, _account(platform_url, org_id, workspace_id))
    return key


def refresher_for(config: Any) -> Callable[[], str] | None:
    """A function returning a fresh token, for a config whose login said ``--remember``."""
    if not config.extra.get(MARKER):
        return None
    url, org, ws = config.platform_url, config.org_id, config.workspace_id

    def refresh() -> str:
        key = lookup(url, org, ws)
        if key is None:
            from ._errors import LOGIN_HINT, CLIAuthenticationError

            raise CLIAuthenticationError(
                "the stored access token has expired and no API key is in the keyring",
                code="TOKEN_EXPIRED",
                hint=LOGIN_HINT,
            )
        from .cli_client import CLIClient

        return CLIClient.exchange_api_key(url, key, TOKEN_TTL_MINUTES)

    return refresh
