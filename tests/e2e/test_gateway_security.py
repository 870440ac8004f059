"""The gateway's security properties, over raw HTTP against the real platform."""

from __future__ import annotations

import http.client
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

from support.hosted import deploy

SECRET = 'def main(r):\n    return "secret"\n'
OK = 'def main(r):\n    return "ok"\n'


def raw_get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """GET `path` exactly as written (no client-side normalisation or re-encoding)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else {}
    finally:
        conn.close()


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


def test_an_encoded_slash_cannot_reach_a_protected_endpoint(client, tenant):
    sid = deploy(
        client,
        [
            {"path": "/pub/secret", "method": "GET", "source": OK, "auth_mode": "public"},
            {"path": "/secret", "method": "GET", "source": SECRET},
            {"path": "/token", "method": "GET", "source": SECRET, "auth_mode": "service_token"},
        ],
    )["id"]
    base = f"/api/v1/orgs/{tenant.org_id}/services/{sid}"
    assert raw_get(tenant.url, f"{base}/pub/secret") == (200, "ok")
    for sneaky in (
        f"{base}%2Fpub/secret",
        f"{base}%2fpub/secret",
        f"{base}/v1%2Fpub/secret",
        f"{base}%2Fpub/token",
        f"{base}/v1%2Fpub/token",
    ):
        status, body = raw_get(tenant.url, sneaky)
        assert status == 404, (sneaky, status, body)
        assert body != "secret"
    # An encoded slash inside the endpoint path is routed as the slash it decodes to,
    # by the gateway only: the public endpoint answers, the protected one never does.
    assert raw_get(tenant.url, f"{base}/pub%2Fsecret") == (200, "ok")


def test_async_jobs_forward_the_path_re_quoted(client):
    source = 'def main(r):\n    return r["path_params"]\n'
    sid = deploy(client, [{"path": "/items/{name}", "method": "POST", "source": source, "async_eligible": True}])["id"]
    for name in ("a?b c", "a%3Fb%20c"):  # the handler sees the name it was given, decoded once
        job = client.jobs.submit(sid, "POST", f"/items/{name}", body={})
        done = client.jobs.wait(sid, job["job_id"], timeout=30)
        assert done["status"] == "succeeded", done
        assert done["result"] == {"name": name}


def _whole_404(tenant, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    status, body = raw_get(tenant.url, path, headers)
    assert status == 404, (path, status, body)
    return without_request_id(body)


def test_nobody_outside_the_service_can_tell_it_exists(client, platform, make_client, tenant):
    sid = deploy(
        client,
        [
            {"path": "/health", "method": "GET", "source": OK},
            {"path": "/open", "method": "GET", "source": OK, "auth_mode": "public"},
        ],
    )["id"]
    suspended = deploy(client, [{"path": "/health", "method": "GET", "source": OK}])["id"]
    client.hosted_services.suspend(suspended)
    archived = deploy(client, [{"path": "/health", "method": "GET", "source": OK}])["id"]
    client.hosted_services.archive(archived)
    draft = deploy(client, [{"path": "/health", "method": "GET", "source": OK}], publish=False)["id"]
    other = make_client(tenant_=platform.bootstrap())
    foreign = {"Authorization": f"Bearer {other.config.access_token}"}
    org = tenant.org_id
    unknown = _whole_404(tenant, f"/api/v1/orgs/{org}/services/{uuid.uuid4()}/health")
    assert unknown["code"] == "SERVICE_NOT_FOUND"
    probes = [
        (f"/api/v1/orgs/{org}/services/not-an-id/health", None),
        (f"/api/v1/orgs/{org}/services/{sid}/nope", None),  # route miss
        (f"/api/v1/orgs/{org}/services/{sid}/v9/health", None),  # version miss
        (f"/api/v1/orgs/{org}/services/{sid}/open/x", None),
        (f"/api/v1/orgs/{org}/services/{suspended}/nope", None),
        (f"/api/v1/orgs/{org}/services/{archived}/health", None),
        (f"/api/v1/orgs/{org}/services/{draft}/health", None),
        (f"/api/v1/orgs/{org}/services/{sid}/health", foreign),
        (f"/api/v1/orgs/{org}/services/{sid}/nope", foreign),
        (f"/api/v1/orgs/{org}/services/{uuid.uuid4()}/health", foreign),
        (f"/api/v1/orgs/{other.config.org_id}/services/{sid}/health", foreign),
        (f"/api/v1/orgs/{org}/services/{suspended}/health", foreign),
    ]
    for path, headers in probes:
        assert _whole_404(tenant, path, headers) == unknown, path
    # A suspended service answers an anonymous caller as an active one does.
    active = raw_get(tenant.url, f"/api/v1/orgs/{org}/services/{sid}/health")
    paused = raw_get(tenant.url, f"/api/v1/orgs/{org}/services/{suspended}/health")
    assert active[0] == paused[0] == 401
    assert without_request_id(active[1]) == without_request_id(paused[1])
    # Wrong method on an endpoint: 405 to the org's members only.
    with httpx.Client(timeout=30) as http_:
        url = f"{tenant.url}/api/v1/orgs/{org}/services/{sid}/health"
        anonymous = http_.delete(url)
        assert anonymous.status_code == 404 and without_request_id(anonymous.json()) == unknown
        member = http_.delete(url, headers={"X-API-Key": tenant.api_key})
        assert member.status_code == 405
    # Members of the org still learn exactly what is wrong.
    member = {"X-API-Key": tenant.api_key}
    assert raw_get(tenant.url, f"/api/v1/orgs/{org}/services/{sid}/nope", member)[1]["code"] == "ENDPOINT_NOT_FOUND"
    assert raw_get(tenant.url, f"/api/v1/orgs/{org}/services/{sid}/v9/health", member)[1]["code"] == (
        "VERSION_NOT_FOUND"
    )
    assert raw_get(tenant.url, f"/api/v1/orgs/{org}/services/{suspended}/health", member)[0] == 503


def test_a_workspace_bound_key_reaches_only_its_workspace(client, platform, tenant):
    from flow_platform.domain.api_keys import create_api_key
    from flow_platform.domain.tenancy import create_workspace

    sid = deploy(client, [{"path": "/health", "method": "GET", "source": OK}])["id"]
    with platform.session() as session:
        elsewhere = create_workspace(session, tenant.org_id, f"other-{uuid.uuid4().hex[:6]}").id
        bound_elsewhere = create_api_key(
            session, platform.settings, org_id=tenant.org_id, role="admin", workspace_id=elsewhere
        ).key
        bound_here = create_api_key(
            session, platform.settings, org_id=tenant.org_id, role="viewer", workspace_id=tenant.workspace_id
        ).key
    path = f"/api/v1/orgs/{tenant.org_id}/services/{sid}/health"
    unknown = without_request_id(raw_get(tenant.url, f"/api/v1/orgs/{tenant.org_id}/services/{uuid.uuid4()}/x")[1])
    assert raw_get(tenant.url, path, {"X-API-Key": bound_here}) == (200, "ok")
    status, body = raw_get(tenant.url, path, {"X-API-Key": bound_elsewhere})
    assert (status, without_request_id(body)) == (404, unknown)
    # ... and the same through an access token exchanged from that key
    token = httpx.post(f"{tenant.url}/api/v1/auth/token", json={"api_key": bound_elsewhere}, timeout=30)
    token.raise_for_status()
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    status, body = raw_get(tenant.url, path, bearer)
    assert (status, without_request_id(body)) == (404, unknown)


PROBE_TOKEN = """
import os
import httpx as plain
def main(request):
    env = os.environ
    # Workers have no network: the platform's API is reached over its Unix socket.
    httpx = plain.Client(transport=plain.HTTPTransport(uds=env["PLATFORM_API_SOCKET"]))
    base = env["PLATFORM_API_URL"] + "/api/v1/orgs/" + env["ORG_ID"]
    headers = {"Authorization": "Bearer " + env["AUTH_TOKEN"]}
    ws = base + "/workspaces/" + env["WORKSPACE_ID"]
    return {
        "create_service": httpx.post(ws + "/hosted-services", headers=headers, timeout=30,
            json={"slug": "escalated", "name": "x", "execution_mode": "persistent"}).status_code,
        "list_keys": httpx.get(base + "/api-keys", headers=headers, timeout=30).status_code,
        "create_workspace": httpx.post(base + "/workspaces", headers=headers, timeout=30,
            json={"name": "escalated"}).status_code,
        "read_services": httpx.get(ws + "/hosted-services", headers=headers, timeout=30).status_code,
        "other_workspace": httpx.get(base + "/workspaces/" + request["query"]["other"] + "/hosted-services",
            headers=headers, timeout=30).status_code,
    }
