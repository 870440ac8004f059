import pytest

from flow_platform.domain.credentials import CredentialsError, seal, unseal


def test_round_trip_and_no_clear_text() -> None:
    token = seal("s3cret-setting", {"password": "hunter2-unique"})
    assert "hunter2" not in token
    assert unseal("s3cret-setting", token) == {"password": "hunter2-unique"}


def test_each_seal_differs() -> None:
    assert seal("k", {"password": "p"}) != seal("k", {"password": "p"})


def test_wrong_secret_is_refused() -> None:
    token = seal("one", {"password": "p"})
    with pytest.raises(CredentialsError):
        unseal("two", token)
