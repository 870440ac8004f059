"""Gateway throughput with service-token auth against platform auth, same service, same code.

    python3 dev.py bench service_token_gateway   (or: python benchmarks/bench_service_token_gateway.py)

Starts a real `flow-platform serve` (embedded SQLite; then PostgreSQL too when one
answers at FLOW_TEST_PG_URL), publishes a service whose `GET /platform` takes a
platform JWT and whose `GET /token` takes a service token (both run the same handler),
and drives both through the gateway with wrk at concurrency 32 and 1, alternating the
order per round. Service-token auth checks the revocation counter on every call (see
docs/service-tokens.md); platform auth re-checks its API key at most once a second.
Prints requests/s, p50 and the ratio token/platform. Needs `wrk`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT

sys.path.insert(0, str(ROOT / "tests"))

from support.databases import pg_unavailable_reason, scratch_pg_database  # noqa: E402
from support.platform import RunningPlatform  # noqa: E402

ANALYZE = 'def main(request):\n    return {"sentiment": "positive", "confidence": 0.92}\n'


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers from {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
    return {"rps": rps, "p50": float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]}


def measure(platform: RunningPlatform, label: str, seconds: int, rounds: int) -> float:
    from flow_sdk.cli_client import CLIClient
    from flow_sdk.config import FlowConfig

    tenant = platform.bootstrap()
    token = CLIClient.exchange_api_key(tenant.url, tenant.api_key, ttl_minutes=120)
    with CLIClient(FlowConfig(token, tenant.url, tenant.org_id, tenant.workspace_id)) as client:
        block = client.create_component("codeblock", {"name": "bench", "version": "1.0.0", "source": ANALYZE})
        sid = client.hosted_services.create({"slug": "bench", "name": "bench", "execution_mode": "persistent"})["id"]
        v1 = client.hosted_services.versions.list(sid)[0]
        for path, mode in (("/platform", "platform"), ("/token", "service_token")):
            client.hosted_services.endpoints.create(
                sid, v1["id"], {"path": path, "method": "GET", "code_block_id": block["id"], "auth_mode": mode}
            )
        client.hosted_services.versions.publish(sid, v1["id"])
        service_token = client.hosted_services.service_tokens.mint(service_id=sid, ttl_minutes=120)["token"]
        # Some revocations in the store, as a live service would have.
        tokens = client.hosted_services.service_tokens
        for _ in range(100):
            minted = tokens.mint(service_id=sid)
            tokens.revoke(service_id=sid, jti=minted["jti"], expires_at=minted["expires_at"])
    base = f"{platform.url}/api/v1/orgs/{tenant.org_id}/services/{sid}/v1"
    sides = {
        "platform": lambda c: wrk(f"{base}/platform", c, seconds, {"Authorization": f"Bearer {token}"}),
        "token": lambda c: wrk(f"{base}/token", c, seconds, {"Authorization": f"Bearer {service_token}"}),
    }
    for side in sides.values():
        side(8)  # warm the worker, the route cache and the verifier's view
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    order = list(sides)
    for r in range(rounds):
        for name in order if r % 2 == 0 else order[::-1]:
            for conc in (32, 1):
                results.setdefault((name, conc), []).append(sides[name](conc))
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("rps", "p50")} for k, v in results.items()}
    # Each round measures both sides back to back, so per-round ratios cancel most of the
    # drift a shared machine adds; their median is the figure to quote.
    paired = {
        c: statistics.median(
            t["rps"] / p["rps"] for t, p in zip(results[("token", c)], results[("platform", c)], strict=True)
        )
        for c in (32, 1)
    }
    print(f"\n## gateway: service-token auth vs platform auth ({label}), {rounds} rounds x {seconds}s per wrk run")
    print(f"  {'auth':<10}{'c':>4}{'req/s':>10}{'p50 ms':>10}")
    for (name, conc), m in sorted(med.items()):
        print(f"  {name:<10}{conc:>4}{m['rps']:>10.0f}{m['p50']:>10.3f}")
    ratio = paired[32]
    print(f"  token/platform throughput at c=32 = {ratio:.2f}   (median of per-round ratios)")
    print(f"  token/platform throughput at c=1  = {paired[1]:.2f}")
    print(f"  added p50 at c=1 = {med[('token', 1)]['p50'] - med[('platform', 1)]['p50']:+.3f} ms")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=2, help="per wrk run (default 2)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds, alternating the order (default 6)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        sqlite = RunningPlatform(Path(tmp) / "sqlite", None, "sqlite")
        sqlite.start()
        try:
            measure(sqlite, "sqlite", args.seconds, args.rounds)
        finally:
            sqlite.close()
        if pg_unavailable_reason() is None:
            with scratch_pg_database("flow_bench") as url:
                pg = RunningPlatform(Path(tmp) / "pg", url, "postgres")
                pg.start()
                try:
                    measure(pg, "postgresql", args.seconds, args.rounds)
                finally:
                    pg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
