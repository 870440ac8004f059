"""Deployment latency: ``create`` to ``active`` for a small code block, against a bare
interpreter start (``python3 -I -c pass``), which is the unit of work the deployer's
sandbox pays twice per deployment (build, then smoke run).

python3 dev.py bench deployments        # or: .venv/bin/python benchmarks/bench_deployments.py
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

from _common import alternate, median_ms, report, running_platform

RUNS_PER_ROUND = 3
ROUNDS = 6
CODE = "def main(request):\n    return {'ok': True}\n"


def deploy_times(client, ring_id: str) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(RUNS_PER_ROUND):
        component = client.create_component(
            component_type="codeblock",
            data={"name": f"bench-{uuid.uuid4().hex[:8]}", "version": "1.0.0", "source": CODE},
        )
        body = {"ring_id": ring_id, "components": [{"component_id": component["id"], "component_type": "codeblock"}]}
        t = time.perf_counter()
        dep_id = client.component_deployments.create(body)["deployments"][0]["id"]
        while (status := client.component_deployments.status(dep_id)["status"]) not in ("active", "failed"):
            time.sleep(0.002)
        out.append(time.perf_counter() - t)
        if status != "active":
            raise SystemExit(f"benchmark deployment ended {status}")
    return out


def interpreter_times() -> list[float]:
    out = []
    for _ in range(RUNS_PER_ROUND):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "pass"], check=True)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    from flow_sdk.cli_client import CLIClient
    from flow_sdk.config import FlowConfig

    with running_platform() as platform:
        t = platform.bootstrap()
        token = CLIClient.exchange_api_key(t.url, t.api_key)
        config = FlowConfig(access_token=token, platform_url=t.url, org_id=t.org_id, workspace_id=t.workspace_id)
        with CLIClient(config) as client:
            ring_id = client.rings.resolve("dev")
            deploy_times(client, ring_id), interpreter_times()  # warm up both sides
            d, b = alternate(ROUNDS, lambda: deploy_times(client, ring_id), interpreter_times)
    report(
        "code block create -> active vs python3 -I -c pass, median wall time",
        [
            ("python3 -I -c pass", f"{median_ms(b):.1f} ms"),
            ("create -> active", f"{median_ms(d):.1f} ms"),
            ("samples", f"{len(d)} each"),
        ],
        "deploy / bare",
        median_ms(d) / median_ms(b),
        "<= 4",
    )


if __name__ == "__main__":
    main()
