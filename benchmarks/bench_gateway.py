"""Hosted-service hot path: the worker called directly vs through the gateway vs CLIClient.

    python3 dev.py bench gateway      (or: python benchmarks/bench_gateway.py --seconds 5 --rounds 2)

Starts a real `flow-platform serve` in a temporary data dir, publishes a service with
`GET /analyze`, then measures, in the same run and alternating the order per round:

  (a) direct:  wrk -> the runtime worker over loopback TCP (same bundle, same code)
  (b) gateway: wrk -> flow-platform serve -> gateway (platform JWT auth) -> worker
  (c) client:  CLIClient.invoke_service from Python threads (one client per thread)

at concurrency 1 and 32, and the cold start of a freshly published version. It prints
ratios b/a and c/a; absolute numbers drift between runs and machines, ratios less so.
On Linux it also prints the CPU time per call of each process at c=32 (from /proc),
which moves far less than req/s when other work shares the machine.
Needs `wrk` (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import running_platform

ANALYZE = 'def main(request):\n    return {"sentiment": "positive", "confidence": 0.92}\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of `pids` so far (0 where /proc is not there)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (the platform's runtime workers)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def wrk(
    url: str, connections: int, seconds: float, headers: dict[str, str], cpu: dict[str, list[int]] | None = None
) -> dict[str, float]:
    """One wrk run; with `cpu` ({name: pids}), also the CPU seconds per call of each group."""
    before = {name: cpu_seconds(pids) for name, pids in (cpu or {}).items()}
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers from {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    calls = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    result = {"rps": rps, "p50": _latency(out, "50%"), "p99": _latency(out, "99%")}
    for name, pids in (cpu or {}).items():
        result[f"cpu_{name}"] = (cpu_seconds(pids) - before[name]) / max(calls, 1)
    return result


def _latency(out: str, pct: str) -> float:
    value, unit = re.search(rf"^\s+{pct}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def client_load(make_client: Any, call: Any, connections: int, seconds: float) -> dict[str, float]:
    """Requests/s and latency of `call(client)` from `connections` threads."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    stop = time.perf_counter() + seconds

    def worker(bucket: list[float]) -> None:
        with make_client() as c:
            call(c)  # warm the connection
            while (start := time.perf_counter()) < stop:
                call(c)
                bucket.append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker, args=(b,)) for b in latencies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged = sorted(x for b in latencies for x in b)
    return {
        "rps": len(merged) / seconds,
        "p50": merged[len(merged) // 2] * 1000,
        "p99": merged[int(len(merged) * 0.99)] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, alternating the order (default 2)")
    parser.add_argument("--client-seconds", type=float, default=3.0)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    from flow_platform.runtime.bundle import Bundle, EndpointSpec
    from flow_sdk.cli_client import CLIClient
    from flow_sdk.config import FlowConfig

    with running_platform() as platform, tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp_name:
        tmp = Path(tmp_name)
        tenant = platform.bootstrap()
        direct_proc = None
        try:
            token = CLIClient.exchange_api_key(tenant.url, tenant.api_key, ttl_minutes=120)
            config = FlowConfig(token, tenant.url, tenant.org_id, tenant.workspace_id)
            client = CLIClient(config)
            block = client.create_component("codeblock", {"name": "bench", "version": "1.0.0", "source": ANALYZE})
            service = client.hosted_services.create({"slug": "bench", "name": "bench", "execution_mode": "persistent"})
            sid = service["id"]
            v1 = client.hosted_services.versions.list(sid)[0]
            client.hosted_services.endpoints.create(
                sid, v1["id"], {"path": "/analyze", "method": "GET", "code_block_id": block["id"]}
            )
            client.hosted_services.versions.publish(sid, v1["id"])

            # Cold start: publish fresh versions and time their first call (worker spawn included).
            colds = []
            for _ in range(5):
                draft = client.hosted_services.versions.create(sid)
                client.hosted_services.versions.publish(sid, draft["id"])
                start = time.perf_counter()
                client.invoke_service(sid, "GET", "/analyze", version=draft["number"])
                colds.append(time.perf_counter() - start)
            warm = []
            for _ in range(50):
                start = time.perf_counter()
                client.invoke_service(sid, "GET", "/analyze", version=1)
                warm.append(time.perf_counter() - start)

            # (a) the same bundle in a worker process listening on loopback TCP.
            bundle_path = tmp / "bundle.json"
            Bundle(sid, 1, (EndpointSpec("GET", "/analyze", ANALYZE),)).write(bundle_path)
            port = free_port()
            r, w = os.pipe()
            direct_proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "flow_platform.runtime.worker",
                    "--bundle",
                    str(bundle_path),
                    "--port",
                    str(port),
                    "--ready-fd",
                    str(w),
                ],
                pass_fds=(w,),
                stderr=subprocess.DEVNULL,
            )
            os.close(w)
            assert os.read(r, 1) == b"R"
            os.close(r)

            direct_url = f"http://127.0.0.1:{port}/analyze"
            gateway_url = f"{platform.url}/api/v1/orgs/{config.org_id}/services/{sid}/v1/analyze"
            auth = {"Authorization": f"Bearer {token}"}
            gateway_workers = children(platform.proc.pid)  # idle ones add ~nothing
            cpu_a = {"worker": [direct_proc.pid]}
            cpu_b = {"platform": [platform.proc.pid], "worker": gateway_workers}
            paths = {
                "a_direct": lambda c: wrk(direct_url, c, args.seconds, {}, cpu_a),
                "b_gateway": lambda c: wrk(gateway_url, c, args.seconds, auth, cpu_b),
                "c_client": lambda c: client_load(
                    lambda: CLIClient(config, max_retries=0),
                    lambda cl: cl.invoke_service(sid, "GET", "/analyze", version=1),
                    c,
                    args.client_seconds,
                ),
            }
            for warmup in ("a_direct", "b_gateway"):
                paths[warmup](8)
            results: dict[tuple[str, int], list[dict[str, float]]] = {}
            order = list(paths)
            for round_no in range(args.rounds):
                for name in order if round_no % 2 == 0 else order[::-1]:
                    for conc in (1, 32):
                        results.setdefault((name, conc), []).append(paths[name](conc))
            client.close()
        finally:
            if direct_proc is not None:
                direct_proc.terminate()
                direct_proc.wait(10)

    med = {k: {m: statistics.median(r[m] for r in v) for m in v[0]} for k, v in results.items()}
    print(f"\nhosted-service hot path, {os.cpu_count()} CPUs, {args.rounds} rounds x {args.seconds:g}s per wrk run")
    print(f"{'path':<12}{'c':>4}{'req/s':>12}{'p50 ms':>10}{'p99 ms':>10}")
    for (name, conc), m in sorted(med.items()):
        print(f"{name:<12}{conc:>4}{m['rps']:>12.0f}{m['p50']:>10.3f}{m['p99']:>10.3f}")
    a32, b32, c32 = (med[(n, 32)]["rps"] for n in ("a_direct", "b_gateway", "c_client"))
    added = med[("b_gateway", 1)]["p50"] - med[("a_direct", 1)]["p50"]
    print()
    print(f"gateway/direct throughput at c=32 (b/a): {b32 / a32:.2f}   (target >= 0.5)")
    print(f"client/direct throughput at c=32 (c/a):  {c32 / a32:.2f}")
    print(f"gateway added p50 at c=1:                {added:.3f} ms   (target <= 2 ms)")
    print(f"client/direct throughput at c=1 (c/a):   {med[('c_client', 1)]['rps'] / med[('a_direct', 1)]['rps']:.2f}")
    a, b = med[("a_direct", 32)], med[("b_gateway", 32)]
    if a.get("cpu_worker"):
        print(
            f"CPU per call at c=32: direct worker {a['cpu_worker'] * 1e6:.1f} us; via the gateway: "
            f"platform process {b['cpu_platform'] * 1e6:.1f} us + worker {b['cpu_worker'] * 1e6:.1f} us"
        )
    print(
        f"cold start of a new version (first call, median of 5): {statistics.median(colds) * 1000:.0f} ms "
        f"(max {max(colds) * 1000:.0f} ms; a warm call: {statistics.median(warm) * 1000:.1f} ms)   (target <= 1 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
