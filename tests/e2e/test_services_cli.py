"""``flow-sdk services ...`` against the real platform, as a user types it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FLOW_SDK = str(Path(sys.executable).parent / "flow-sdk")


def test_services_cli_walkthrough(client, tmp_path: Path):
    config = tmp_path / "flow" / "config.json"
    client.config.save(config)

    def run(*args: str) -> str:
        done = subprocess.run([FLOW_SDK, "--config", str(config), *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr + done.stdout
        return done.stdout

    handler = tmp_path / "analyze.py"
    handler.write_text(
        "def main(request):\n"
        "    print('analyzing', request['body'])\n"
        "    return {'sentiment': 'positive', 'words': len(request['body']['text'].split()),"
        " 'lang': request['query'].get('lang')}\n"
    )
    health = tmp_path / "health.py"
    health.write_text("def main(request):\n    return {'status': 'ok'}\n")

    service = json.loads(
        run("services", "create", "--slug", "cli-demo", "--name", "CLI demo", "--mode", "persistent", "--json")
    )
    sid = service["id"]
    assert service["status"] == "draft"
    run("services", "endpoints", "add", sid, "--method", "GET", "--path", "/health", "--file", str(health))
    schema = '{"type": "object", "required": ["text"]}'
    run(
        "services",
        "endpoints",
        "add",
        sid,
        "--method",
        "POST",
        "--path",
        "/analyze",
        "--file",
        str(handler),
        "--request-schema",
        schema,
    )
    assert "/analyze" in run("services", "endpoints", "list", sid)
    published = json.loads(run("services", "publish", sid, "--json"))
    assert published["number"] == 1 and published["status"] == "published"
    assert "cli-demo" in run("services", "list")
    assert json.loads(run("services", "invoke", sid, "GET", "/health")) == {"status": "ok"}
    body = tmp_path / "body.json"
    body.write_text('{"text": "a fine day"}')
    result = json.loads(
        run("services", "invoke", sid, "POST", "/analyze", "--body", f"@{body}", "--query", "lang=en", "--version", "1")
    )
    assert result == {"sentiment": "positive", "words": 3, "lang": "en"}
    assert "analyzing {'text': 'a fine day'}" in run("services", "logs", sid, "--version", "1")

    refused = subprocess.run(
        [FLOW_SDK, "--config", str(config), "services", "invoke", sid, "POST", "/analyze", "--body", "{}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1 and "422" in refused.stderr and "Traceback" not in refused.stderr

    assert json.loads(run("services", "suspend", sid, "--json"))["status"] == "suspended"
    assert json.loads(run("services", "reactivate", sid, "--json"))["status"] == "active"
    draft = json.loads(run("services", "versions", "create", sid, "--json"))
    assert draft["number"] == 2
    assert json.loads(run("services", "archive", sid, "--json"))["status"] == "archived"


def test_endpoints_add_sets_sandbox_limits_and_network(client, tmp_path: Path):
    config = tmp_path / "flow" / "config.json"
    client.config.save(config)
    handler = tmp_path / "h.py"
    handler.write_text("def main(request):\n    return 'ok'\n")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([FLOW_SDK, "--config", str(config), *args], capture_output=True, text=True, timeout=60)

    made = run("services", "create", "--slug", "cli-limits", "--name", "limits", "--mode", "persistent", "--json")
    sid = json.loads(made.stdout)["id"]
    add = ("services", "endpoints", "add", sid, "--method", "GET", "--file", str(handler))
    done = run(*add, "--path", "/a", "--memory-mb", "256", "--open-files", "100", "--network", "outbound", "--json")
    assert done.returncode == 0, done.stderr
    endpoint = json.loads(done.stdout)
    assert (endpoint["limits"], endpoint["network"]) == ({"memory_mb": 256, "open_files": 100}, "outbound")
    plain = json.loads(run(*add, "--path", "/b", "--json").stdout)
    assert (plain["limits"], plain["network"]) == (None, "none")
    # past a maximum: refused by the CLI before any request, naming the option
    over = run(*add, "--path", "/c", "--memory-mb", "4097")
    assert over.returncode == 2 and "--memory-mb" in over.stderr and "4096" in over.stderr
    assert [e["path"] for e in client.hosted_services.endpoints.list(sid, endpoint["version_id"])] == ["/a", "/b"]
