"""Per-endpoint sandbox limits and outbound network against the real server.

One worker serves every endpoint of a version, so a version's worker gets, per limit, the
largest any of its endpoints asks for, an unset one counting as the platform's. The
shared test platform runs with the default limits.
"""

from __future__ import annotations

import errno
import socket

import pytest

from flow_sdk.cli_client import CLIServerError, CLIValidationError
from support.hosted import add_endpoints, deploy
from support.sandbox import require

HANDLER = """
import errno, resource, socket

def main(request, flow):
    what, q = request["path"].strip("/"), request["query"]
    if what.startswith("alloc"):
        return len(bytearray(int(q["mb"]) * 1024 ** 2))
    if what == "rlimits":
        names = {"memory": "RLIMIT_AS", "cpu": "RLIMIT_CPU", "processes": "RLIMIT_NPROC",
                 "open_files": "RLIMIT_NOFILE", "file_size": "RLIMIT_FSIZE"}
        vm = [l for l in open("/proc/self/status") if l.startswith("VmSize")]
        return {"vm": vm, **{k: resource.getrlimit(getattr(resource, v))[0] for k, v in names.items()}}
    if what.startswith("tcp"):
        try:
            socket.create_connection(("127.0.0.1", int(q["port"])), timeout=3).close()
            return "connected"
        except OSError as e:
            return errno.errorcode.get(e.errno or 0, type(e).__name__)
    return "ok"
"""
MiB = 1024**2
ALLOWANCE_MB = 768  # sandbox.policy.ADDRESS_SPACE_ALLOWANCE_MB: the interpreter's share of the address space
# The address space limit is memory_mb plus the allowance, of which an idle worker uses
# about 110 MB: 800 MB is past what memory_mb=64 leaves and well within the default 512.
ALLOC_MB = "800"


def _endpoint(path: str, **extra: object) -> dict[str, object]:
    return {"path": path, "method": "GET", "source": HANDLER, **extra}


def test_an_endpoints_memory_limit_ends_its_handler_and_defaults_do_not(platform, client):
    require(platform.get("/version").json()["sandbox"])
    low = {"memory_mb": 64, "cpu_seconds": 120, "open_files": 77}
    small = deploy(client, [_endpoint("/alloc", limits=low), _endpoint("/rlimits", limits={"memory_mb": 64})])["id"]
    default = deploy(client, [_endpoint("/alloc")])["id"]
    # another endpoint of the version sets nothing: the version's worker gets the larger default
    merged = deploy(client, [_endpoint("/alloc", limits=low), _endpoint("/rlimits")])["id"]

    # per limit the larger of the endpoints', an unset one being the platform's default
    small_limits = client.invoke_service(small, "GET", "/rlimits")
    assert small_limits["memory"] == (64 + ALLOWANCE_MB) * MiB, small_limits
    assert (small_limits["cpu"], small_limits["open_files"]) == (3600, 1024), small_limits
    merged_limits = client.invoke_service(merged, "GET", "/rlimits")
    assert merged_limits["memory"] == (512 + ALLOWANCE_MB) * MiB, merged_limits

    with pytest.raises(CLIServerError) as oom:
        client.invoke_service(small, "GET", "/alloc", query={"mb": ALLOC_MB})
    assert (oom.value.status_code, oom.value.code) == (502, "WORKER_OUT_OF_MEMORY")
    assert platform.get("/health").status_code == 200
    assert client.invoke_service(default, "GET", "/alloc", query={"mb": ALLOC_MB}) == int(ALLOC_MB) * MiB
    assert client.invoke_service(merged, "GET", "/alloc", query={"mb": ALLOC_MB}) == int(ALLOC_MB) * MiB
    # the platform keeps serving the small endpoint: a new worker, same limits
    assert client.invoke_service(small, "GET", "/rlimits")["memory"] == (64 + ALLOWANCE_MB) * MiB

    endpoint = client.hosted_services.endpoints.list(small, client.hosted_services.versions.list(small)[0]["id"])[0]
    assert (endpoint["limits"], endpoint["network"]) == (low, "none")


def test_outbound_network_is_per_endpoint(platform, client):
    require(platform.get("/version").json()["sandbox"], "namespaces")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        out = deploy(client, [_endpoint("/tcp", network="outbound")])["id"]
        boxed = deploy(client, [_endpoint("/tcp")])["id"]
        # network is on for the whole version when any of its endpoints opts in
        mixed = deploy(client, [_endpoint("/tcp"), _endpoint("/tcp-out", network="outbound")])["id"]
        assert client.invoke_service(out, "GET", "/tcp", query={"port": str(port)}) == "connected"
        assert client.invoke_service(mixed, "GET", "/tcp", query={"port": str(port)}) == "connected"
        refused = client.invoke_service(boxed, "GET", "/tcp", query={"port": str(port)})
        assert refused in (errno.errorcode[errno.ENETUNREACH], errno.errorcode[errno.ECONNREFUSED])


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"limits": {"memory_mb": 4097}}, "limits.memory_mb"),
        ({"limits": {"cpu_seconds": 0}}, "limits.cpu_seconds"),
        ({"limits": {"open_files": "many"}}, "limits.open_files"),
        ({"limits": {"swap_mb": 1}}, "limits.swap_mb"),
        ({"network": "inbound"}, "network"),
    ],
)
def test_a_limit_out_of_range_is_refused_naming_the_field(client, extra, field):
    service = deploy(client, [], publish=False)
    draft = client.hosted_services.versions.list(service["id"])[0]
    with pytest.raises(CLIValidationError) as refused:
        add_endpoints(client, service["id"], draft["id"], [_endpoint("/x", **extra)])
    assert refused.value.status_code == 422
    assert [d["field"] for d in refused.value.body["details"]] == [field]


def test_a_new_version_keeps_its_endpoints_limits(client):
    sid = deploy(client, [_endpoint("/alloc", limits={"memory_mb": 128, "open_files": 256}, network="outbound")])["id"]
    draft = client.hosted_services.versions.create(sid)
    copied = client.hosted_services.endpoints.list(sid, draft["id"])[0]
    assert (copied["limits"], copied["network"]) == ({"memory_mb": 128, "open_files": 256}, "outbound")
