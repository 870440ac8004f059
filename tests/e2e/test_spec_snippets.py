"""Every snippet of the client spec, run as written (placeholders filled) against the client whose
results also read as attributes: nothing changes for dict users."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from flow_sdk.results import Result
from support.deployments import wait_for
from support.hosted import deploy

HEALTH = 'def main(request):\n    return {"status": "ok"}\n'
ANALYZE = 'def main(request):\n    return {"sentiment": "positive", "confidence": 0.92}\n'
PROCESS = 'def main(request):\n    return {"processed": request["body"]["input"]}\n'
STATUS = 'def main(request):\n    return {"version": 2}\n'

SNIPPETS = [
    (
        "basic usage",
        """
from flow_sdk.config import load_config
from flow_sdk.cli_client import CLIClient
config = load_config()
client = CLIClient(config)
""",
    ),
    (
        "invoke_service",
        """
result = client.invoke_service(
    service_id="<service-uuid>",
    method="POST",
    path="/analyze",
    body={"text": "Analyze this document for sentiment."},
)
print(result)
""",
    ),
    (
        "version pinning",
        """
# Call version 2 of the service
result = client.invoke_service(
    service_id="<service-uuid>",
    method="GET",
    path="/status",
    version=2,
)
""",
    ),
    (
        "quick test script",
        '''
"""Quick test script for a deployed HSL service."""
from flow_sdk.config import load_config
from flow_sdk.cli_client import CLIClient
config = load_config()
client = CLIClient(config)
# Health check
health = client.invoke_service(
    service_id="<service-uuid>",
    method="GET",
    path="/health",
)
print(f"Health: {health}")
# Functional test
result = client.invoke_service(
    service_id="<service-uuid>",
    method="POST",
    path="/process",
    body={"input": "test data"},
)
print(f"Result: {result}")
''',
    ),
    (
        "api key exchange",
        """
from flow_sdk.cli_client import CLIClient
token = CLIClient.exchange_api_key(
    platform_url="<platform-url>",
    api_key="<api-key>",
    ttl_minutes=60,
)
print(f"Token: {token[:20]}...")
""",
    ),
    (
        "rings",
        """
# List available deployment rings
rings = client.rings.list()
for ring in rings:
    print(f"{ring['name']} ({ring['id']})")
# Resolve a ring name to its UUID
ring_id = client.rings.resolve("dev")
""",
    ),
    (
        "component publishing",
        """
# Publish a component to the catalog
component = client.create_component(
    component_type="codeblock",
    data={
        "name": "my-processor",
        "version": "1.0.0",
        "description": "Processes incoming data.",
    },
)
""",
    ),
    (
        "component deployments",
        """
# Create a new deployment
deployment = client.component_deployments.create({
    "ring_id": ring_id,
    "deployment_notes": "release candidate",
    "components": [
        {
            "component_id": "<component-uuid>",
            "component_type": "codeblock",
        }
    ],
})
# Check deployment status
deployment_id = deployment["deployments"][0]["id"]
status = client.component_deployments.status(deployment_id)
print(f"Status: {status['status']}")
""",
    ),
    (
        "orgs and workspaces",
        """
# List accessible organizations
orgs = client.list_orgs()
# List workspaces within an organization
workspaces = client.list_workspaces(org_id="<org-uuid>")
""",
    ),
    (
        "service tokens",
        """
# Mint a service token
token_result = client.hosted_services.service_tokens.mint(
    service_id="<service-uuid>",
    claims={"tenant_id": "t-123", "role": "reader"},
    ttl_minutes=120,
)
print(f"Token JTI: {token_result['jti']}")
print(f"Expires: {token_result['expires_at']}")
# Revoke a specific token
client.hosted_services.service_tokens.revoke(
    service_id="<service-uuid>",
    jti=token_result["jti"],
    expires_at=token_result["expires_at"],
    reason="No longer needed",
)
# Revoke all tokens for a service
client.hosted_services.service_tokens.revoke_all(
    service_id="<service-uuid>",
    reason="Rotating credentials",
)
# List active revocations
revocations = client.hosted_services.service_tokens.list_revocations(
    service_id="<service-uuid>",
    include_expired=False,
)
""",
    ),
    (
        "connector ddl",
        """
