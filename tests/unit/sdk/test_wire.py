"""One error vocabulary: the API, the gateway, workers and FlowSDK answer with the same codes."""

from __future__ import annotations

import json

import pytest

from flow_sdk import _wire as wire
from flow_sdk.runtime import HTTPError


@pytest.mark.parametrize("status", sorted(wire.STATUS_CODES))
def test_every_layer_uses_the_one_table(status):
    from flow_platform.gateway.app import _error
    from flow_platform.gateway.auth import GatewayError
    from flow_platform.runtime.worker import error_body

    code = wire.STATUS_CODES[status]
    assert HTTPError(status, "m").code == code
    gateway = json.loads(_error(GatewayError(status, wire.code_for_status(status), "m"), "req_1"))
    assert gateway == {"code": code, "message": "m", "details": [], "request_id": "req_1"}
    assert json.loads(error_body(status, code, "m", "req_1")) == gateway


def test_the_codes_that_used_to_disagree():
    from flow_platform.gateway.auth import unauthorized

    assert unauthorized().code == wire.UNAUTHENTICATED == "UNAUTHENTICATED"
    assert HTTPError(429, "slow down").code == "RATE_LIMITED"
    assert HTTPError(503, "later").code == "UNAVAILABLE"
    assert wire.code_for_status(418) == "I_M_A_TEAPOT" and wire.code_for_status(599) == "SERVER_ERROR"


def test_the_api_answers_with_the_same_body():
    from flow_platform.api.errors import error_response

    body = json.loads(error_response(401, "no token").body)
    assert body["code"] == "UNAUTHENTICATED" and body["details"] == [] and "request_id" in body
