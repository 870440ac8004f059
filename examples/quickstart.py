"""The quickstart: an embedded emulator on a free loopback port, walked through end to end.

Run it with ``python3 dev.py quickstart``. Everything lives in a temporary folder (the
platform's data and the CLI's config), so your own ~/.flow is left alone.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass
class Walk:
    tmp: Path
    env: dict[str, str]
    url: str = ""
    boot: dict[str, str] = field(default_factory=dict)

    def sh(self, *args: str, show: bool = True) -> str:
        """Run a command as a user would type it, echo it and its output, fail loudly."""
        shown = " ".join(shlex.quote(a) for a in args)
        for secret in (self.boot.get("api_key"),):
            if secret:
                shown = shown.replace(secret, secret[:10] + "...")
        # Output a later step parses is not shown; say so rather than show nothing.
        print(f"\n$ {shown}" + ("" if show else "   # output read by the quickstart"), flush=True)
        done = subprocess.run([str(BIN / args[0]), *args[1:]], env=self.env, capture_output=True, text=True)
        out = done.stdout + done.stderr
        if show:
            print(out.rstrip())
        if done.returncode != 0:
            if not show:
                print(out.rstrip())
            raise SystemExit(f"quickstart step failed: {shown} exited {done.returncode}")
        return done.stdout

    def python(self, title: str, code: str) -> None:
        print(f"\n>>> # {title}")
        for line in code.strip().splitlines():
            print(f">>> {line}" if line else ">>>")
        done = subprocess.run([sys.executable, "-c", code], env=self.env, capture_output=True, text=True)
        print(done.stdout.rstrip())
        if done.returncode != 0:
            print(done.stderr.rstrip())
            raise SystemExit(f"quickstart step failed: {title}")


def heading(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 70 - len(text)), flush=True)


def bootstrap_and_login(w: Walk) -> None:
    heading("Bootstrap an organization and log the CLI in")
    w.boot = json.loads(
        w.sh("flow-platform", "bootstrap", "--org", "acme", "--json", "--platform-url", w.url, show=False)
    )
    print(json.dumps({**w.boot, "api_key": w.boot["api_key"][:10] + "..."}, indent=2))
    w.sh("flow-sdk", "login", "--api-key", w.boot["api_key"], "--url", w.url)
    w.sh("flow-sdk", "whoami")
    w.sh("flow-sdk", "workspaces", "list")


def python_client(w: Walk) -> None:
    heading("Use CLIClient from Python")
    w.python(
        "the spec's basic usage, with the config flow-sdk login wrote",
        """
from flow_sdk.config import load_config
from flow_sdk.cli_client import CLIClient, CLINotFoundError
client = CLIClient(load_config())
print(client.get_current_user()["role"], [o["name"] for o in client.list_orgs()])
try:
    client.list_workspaces(org_id="00000000-0000-0000-0000-000000000000")
except CLINotFoundError as e:
    print("not found, as expected:", e.code)
""",
    )


def deploy_code_block(w: Walk) -> None:
    heading("Publish a code block and deploy it to the dev ring")
    source = w.tmp / "hello.py"
    source.write_text("def main(request):\n    return {'hello': request.get('name', 'world')}\n")
    print(f"$ cat {source.name}\n{source.read_text().rstrip()}")
    w.sh("flow-sdk", "rings", "list")
    created = w.sh(
        "flow-sdk", "components", "create", "--name", "hello", "--version", "1.0.0", "--source", str(source), "--json",
        show=False,
    )  # fmt: skip
    component_id = json.loads(created)["id"]
    print(f"published component {component_id}")
    w.sh("flow-sdk", "deployments", "create", "--ring", "dev", "--component", component_id, "--wait")
    w.sh("flow-sdk", "deployments", "list", "--ring", "dev")


def hosted_service(w: Walk) -> None:
    heading("Host a service with /health and /analyze, publish it and call it")
    (w.tmp / "health.py").write_text('def main(request):\n    return {"status": "ok"}\n')
    (w.tmp / "analyze.py").write_text(
        "def main(request):\n"
        '    text = request["body"]["text"]\n'
        '    positive = any(word in text.lower() for word in ("good", "great", "love"))\n'
        '    return {"sentiment": "positive" if positive else "neutral", "confidence": 0.92}\n'
    )
    service = json.loads(
        w.sh(
            "flow-sdk",
            "services",
            "create",
            "--slug",
            "sentiment",
            "--name",
            "Sentiment",
            "--mode",
            "persistent",
            "--json",
            show=False,
        )
    )
    sid = service["id"]
    print(f"service {sid} ({service['status']})")
    w.sh(
        "flow-sdk",
        "services",
        "endpoints",
        "add",
        sid,
        "--method",
        "GET",
        "--path",
        "/health",
        "--file",
        str(w.tmp / "health.py"),
    )
    w.sh(
        "flow-sdk",
        "services",
        "endpoints",
        "add",
        sid,
        "--method",
        "POST",
        "--path",
        "/analyze",
        "--file",
        str(w.tmp / "analyze.py"),
        "--request-schema",
        '{"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}',
    )
    w.sh("flow-sdk", "services", "publish", sid)
    w.sh("flow-sdk", "services", "invoke", sid, "GET", "/health")
    w.sh("flow-sdk", "services", "invoke", sid, "POST", "/analyze", "--body", '{"text": "I love this product"}')
    w.python(
        "the spec's example script, calling the same service",
        f"""
