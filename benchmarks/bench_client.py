"""CLIClient per-call overhead: median latency against a raw httpx.Client, same endpoint.

python3 dev.py bench client
"""

from __future__ import annotations

import time

import httpx
from _common import alternate, median_ms, report, running_platform

from flow_sdk.cli_client import CLIClient
from flow_sdk.config import FlowConfig

CALLS_PER_ROUND = 100
ROUNDS = 10


def main() -> None:
    with running_platform() as platform:
        tenant = platform.bootstrap()
        token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
        config = FlowConfig(token, tenant.url, tenant.org_id, tenant.workspace_id)
        headers = {"Authorization": f"Bearer {token}"}
        with CLIClient(config) as client, httpx.Client(base_url=tenant.url) as raw:

            def sdk() -> list[float]:
                out = []
                for _ in range(CALLS_PER_ROUND):
                    t = time.perf_counter()
                    client.get_current_user()
                    out.append(time.perf_counter() - t)
                return out

            def bare() -> list[float]:
                out = []
                for _ in range(CALLS_PER_ROUND):
                    t = time.perf_counter()
                    r = raw.get("/api/v1/auth/me", headers=headers)
                    r.raise_for_status()
                    r.json()
                    out.append(time.perf_counter() - t)
                return out

            sdk(), bare()  # warm the pools and the server
            s, b = alternate(ROUNDS, sdk, bare)
    ratio = median_ms(s) / median_ms(b)
    report(
        "CLIClient vs raw httpx.Client: GET /api/v1/auth/me, median per call",
        [
            ("raw httpx", f"{median_ms(b):.3f} ms"),
            ("CLIClient", f"{median_ms(s):.3f} ms"),
            ("samples", f"{len(s)} each, {ROUNDS} alternating rounds"),
        ],
        "CLIClient / httpx",
        ratio,
        "<= 1.15",
    )


if __name__ == "__main__":
    main()
