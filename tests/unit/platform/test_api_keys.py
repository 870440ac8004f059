from __future__ import annotations

from flow_platform.domain import api_keys


def _key() -> str:
    body = api_keys._random(12) + api_keys._random(40)
    return api_keys.PREFIX + body + api_keys._checksum(body)


def test_well_formed_key_parses_to_its_lookup_id():
    key = _key()
    assert len(key) == api_keys.KEY_LEN
    assert api_keys.parse(key) == key[3:15]


def test_any_single_character_typo_fails_the_checksum():
    key = _key()
    for i in range(3, len(key)):
        replacement = "a" if key[i] != "a" else "b"
        assert api_keys.parse(key[:i] + replacement + key[i + 1 :]) is None


def test_other_prefixes_and_lengths_are_not_org_keys():
    key = _key()
    assert api_keys.parse("fl_hsl_" + key[7:]) is None
    assert api_keys.parse(key + "x") is None
    assert api_keys.parse("") is None


def test_keys_are_unique():
    assert len({_key() for _ in range(200)}) == 200
