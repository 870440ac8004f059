"""The sandbox from the supervisor's side: outbound network is opt-in, limits and the report."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from pathlib import Path

import pytest

from flow_platform.gateway.install import worker_limits
from flow_platform.runtime.bundle import Bundle, EndpointSpec
from flow_platform.runtime.supervisor import Supervisor
from flow_platform.sandbox.policy import DEFAULTS, MAXIMA, Limits, Policy, endpoint_limits, version_limits
from flow_platform.sandbox.report import report
from flow_platform.settings import Settings
from support.sandbox import require

CONNECT = """
import errno, socket
def main(request):
    try:
        socket.create_connection(("127.0.0.1", int(request["query"]["port"])), timeout=3).close()
        return "connected"
    except OSError as e:
        return errno.errorcode.get(e.errno or 0, type(e).__name__)
"""


def _request(port: int) -> bytes:
    return f"GET /c?port={port} HTTP/1.1\r\nhost: worker\r\ncontent-length: 0\r\n\r\n".encode()


def _listener() -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    threading.Thread(target=lambda: [server.accept()[0].close() for _ in range(8)], daemon=True).start()
    return server


@pytest.mark.parametrize("outbound", [False, True])
def test_outbound_network_only_for_bundles_that_opt_in(tmp_path: Path, outbound: bool):
    require(report(Settings(data_dir=tmp_path)), "namespaces")
    server = _listener()
    port = server.getsockname()[1]

    async def main() -> str:
        sup = Supervisor(tmp_path, outbound=lambda bundle: outbound)
        try:
            bundle = Bundle("svc", 1, (EndpointSpec("GET", "/c", CONNECT),))
            status, body = await sup.call(bundle, _request(port), 10)
            assert status == 200, body
            return str(json.loads(body))
        finally:
            await sup.aclose()

    try:
        answer = asyncio.run(main())
    finally:
        server.close()
    assert answer == ("connected" if outbound else "ENETUNREACH")


def test_limits_are_clamped_to_their_maxima_and_travel_as_json():
    wild = Limits(memory_mb=10**9, cpu_seconds=0, processes=-5, open_files=10**9, file_size_mb=10**9).clamp()
    assert wild == Limits(memory_mb=MAXIMA.memory_mb, cpu_seconds=1, processes=1, open_files=65536, file_size_mb=1024)
    policy = Policy(uid=1_000_123, limits=DEFAULTS)
    assert Policy.loads(policy.dumps()) == policy
    assert Policy.loads(Policy(enabled=False).dumps()).limits is None


def test_a_versions_worker_gets_the_largest_of_its_endpoints_limits_over_the_platforms(tmp_path: Path):
    platform = worker_limits(Settings(data_dir=tmp_path, worker_memory_mb=300, worker_open_files=100))
    assert platform == Limits(memory_mb=300, open_files=100)
    # no endpoint sets anything (or there are none): the platform's limits
    assert version_limits(platform, [None, {}]) == platform
    assert version_limits(platform, []) == platform
    # an endpoint's unset values fall back to the platform's, set ones win (also when lower)
    assert endpoint_limits(platform, {"memory_mb": 64}) == Limits(memory_mb=64, open_files=100)
    assert version_limits(platform, [{"memory_mb": 64}]) == Limits(memory_mb=64, open_files=100)
    # per limit the largest: a low endpoint next to one that sets nothing gets the platform's
    assert version_limits(platform, [{"memory_mb": 64}, None]).memory_mb == 300
    merged = version_limits(platform, [{"memory_mb": 64, "processes": 2000}, {"open_files": 50, "cpu_seconds": 10}])
    assert merged == Limits(memory_mb=300, cpu_seconds=DEFAULTS.cpu_seconds, processes=2000, open_files=100)
    # stored values past a maximum (a maximum lowered later) are clamped
    assert version_limits(platform, [{"memory_mb": 10**6}]).memory_mb == MAXIMA.memory_mb


def test_report_names_what_is_off(tmp_path: Path):
    off = report(Settings(data_dir=tmp_path, unsafe_no_sandbox=True))
    assert off["enabled"] is False and "FLOW_UNSAFE_NO_SANDBOX" in off["missing"][0]
    on = report(Settings(data_dir=tmp_path, worker_memory_mb=10**6))
    assert on["enabled"] is True and on["worker_limits"]["memory_mb"] == MAXIMA.memory_mb
