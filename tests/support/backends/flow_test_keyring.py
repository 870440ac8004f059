"""Keyring backends for tests only: nothing here is ever used outside the test suite.

``MemoryKeyring`` lives in the test process (``keyring.set_keyring``). ``FileKeyring``
is for a ``flow-sdk`` subprocess, selected with
``PYTHON_KEYRING_BACKEND=flow_test_keyring.FileKeyring`` and this folder on
``PYTHONPATH``; it keeps its entries in the JSON file ``FLOW_TEST_KEYRING_FILE``
names, so that the test can look at what was stored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    # Never chosen on its own (keyring considers every loaded backend class): only
    # through keyring.set_keyring in the test that wants it.
    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("set explicitly with keyring.set_keyring")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        if "FLOW_TEST_KEYRING_FILE" not in os.environ:
            raise RuntimeError("only where a test names its file")
        return 1

    @property
    def _path(self) -> Path:
        return Path(os.environ["FLOW_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._path.read_text()))
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}|{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}|{username}"] = password
        self._path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}|{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path.write_text(json.dumps(data))