# Preview DDL (dry run)
preview = client.execute_ddl(
    instance_id="<connector-instance-uuid>",
    sql="CREATE TABLE events (id TEXT, payload JSONB)",
    confirm=False,
)
print(preview) # Shows what would happen
# Execute DDL for real
result = client.execute_ddl(
    instance_id="<connector-instance-uuid>",
    sql="CREATE TABLE events (id TEXT, payload JSONB)",
    confirm=True,
    reason="Setting up event storage",
)
""",
    ),
    (
        "error handling",
        """
from flow_sdk.cli_client import (
    CLIClient,
    CLIClientError,
    CLIAuthenticationError,
    CLIPermissionError,
    CLINotFoundError,
)
try:
    result = client.invoke_service(
        service_id="nonexistent-uuid",
        method="GET",
        path="/health",
    )
except CLIAuthenticationError:
    print("Token expired. Run: flow-sdk login --api-key ... --url ...")
except CLIPermissionError:
    print("You do not have access to this service.")
except CLINotFoundError:
    print("Service or endpoint not found.")
except CLIClientError as e:
    print(f"API error: {e}")
""",
    ),
]


def test_every_spec_snippet_runs_and_results_read_both_ways(client, tenant, tmp_path: Path):
    service = deploy(
        client,
        [
            {"path": "/health", "method": "GET", "source": HEALTH},
            {"path": "/analyze", "method": "POST", "source": ANALYZE},
            {"path": "/process", "method": "POST", "source": PROCESS},
            {"path": "/status", "method": "GET", "source": HEALTH},
        ],
    )
    draft = client.hosted_services.versions.create(service["id"])
    for ep in client.hosted_services.endpoints.list(service["id"], draft["id"]):
        if ep["path"] == "/status":
            client.hosted_services.endpoints.delete(service["id"], draft["id"], ep["id"])
    from support.hosted import add_endpoints

    add_endpoints(client, service["id"], draft["id"], [{"path": "/status", "method": "GET", "source": STATUS}])
    client.hosted_services.versions.publish(service["id"], draft["id"])
    block = client.create_component(
        component_type="codeblock", data={"name": "block", "version": "1.0.0", "source": HEALTH}
    )
    instance = client.connector_instances.create({"connector": "sqlite", "instance_name": "events"})
    client.config.save()  # load_config() in the snippets reads it
    fill = {
        "<service-uuid>": service["id"],
        "<component-uuid>": block["id"],
        "<org-uuid>": tenant.org_id,
        "<connector-instance-uuid>": instance["id"],
        "<platform-url>": tenant.url,
        "<api-key>": tenant.api_key,
    }
    scope: dict = {"client": client}
    printed: dict[str, str] = {}
    for name, code in SNIPPETS:
        for placeholder, value in fill.items():
            code = code.replace(placeholder, value)
        out = io.StringIO()
        before = scope["client"]
        with contextlib.redirect_stdout(out):
            exec(code, scope)  # noqa: S102
        printed[name] = out.getvalue()
        if scope["client"] is not before and before is not client:
            before.close()  # a snippet made its own client from the saved config
    own = scope["client"]

    assert printed["invoke_service"].strip() == "{'sentiment': 'positive', 'confidence': 0.92}"
    assert printed["quick test script"].splitlines() == [
        "Health: {'status': 'ok'}",
        "Result: {'processed': 'test data'}",
    ]
    assert scope["result"] is not None and printed["error handling"].strip() == "Service or endpoint not found."
    assert printed["rings"].splitlines()[0].startswith("dev (")
    assert printed["component deployments"].startswith("Status: ")
    assert printed["service tokens"].startswith("Token JTI: ")

    # The same objects read as attributes, and are still plain dicts to everything else.
    ring = scope["rings"][0]
    assert isinstance(ring, dict) and isinstance(ring, Result)
    assert ring.id == ring["id"] and ring.name == "dev"
    assert scope["component"].id == scope["component"]["id"]
    assert scope["deployment"].deployments[0].id == scope["deployment_id"]
    assert scope["token_result"].jti == scope["token_result"]["jti"]
    assert scope["orgs"][0].id == tenant.org_id
    assert json.loads(json.dumps(scope["status"])) == scope["status"]
    assert own.get_current_user().org_id == tenant.org_id
    assert own is not client and own.config.org_id == tenant.org_id
    own.close()
    wait_for(client.component_deployments, scope["deployment_id"], {"active", "failed"})