from flow_sdk.config import load_config
from flow_sdk.cli_client import CLIClient
config = load_config()
client = CLIClient(config)
health = client.invoke_service(service_id="{sid}", method="GET", path="/health")
print(f"Health: {{health}}")
result = client.invoke_service(
    service_id="{sid}",
    method="POST",
    path="/analyze",
    body={{"text": "Analyze this document for sentiment."}},
)
print(f"Result: {{result}}")
""",
    )


def connector_ddl(w: Walk) -> None:
    heading("Preview, then execute, DDL on an embedded SQLite connector instance")
    made = w.sh("flow-sdk", "connectors", "create", "--connector", "sqlite", "--name", "events-db", "--json")
    instance_id = json.loads(made)["id"]
    w.sh("flow-sdk", "ddl", instance_id, "--sql", "CREATE TABLE events (id TEXT, payload JSONB)")
    w.python(
        "the spec's Connector DDL snippet, verbatim but for the instance id",
        f"""
from flow_sdk.config import load_config
from flow_sdk.cli_client import CLIClient
client = CLIClient(load_config())
# Preview DDL (dry run)
preview = client.execute_ddl(
    instance_id="{instance_id}",
    sql="CREATE TABLE events (id TEXT, payload JSONB)",
    confirm=False,
)
print(preview)  # Shows what would happen
# Execute DDL for real
result = client.execute_ddl(
    instance_id="{instance_id}",
    sql="CREATE TABLE events (id TEXT, payload JSONB)",
    confirm=True,
    reason="Setting up event storage",
)
print(result["outcome"], result["objects_changed"])  # not in the spec: show the result
""",
    )
    w.sh("flow-sdk", "ddl", instance_id, "--sql", "ALTER TABLE events DROP COLUMN payload")


def service_tokens(w: Walk) -> None:
    heading("Mint, revoke and list service tokens of that service")
    services = json.loads(w.sh("flow-sdk", "services", "list", "--json", show=False))
    sid = next(s["id"] for s in services if s["slug"] == "sentiment")
    minted = json.loads(
        w.sh("flow-sdk", "tokens", "mint", sid, "--claims", '{"tenant_id": "t-123"}', "--json", show=False)
    )
    print(json.dumps({**minted, "token": minted["token"][:16] + "..."}, indent=2))
    w.sh("flow-sdk", "tokens", "revoke", sid, minted["jti"], "--expires-at", minted["expires_at"], "--reason", "demo")
    w.sh("flow-sdk", "tokens", "revocations", sid)


# Later features append their walkthrough steps here, in order.
STEPS: list[Callable[[Walk], None]] = [
    bootstrap_and_login,
    python_client,
    deploy_code_block,
    hosted_service,
    connector_ddl,
    service_tokens,
]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="flow-quickstart-") as tmp_name:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLOW_")}
        env.update(
            FLOW_DATA_DIR=str(tmp / "data"),
            FLOW_CONFIG=str(tmp / "config.json"),
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        w = Walk(tmp=tmp, env=env)
        heading("Start the emulator on a free loopback port")
        print("$ flow-platform serve --port 0", flush=True)
        server = subprocess.Popen(
            [str(BIN / "flow-platform"), "serve", "--port", "0", "--log-level", "warning"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert server.stdout is not None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not w.url:
                line = server.stdout.readline()
                if not line:
                    break
                print(line.rstrip())
                if m := re.search(r"listening on (http://\S+)", line):
                    w.url = m.group(1)
            if not w.url:
                raise SystemExit("the emulator did not start")
            for step in STEPS:
                step(w)
            heading("Done")
            print("Everything above ran against a real emulator; its state is deleted now.")
        finally:
            server.terminate()
            server.wait(20)
            if server.stdout:
                server.stdout.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
