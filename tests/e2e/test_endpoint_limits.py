"""Per-endpoint sandbox limits and outbound network against the real server.

One worker serves every endpoint of a version, so a version's worker gets, per limit, the
largest any of its endpoints asks for; these tests use one-endpoint versions where a
limit must bite, and a two-endpoint version to show the merge.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

import pytest

from flow_sdk.cli_client import CLIClient, CLIServerError, CLIValidationError
from flow_sdk.config import FlowConfig
from support.hosted import add_endpoints, deploy
from support.platform import RunningPlatform
from support.sandbox import require

HANDLER = """
import errno, socket

def main(request, flow):
    what, q = request["path"].strip("/"), request["query"]
    if what.startswith("alloc"):
        return len(bytearray(200 * 1024 ** 2))
    if what.startswith("tcp"):
        try:
            socket.create_connection(("127.0.0.1", int(q["port"])), timeout=3).close()
            return "connected"
        except OSError as e:
            return errno.errorcode.get(e.errno or 0, type(e).__name__)
    return "ok"
"""
TWO_HUNDRED_MB = 200 * 1024**2


@pytest.fixture(scope="module")
def limited(backend: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    name = "postgres" if backend else "sqlite"
    running = RunningPlatform(tmp_path_factory.mktemp(f"limits-{name}"), backend, name)
    running.start()
    yield running
    running.close()


@pytest.fixture
def client(limited: RunningPlatform) -> Iterator[CLIClient]:
    tenant = limited.bootstrap()
    token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
    ids = {"org_id": tenant.org_id, "workspace_id": tenant.workspace_id}
    made = CLIClient(FlowConfig(access_token=token, platform_url=tenant.url, **ids))
    yield made
    made.close()


def _endpoint(path: str, **extra: object) -> dict[str, object]:
    return {"path": path, "method": "GET", "source": HANDLER, **extra}


def test_an_endpoints_memory_limit_ends_its_handler_and_defaults_do_not(limited, client):
    require(limited.get("/version").json()["sandbox"])
    small = deploy(client, [_endpoint("/alloc", limits={"memory_mb": 64})])["id"]
    default = deploy(client, [_endpoint("/alloc")])["id"]
    # one endpoint of the version asks for more: the version's worker gets the larger limit
    merged = deploy(client, [_endpoint("/alloc", limits={"memory_mb": 64}), _endpoint("/ok")])["id"]

    with pytest.raises(CLIServerError) as oom:
        client.invoke_service(small, "GET", "/alloc")
    assert (oom.value.status_code, oom.value.code) == (502, "WORKER_OUT_OF_MEMORY")
    assert limited.get("/health").status_code == 200
    assert client.invoke_service(default, "GET", "/alloc") == TWO_HUNDRED_MB
    assert client.invoke_service(merged, "GET", "/alloc") == TWO_HUNDRED_MB

    endpoint = client.hosted_services.endpoints.list(small, client.hosted_services.versions.list(small)[0]["id"])[0]
    assert (endpoint["limits"], endpoint["network"]) == ({"memory_mb": 64}, "none")


def test_outbound_network_is_per_endpoint(limited, client):
    require(limited.get("/version").json()["sandbox"], "namespaces")
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
