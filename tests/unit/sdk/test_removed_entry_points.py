"""The spec's "Breaking Changes": the non-canonical entry points stay removed."""

from __future__ import annotations

from flow_sdk.cli_client import CLIClient
from flow_sdk.resources.rings import CLIRingsNamespace


def test_removed_entry_points_do_not_exist():
    assert not hasattr(CLIClient, "mint_service_token")
    assert not hasattr(CLIClient, "deployments")
    assert not hasattr(CLIRingsNamespace, "create_ring")


def test_canonical_namespaces_exist():
    for name in ("component_deployments", "workflow_deployments", "rings"):
        assert hasattr(CLIClient, name)
    for method in ("list", "resolve", "create", "get", "delete"):
        assert callable(getattr(CLIRingsNamespace, method))
