"""CLIClient per-call overhead: median latency against a raw httpx.Client, same call.

python3 dev.py bench client            (add --profile to print where CLIClient's time goes)

The call is the cheapest one there is: a hosted-service endpoint whose handler returns
a constant, through the gateway. Both sides send the same token and decode the JSON.
"""

from __future__ import annotations

import sys
import time

import httpx
from _common import alternate, median_ms, report, running_platform

from flow_sdk.cli_client import CLIClient
from flow_sdk.config import FlowConfig
from support.hosted import deploy

CALLS_PER_ROUND = 200
ROUNDS = 10
CONSTANT = "def main(request):\n    return {'ok': True}\n"


def main() -> None:
    with running_platform() as platform:
        tenant = platform.bootstrap()
        token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
        config = FlowConfig(token, tenant.url, tenant.org_id, tenant.workspace_id)
        headers = {"Authorization": f"Bearer {token}"}
        with CLIClient(config) as client, httpx.Client(base_url=tenant.url) as raw:
            sid = deploy(client, [{"path": "/ping", "method": "GET", "source": CONSTANT}])["id"]
            path = f"/api/v1/orgs/{tenant.org_id}/services/{sid}/ping"

            def sdk() -> list[float]:
                out = []
                for _ in range(CALLS_PER_ROUND):
                    t, c = time.perf_counter(), time.thread_time()
                    client.invoke_service(sid, "GET", "/ping")
                    out.append(time.perf_counter() - t)
                    cpu_sdk.append(time.thread_time() - c)
                return out

            def bare() -> list[float]:
                out = []
                for _ in range(CALLS_PER_ROUND):
                    t, c = time.perf_counter(), time.thread_time()
                    r = raw.get(path, headers=headers)
                    r.raise_for_status()
                    r.json()
                    out.append(time.perf_counter() - t)
                    cpu_bare.append(time.thread_time() - c)
                return out

            cpu_sdk: list[float] = []
            cpu_bare: list[float] = []
            assert client.invoke_service(sid, "GET", "/ping") == {"ok": True}
            sdk(), bare()  # warm the pools, the worker and the server
            cpu_sdk.clear(), cpu_bare.clear()
            if "--profile" in sys.argv:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.runcall(sdk)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            s, b = alternate(ROUNDS, sdk, bare)
    ratio = median_ms(s) / median_ms(b)
    report(
        "CLIClient.invoke_service vs raw httpx.Client: GET through the gateway, median per call",
        [
            ("raw httpx", f"{median_ms(b):.3f} ms"),
            ("CLIClient", f"{median_ms(s):.3f} ms"),
            ("samples", f"{len(s)} each, {ROUNDS} alternating rounds"),
            # The caller's own CPU per call: what the client adds, without the server's
            # share and without the scheduling noise of a busy machine.
            ("raw httpx CPU", f"{median_ms(cpu_bare) * 1000:.0f} us"),
            ("CLIClient CPU", f"{median_ms(cpu_sdk) * 1000:.0f} us"),
            ("CPU ratio", f"{median_ms(cpu_sdk) / median_ms(cpu_bare):.2f}"),
        ],
        "CLIClient / httpx",
        ratio,
        "<= 1.05",
    )


if __name__ == "__main__":
    main()
