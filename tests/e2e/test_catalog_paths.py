"""The Endpoint Catalog's top-level paths (/api/v1/components, ...): the same resources as the
org paths, the workspace from X-Workspace-ID or the credential."""

from __future__ import annotations

import uuid

import httpx
import pytest

from support.deployments import CODE, codeblock, deploy, wait_for
from support.hosted import deploy as deploy_service


def _api(tenant, key: str | None = None, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=f"{tenant.url}/api/v1", headers={"X-API-Key": key or tenant.api_key, **headers})


def _org_path(tenant, rest: str) -> str:
    return f"/orgs/{tenant.org_id}/workspaces/{tenant.workspace_id}{rest}"


def test_docs_curl_lines_for_components_run_as_written(tenant):
    with _api(tenant) as api:
        created = api.post(
            "/components",
            json={"component_type": "codeblock", "name": "greet", "version": "1.0.0", "source": CODE},
        )
        assert created.status_code == 201, created.text
        component = created.json()
        assert component["workspace_id"] == tenant.workspace_id
        # One object, two paths.
        assert api.get(f"/components/{component['id']}").json() == component
        assert api.get(_org_path(tenant, f"/components/{component['id']}")).json() == component
        assert [c["id"] for c in api.get("/components", params={"type": "codeblock"}).json()["items"]] == [
            component["id"]
        ]
        assert api.get("/components", params={"type": "workflow"}).json()["items"] == []

        updated = api.put(f"/components/{component['id']}", json={"description": "says hello"})
        assert updated.status_code == 200 and updated.json()["description"] == "says hello"
        frozen = api.put(f"/components/{component['id']}", json={"source": "def main(r):\n    return 1\n"})
        assert frozen.status_code == 409 and frozen.json()["code"] == "COMPONENT_IMMUTABLE"

        v2 = api.post(f"/components/{component['id']}/versions", json={"version": "1.1.0"})
        assert v2.status_code == 201, v2.text
        assert (v2.json()["name"], v2.json()["source"]) == ("greet", CODE)
        versions = api.get(f"/components/{component['id']}/versions").json()["items"]
        assert [v["version"] for v in versions] == ["1.0.0", "1.1.0"]
        published = api.post(f"/components/{v2.json()['id']}/publish")
        assert published.status_code == 200 and published.json()["id"] == v2.json()["id"]

        assert api.delete(f"/components/{v2.json()['id']}").status_code == 204
        assert api.get(f"/components/{v2.json()['id']}").status_code == 404


def test_a_component_in_use_cannot_be_deleted_and_the_409_names_the_user(client, tenant):
    component = codeblock(client, CODE)
    dev = client.rings.resolve("dev")
    deployment = wait_for(client.component_deployments, deploy(client, component, dev)["id"], {"active", "failed"})
    service = deploy_service(client, [{"path": "/hi", "method": "GET", "source": CODE}])
    block_id = client.hosted_services.endpoints.list(service["id"], "1")[0]["code_block_id"]
    with _api(tenant) as api:
        refused = api.delete(f"/components/{component['id']}")
        assert refused.status_code == 409
        assert refused.json()["code"] == "COMPONENT_IN_USE"
        assert deployment["id"] in refused.json()["message"]
        assert set(refused.json()) == {"code", "message", "details", "request_id"}
        by_endpoint = api.delete(_org_path(tenant, f"/components/{block_id}"))
        assert by_endpoint.status_code == 409 and service["slug"] in by_endpoint.json()["message"]


def test_every_catalog_resource_has_both_shapes(client, tenant):
    deploy_service(client, [{"path": "/hi", "method": "GET", "source": CODE}])
    with _api(tenant) as api:
        for resource in ("hosted-services", "rings", "component-deployments", "connector-instances"):
            top, org = api.get(f"/{resource}"), api.get(_org_path(tenant, f"/{resource}"))
            assert top.status_code == org.status_code == 200, (resource, top.text)
            assert top.json() == org.json(), resource
        assert [r["name"] for r in api.get("/rings").json()["items"]] == ["dev", "staging", "production"]


def test_tenancy_is_the_same_on_both_shapes(platform, tenant):
    other = platform.bootstrap()
    with _api(tenant) as api:
        mine = api.post("/components", json={"component_type": "codeblock", "name": "c", "version": "1.0.0"}).json()
    with _api(other) as theirs:
        for path in (f"/components/{mine['id']}", _org_path(tenant, f"/components/{mine['id']}")):
            r = theirs.get(path)
            assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", path
        assert theirs.delete(f"/components/{mine['id']}").status_code == 404
        assert theirs.get("/components").json()["items"] == []
    # X-Workspace-ID of another org's workspace is a 404 too.
    with _api(other, **{"X-Workspace-ID": tenant.workspace_id}) as theirs:
        r = theirs.get("/components")
        assert r.status_code == 404 and set(r.json()) == {"code", "message", "details", "request_id"}


def test_the_workspace_comes_from_the_header_when_the_org_has_several(client, tenant):
    second = client._request("POST", f"/api/v1/orgs/{tenant.org_id}/workspaces", json={"name": "second"})
    with _api(tenant) as api:
        # The org has two workspaces now and the admin key is not bound to one.
        r = api.get("/components")
        assert r.status_code == 400 and r.json()["code"] == "WORKSPACE_REQUIRED"
    with _api(tenant, **{"X-Workspace-ID": second["id"]}) as api:
        made = api.post("/components", json={"component_type": "codeblock", "name": "w2", "version": "1.0.0"})
        assert made.status_code == 201 and made.json()["workspace_id"] == second["id"]
    with _api(tenant, **{"X-Workspace-ID": str(uuid.uuid4())}) as api:
        assert api.get("/components").status_code == 404


def test_openapi_documents_both_shapes(platform):
    spec = platform.get("/openapi.json").json()
    for rest in ("/components", "/components/{component_id}/versions", "/hosted-services", "/rings"):
        assert f"/api/v1{rest}" in spec["paths"]
        assert f"/api/v1/orgs/{{org_id}}/workspaces/{{workspace_id}}{rest}" in spec["paths"]
    top = spec["paths"]["/api/v1/components"]["get"]["parameters"]
    assert "X-Workspace-ID" in {p["name"] for p in top}
    endpoint = spec["components"]["schemas"]["EndpointCreate"]["properties"]
    assert {"expose_as_agent_tool", "tool_description", "max_attempts"} <= set(endpoint)


@pytest.mark.parametrize("resource", ["components", "hosted-services"])
def test_no_credentials_is_401_on_the_top_level_shape(tenant, resource):
    r = httpx.get(f"{tenant.url}/api/v1/{resource}", timeout=10)
    assert r.status_code == 401 and set(r.json()) == {"code", "message", "details", "request_id"}
