"""Results read both ways and stay plain dicts to everything else."""

from __future__ import annotations

import copy
import json
import pickle

import httpx
import pytest

from flow_sdk.cli_client import CLIClient
from flow_sdk.config import FlowConfig
from flow_sdk.results import Result, Ring


def _client(answer: object) -> CLIClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    config = FlowConfig(access_token="t", platform_url="http://platform.test", org_id="o", workspace_id="w")
    return CLIClient(config, http_client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_client_results_read_as_keys_and_attributes() -> None:
    with _client({"items": [{"id": "r1", "name": "dev", "meta": {"tags": [{"k": "v"}]}}]}) as client:
        rings = client.rings.list()
    ring = rings[0]
    assert ring["id"] == ring.id == "r1"
    assert ring.meta.tags[0].k == "v"
    assert ring == {"id": "r1", "name": "dev", "meta": {"tags": [{"k": "v"}]}}
    assert json.loads(json.dumps(ring)) == ring
    assert repr(ring) == repr(dict(ring))


def test_missing_fields_are_attribute_errors_and_dict_methods_win() -> None:
    r = Result({"id": "x", "items": [1]})
    with pytest.raises(AttributeError, match="no field 'nope'"):
        _ = r.nope
    assert getattr(r, "nope", None) is None and not hasattr(r, "nope")
    assert callable(r.items) and r["items"] == [1]
    assert "id" in dir(r)


def test_results_copy_pickle_and_type_as_known_shapes() -> None:
    ring = Ring({"id": "r1", "name": "dev"})
    assert copy.deepcopy(ring).name == "dev"
    assert pickle.loads(pickle.dumps(ring)).id == "r1"
    assert isinstance(ring, dict)
