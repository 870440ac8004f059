"""Concurrent writers: throughput of 32 threads of mixed writes on SQLite vs PostgreSQL.

Both platforms run in the same run, in alternating rounds; the report is the ratio of
their throughputs (information: no target). Every write must succeed: the clients do
not retry, so a 5xx or a reset stops the benchmark.

python3 dev.py bench writers        # or: .venv/bin/python benchmarks/bench_writers.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _common import alternate, report

from support.databases import pg_unavailable_reason, scratch_pg_database
from support.platform import RunningPlatform

THREADS = 32
WRITES_PER_THREAD = 8
ROUNDS = 4
CODE = "def main(request):\n    return {'ok': True}\n"


class Writers:
    def __init__(self, platform: RunningPlatform) -> None:
        from flow_sdk.cli_client import CLIClient
        from flow_sdk.config import FlowConfig

        t = platform.bootstrap()
        token = CLIClient.exchange_api_key(t.url, t.api_key)
        config = FlowConfig(access_token=token, platform_url=t.url, org_id=t.org_id, workspace_id=t.workspace_id)
        self.client = CLIClient(config, max_retries=0, timeout=120)
        self.ring = self.client.rings.resolve("dev")
        service = self.client.hosted_services.create(
            {"slug": f"bench-{uuid.uuid4().hex[:10]}", "name": "bench", "execution_mode": "persistent"}
        )
        self.service_id = service["id"]

    def one(self, rng: random.Random) -> None:
        c = self.client
        kind = rng.randrange(5)
        if kind == 0:
            c.create_component("codeblock", {"name": f"b-{uuid.uuid4().hex[:10]}", "version": "1.0.0", "source": CODE})
        elif kind == 1:
            c.hosted_services.create(
                {"slug": f"s-{uuid.uuid4().hex[:12]}", "name": "s", "execution_mode": "persistent"}
            )
        elif kind == 2:
            minted = c.hosted_services.service_tokens.mint(service_id=self.service_id)
            c.hosted_services.service_tokens.revoke(
                service_id=self.service_id, jti=minted["jti"], expires_at=minted["expires_at"]
            )
        elif kind == 3:
            c.api_keys.revoke(c.api_keys.create(role="viewer")["id"])
        else:
            block = c.create_component(
                "codeblock", {"name": f"d-{uuid.uuid4().hex[:10]}", "version": "1.0.0", "source": CODE}
            )
            c.component_deployments.create(
                {"ring_id": self.ring, "components": [{"component_id": block["id"], "component_type": "codeblock"}]}
            )

    def round(self) -> list[float]:
        """Operations per second of one round of THREADS x WRITES_PER_THREAD writes."""

        def thread(seed: int) -> None:
            rng = random.Random(seed)
            for _ in range(WRITES_PER_THREAD):
                self.one(rng)

        t = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(thread, range(THREADS)))  # re-raises the first failed write
        return [THREADS * WRITES_PER_THREAD / (time.perf_counter() - t)]


def main() -> None:
    reason = pg_unavailable_reason()
    if reason:
        sys.exit(f"bench writers needs PostgreSQL: {reason}")
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp, scratch_pg_database("flow_bench") as url:
        lite = RunningPlatform(Path(tmp) / "sqlite", None, "sqlite")
        pg = RunningPlatform(Path(tmp) / "postgres", url, "postgres")
        started: list[RunningPlatform] = []
        try:
            for p in (lite, pg):
                p.start()
                started.append(p)
            sides: list[Any] = [Writers(lite), Writers(pg)]
            for side in sides:  # warm up both
                side.round()
            s, p_ = alternate(ROUNDS, sides[0].round, sides[1].round)
        finally:
            for p in started:
                p.close()
    writes = ROUNDS * THREADS * WRITES_PER_THREAD
    report(
        f"{THREADS} concurrent mixed writers (components, services, token mint+revoke, API keys, deployments)",
        [
            ("SQLite", f"{sum(s) / len(s):.0f} ops/s (rounds: {', '.join(f'{x:.0f}' for x in s)})"),
            ("PostgreSQL", f"{sum(p_) / len(p_):.0f} ops/s (rounds: {', '.join(f'{x:.0f}' for x in p_)})"),
            ("operations", f"{writes} each (1-2 write requests each), all answered 2xx, no client retries"),
        ],
        "SQLite / PostgreSQL throughput",
        (sum(s) / len(s)) / (sum(p_) / len(p_)),
        "none: information",
    )


if __name__ == "__main__":
    main()