"""


def test_a_handlers_token_cannot_act_as_the_services_admin(client, platform, tenant):
    from flow_platform.domain.tenancy import create_workspace

    with platform.session() as session:
        elsewhere = create_workspace(session, tenant.org_id, f"other-{uuid.uuid4().hex[:6]}").id
    sid = deploy(client, [{"path": "/probe", "method": "GET", "source": PROBE_TOKEN}])["id"]
    result = client.invoke_service(sid, "GET", "/probe", query={"other": elsewhere})
    assert result == {
        "create_service": 403,
        "list_keys": 403,
        "create_workspace": 403,
        "read_services": 200,
        "other_workspace": 404,
    }


SNOOP = """
import os, tempfile
def attempt(path):
    try:
        with open(path, "rb") as f:
            f.read(1)
        return "read"
    except OSError as err:
        return type(err).__name__
def main(request):
    here = os.getcwd()
    run_dir = os.path.dirname(here)
    siblings = []
    try:
        names = os.listdir(run_dir)
    except OSError as err:
        names = []
        siblings.append(type(err).__name__)
    for name in names:
        path = os.path.join(run_dir, name)
        if path != here and os.path.isdir(path):
            siblings.append(attempt(os.path.join(path, "w.sock")))
    siblings.append(attempt(os.path.join(request["query"]["sibling_dir"], "w.sock")))
    return {
        "cwd": here,
        "secret_key": attempt(request["query"]["secret"]),
        "database": attempt(request["query"]["db"]),
        "parent_environ": attempt(f"/proc/{os.getppid()}/environ"),
        "sibling_environ": attempt(f"/proc/{request['query']['sibling']}/environ"),
        "siblings": siblings,
        "writes_own_dir": open(os.path.join(here, "scratch"), "w").write("x"),
        "temp_file": os.path.dirname(tempfile.mkstemp()[1]) == here,
    }
