"""What the sandbox costs: a version's cold start and warm gateway throughput, on vs off.

    python3 dev.py bench sandbox      (or: python benchmarks/bench_sandbox.py --seconds 5 --rounds 2)

Starts two real `flow-platform serve` processes side by side: one as shipped (workers in
their own namespaces, uid, seccomp, Landlock, limits) and one with
FLOW_UNSAFE_NO_SANDBOX=1 (workers unconfined: that switch exists for this comparison
only and is unsafe anywhere else). Alternating the order per round, it measures on each:

  cold: publish a fresh version and time its first call through CLIClient (worker
        start included), median of `--colds` per round;
  warm: wrk at concurrency 32 against one warm version through the gateway.

Prints the ratios on/off. Targets: warm throughput >= 0.8 (protections cost at most
20%), cold start <= 2x. Needs `wrk` (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import report
from bench_gateway import wrk

from support.platform import RunningPlatform

ANALYZE = 'def main(request):\n    return {"sentiment": "positive", "confidence": 0.92}\n'


class Side:
    """One platform, a tenant and a published service on it."""

    def __init__(self, tmp: Path, name: str, env: dict[str, str]) -> None:
        from flow_sdk.cli_client import CLIClient
        from flow_sdk.config import FlowConfig

        self.platform = RunningPlatform(tmp / name, None, "sqlite", extra_env=env)
        self.platform.start()
        tenant = self.platform.bootstrap()
        self.token = CLIClient.exchange_api_key(tenant.url, tenant.api_key, ttl_minutes=120)
        self.client = CLIClient(FlowConfig(self.token, tenant.url, tenant.org_id, tenant.workspace_id))
        block = self.client.create_component("codeblock", {"name": "bench", "version": "1.0.0", "source": ANALYZE})
        service = self.client.hosted_services.create({"slug": "bench", "name": "b", "execution_mode": "persistent"})
        self.sid = service["id"]
        v1 = self.client.hosted_services.versions.list(self.sid)[0]
        endpoint = {"path": "/analyze", "method": "GET", "code_block_id": block["id"]}
        self.client.hosted_services.endpoints.create(self.sid, v1["id"], endpoint)
        self.client.hosted_services.versions.publish(self.sid, v1["id"])
        self.client.invoke_service(self.sid, "GET", "/analyze", version=1)  # warm
        self.url = f"{tenant.url}/api/v1/orgs/{tenant.org_id}/services/{self.sid}/v1/analyze"

    def colds(self, count: int) -> list[float]:
        samples = []
        for _ in range(count):
            draft = self.client.hosted_services.versions.create(self.sid)
            self.client.hosted_services.versions.publish(self.sid, draft["id"])
            start = time.perf_counter()
            self.client.invoke_service(self.sid, "GET", "/analyze", version=draft["number"])
            samples.append(time.perf_counter() - start)
        return samples

    def warm(self, seconds: float) -> float:
        return wrk(self.url, 32, seconds, {"Authorization": f"Bearer {self.token}"})["rps"]

    def close(self) -> None:
        self.client.close()
        self.platform.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, alternating the order (default 2)")
    parser.add_argument("--colds", type=int, default=5, help="cold starts per side and round (default 5)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp_name:
        tmp = Path(tmp_name)
        # Enough live workers for every cold start of the run: none is stopped mid-way.
        common = {"FLOW_MAX_WORKERS": "256"}
        sides: dict[str, Any] = {}
        try:
            sides["on"] = Side(tmp, "on", common)
            sides["off"] = Side(tmp, "off", {**common, "FLOW_UNSAFE_NO_SANDBOX": "1"})
            cold: dict[str, list[float]] = {"on": [], "off": []}
            warm: dict[str, list[float]] = {"on": [], "off": []}
            for r in range(args.rounds):
                order = ["on", "off"] if r % 2 == 0 else ["off", "on"]
                for name in order:
                    cold[name].extend(sides[name].colds(args.colds))
                for name in order:
                    warm[name].append(sides[name].warm(args.seconds))
        except Exception:
            for name, side in sides.items():
                print(f"--- platform {name} output:\n{side.platform.output()[-3000:]}")
            raise
        finally:
            for side in sides.values():
                side.close()
    cold_on, cold_off = (statistics.median(cold[n]) * 1000 for n in ("on", "off"))
    warm_on, warm_off = (statistics.median(warm[n]) for n in ("on", "off"))
    warm_rows = [
        ("warm gateway c=32, sandbox on (req/s)", f"{warm_on:,.0f}"),
        ("warm gateway c=32, sandbox off (req/s)", f"{warm_off:,.0f}"),
    ]
    cold_rows = [
        ("cold start, sandbox on (median ms)", f"{cold_on:.1f}"),
        ("cold start, sandbox off (median ms)", f"{cold_off:.1f}"),
    ]
    report("sandbox: warm throughput", warm_rows, "on/off throughput", warm_on / warm_off, ">= 0.8")
    report("sandbox: cold start", cold_rows, "on/off cold start", cold_on / cold_off, "<= 2.0")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
