import hashlib

import pytest

from flow_platform.domain.credentials import CredentialsError, seal, unseal

KEY = hashlib.sha256(b"one").digest()
OTHER = hashlib.sha256(b"two").digest()


def test_round_trip_and_no_clear_text() -> None:
    token = seal(KEY, {"password": "hunter2-unique"})
    assert "hunter2" not in token
    assert unseal(KEY, token) == {"password": "hunter2-unique"}


def test_each_seal_differs() -> None:
    assert seal(KEY, {"password": "p"}) != seal(KEY, {"password": "p"})


def test_wrong_key_is_refused() -> None:
    token = seal(KEY, {"password": "p"})
    with pytest.raises(CredentialsError):
        unseal(OTHER, token)


def test_short_key_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        seal(b"short", {})