"""


def test_a_handler_cannot_read_the_platform_or_other_services(client, platform):
    secret = platform.data_dir / "secret.key"
    if not secret.exists():  # the test platform takes its key from the environment
        secret.write_text("canary")
    database = next((p for p in platform.data_dir.iterdir() if p.is_file() and p != secret), secret)
    pid = "import os\ndef main(r):\n    return [int(os.readlink('/proc/self')), os.getcwd()]\n"
    other = deploy(client, [{"path": "/pid", "method": "GET", "source": pid}])["id"]
    sibling, sibling_dir = client.invoke_service(other, "GET", "/pid")  # a sibling worker, with its own token
    sid = deploy(client, [{"path": "/snoop", "method": "GET", "source": SNOOP}])["id"]
    query = {"secret": str(secret), "db": str(database), "sibling": str(sibling), "sibling_dir": sibling_dir}
    seen = client.invoke_service(sid, "GET", "/snoop", query=query)
    # PR_SET_DUMPABLE=0 (platform and workers) holds without Landlock too
    assert seen["parent_environ"] == "PermissionError"
    assert seen["sibling_environ"] == "PermissionError"
    # no bundle (code, token) is ever written to disk
    from pathlib import Path

    assert not list(Path(seen["cwd"]).parent.rglob("bundle.json"))
    log = client.hosted_services.logs(sid)
    if "; landlock" not in log:
        import pytest

        pytest.skip("this kernel has no Landlock: file confinement cannot be checked")
    # refused by Landlock, or hidden by the worker's mount namespace
    assert seen["secret_key"] in ("PermissionError", "FileNotFoundError")
    assert seen["database"] in ("PermissionError", "FileNotFoundError")
    assert seen["siblings"] and set(seen["siblings"]) <= {"PermissionError", "FileNotFoundError"}
    assert seen["writes_own_dir"] == 1
    assert seen["temp_file"] is True  # TMPDIR is the worker's own folder


KNOCK = """
import os, socket
def main(request):
    run_dir = os.path.dirname(os.getcwd())
    answers = []
    for n in range(1, 400):
        path = os.path.join(run_dir, f"w{n}", "w.sock")
        if os.path.dirname(path) == os.getcwd():
            continue
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        try:
            s.connect(path)
            s.sendall(b"GET /secret HTTP/1.1\\r\\nhost: x\\r\\nx-flow-endpoint: 0\\r\\ncontent-length: 0\\r\\n\\r\\n")
            answers.append(s.recv(4096).decode("latin-1"))
        except OSError:
            pass
        finally:
            s.close()
    return answers
"""


def test_a_handler_cannot_call_another_worker_directly(client):
    secret = 'def main(r):\n    return "the-secret"\n'
    target = deploy(client, [{"path": "/secret", "method": "GET", "source": secret}])["id"]
    assert client.invoke_service(target, "GET", "/secret") == "the-secret"  # its worker is up
    sid = deploy(client, [{"path": "/knock", "method": "GET", "source": KNOCK}])["id"]
    answers = client.invoke_service(sid, "GET", "/knock")
    assert not any("the-secret" in a for a in answers), answers
