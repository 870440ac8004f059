"""The component catalog end to end."""

from __future__ import annotations

import pytest

from flow_sdk.cli_client import CLIConflictError, CLINotFoundError, CLIPermissionError, CLIValidationError


def test_spec_component_publishing_snippet(client):
    component = client.create_component(
        component_type="codeblock",
        data={
            "name": "my-processor",
            "version": "1.0.0",
            "description": "Processes incoming data.",
        },
    )
    assert component["id"]
    assert (component["name"], component["version"], component["entrypoint"]) == ("my-processor", "1.0.0", "main")
    assert client.components.get(component["id"]) == component


def test_duplicate_is_a_conflict(client):
    data = {"name": "dup", "version": "1.0.0"}
    client.create_component(component_type="codeblock", data=data)
    with pytest.raises(CLIConflictError) as info:
        client.create_component(component_type="codeblock", data=data)
    assert info.value.status_code == 409


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": "x", "version": "1.0"}, "version"),
        ({"name": "x", "version": "v1.0.0"}, "version"),
        ({"version": "1.0.0"}, "name"),
        ({"name": "x", "version": "1.0.0", "source": "def main(:\n"}, "source"),
        ({"name": "x", "version": "1.0.0", "entrypoint": "not valid"}, "entrypoint"),
    ],
)
def test_invalid_components_name_the_field(client, data, field):
    with pytest.raises(CLIValidationError) as info:
        client.create_component(component_type="codeblock", data=data)
    assert info.value.status_code == 422
    assert info.value.body["details"][0]["field"] == field


def test_syntax_error_reports_the_line(client):
    with pytest.raises(CLIValidationError, match="line 2"):
        client.create_component(
            component_type="codeblock", data={"name": "s", "version": "1.0.0", "source": "x = 1\nif:\n"}
        )


def test_versions_sort_semantically_and_list_filters(client):
    for v in ("1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.0"):
        client.create_component(component_type="codeblock", data={"name": "proc", "version": v})
    client.create_component(
        component_type="prompt", data={"name": "greeting", "version": "1.0.0", "template": "Hello {name}"}
    )
    assert [c["version"] for c in client.components.versions("proc")] == ["0.9.0", "1.2.0-rc.1", "1.2.0", "1.10.0"]
    prompts = client.components.list(type="prompt")
    assert [(p["name"], p["config"]) for p in prompts] == [("greeting", {"template": "Hello {name}"})]


def test_workflow_steps_must_be_codeblocks_of_this_workspace(client, platform, make_client):
    step = client.create_component(
        component_type="codeblock", data={"name": "a", "version": "1.0.0", "source": "def main(r):\n    return r\n"}
    )
    wf = client.create_component(
        component_type="workflow",
        data={"name": "pipeline", "version": "1.0.0", "steps": [step["id"], {"name": "a", "version": "1.0.0"}]},
    )
    assert [s["component_id"] for s in wf["config"]["steps"]] == [step["id"], step["id"]]
    with pytest.raises(CLIValidationError, match="missing@1.0.0"):
        client.create_component(
            component_type="workflow",
            data={"name": "broken", "version": "1.0.0", "steps": [{"name": "missing", "version": "1.0.0"}]},
        )
    other = make_client("admin", tenant_=platform.bootstrap())
    with pytest.raises(CLIValidationError):
        other.create_component(component_type="workflow", data={"name": "w", "version": "1.0.0", "steps": [step["id"]]})


def test_viewer_cannot_publish_and_other_tenant_cannot_read(client, make_client, platform):
    with pytest.raises(CLIPermissionError):
        make_client("viewer").create_component(component_type="codeblock", data={"name": "v", "version": "1.0.0"})
    comp = client.create_component(component_type="codeblock", data={"name": "mine", "version": "1.0.0"})
    other = make_client("admin", tenant_=platform.bootstrap())
    with pytest.raises(CLINotFoundError):
        other.components.get(comp["id"])
    assert other.components.list() == []
