"""A handler that prints 300 MB: the platform's memory, its /health latency, and `logs --tail 5`.

    python3 dev.py bench logs      (or: python benchmarks/bench_logs.py --megabytes 300)

To measure the code before the log cap, run the same script with PYTHONPATH pointing at
that checkout's src/ and `--tail-rounds 1` (each tail then reads the whole log).

Starts a real `flow-platform serve` (embedded SQLite, the default log cap of 3 files of
10 MiB) and publishes a service whose handler prints `--megabytes` of 1,000-byte lines,
then one line of 100 KB (cut) and five end lines. It reports, all from the same run:

- the platform process's peak RSS during the flood / its RSS just before (ratio);
- `GET /health` latency during the flood / idle just before (median and p99 ratios);
- `logs --tail 5` (the API call the CLI makes) on the flooded, full log / on a log of a
  few lines, alternating (median ratio);
- the log's files and their sizes against the cap.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
from _common import alternate, median_ms, running_platform

from flow_sdk.cli_client import CLIClient
from flow_sdk.config import FlowConfig
from support.hosted import deploy

FLOOD = """
def main(request):
    line = "x" * 999
    for _ in range(request["body"]["lines"]):
        print(line)
    print("L" * 100000)
    for i in range(5):
        print("end", i)
    return {"done": True}
"""
SMALL = 'def main(request):\n    for i in range(5):\n        print("line", i)\n    return {"done": True}\n'


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def health_samples(url: str, seconds: float, stop: threading.Event | None = None) -> list[float]:
    samples = []
    with httpx.Client(base_url=url, timeout=30) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
            start = time.perf_counter()
            http.get("/health").raise_for_status()
            samples.append(time.perf_counter() - start)
            time.sleep(0.005)
    return samples


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far: steadier than latency on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p99_ms(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--tail-rounds", type=int, default=10, help="rounds of 10 tail calls per side")
    args = parser.parse_args()
    with running_platform() as platform:
        assert platform.proc is not None
        pid = platform.proc.pid
        tenant = platform.bootstrap()
        token = CLIClient.exchange_api_key(tenant.url, tenant.api_key)
        config = FlowConfig(token, tenant.url, tenant.org_id, tenant.workspace_id)
        with CLIClient(config, timeout=600) as client:
            endpoint = {"path": "/flood", "method": "POST", "source": FLOOD, "timeout_seconds": 300}
            flood_id = deploy(client, [endpoint])["id"]
            small_id = deploy(client, [{"path": "/small", "method": "POST", "source": SMALL}])["id"]
            client.invoke_service(small_id, "POST", "/small")
            client.invoke_service(flood_id, "POST", "/flood", body={"lines": 1000})  # warm: worker up
            time.sleep(1.0)

            rss_before = rss_kib(pid)
            idle = health_samples(platform.url, 5.0)

            peak = [rss_before]
            done = threading.Event()

            def watch_rss() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss_kib(pid))
                    time.sleep(0.02)

            during: list[float] = []

            def probe_health() -> None:
                during.extend(health_samples(platform.url, 3600, done))

            threads = [threading.Thread(target=watch_rss), threading.Thread(target=probe_health)]
            for thread in threads:
                thread.start()
            started, cpu_started = time.perf_counter(), cpu_seconds(pid)
            client.invoke_service(flood_id, "POST", "/flood", body={"lines": args.megabytes * 1000})
            last = "end 0\nend 1\nend 2\nend 3\nend 4\n"
            while client.hosted_services.logs(flood_id, version=1, tail=5) != last:
                time.sleep(0.05)
            flood_seconds = time.perf_counter() - started
            flood_cpu = cpu_seconds(pid) - cpu_started
            done.set()
            for thread in threads:
                thread.join()
            rss_after = rss_kib(pid)

            def tail_of(service_id: str):  # type: ignore[no-untyped-def]
                def side() -> list[float]:
                    samples = []
                    for _ in range(10):
                        start = time.perf_counter()
                        client.hosted_services.logs(service_id, version=1, tail=5)
                        samples.append(time.perf_counter() - start)
                    return samples

                return side

            full, tiny = alternate(args.tail_rounds, tail_of(flood_id), tail_of(small_id))
        files = [(f.name, f.stat().st_size) for f in sorted((platform.data_dir / "service-logs" / flood_id).iterdir())]

    print(f"\n## Service logs under a flood: {args.megabytes} MB printed in {flood_seconds:.1f} s")
    print(f"  platform CPU during the flood {flood_cpu:.2f} s ({flood_cpu / args.megabytes * 100:.2f} s per 100 MB)")
    print(f"  platform RSS before        {rss_before / 1024:8.1f} MiB")
    print(f"  platform RSS peak during   {peak[0] / 1024:8.1f} MiB   (after: {rss_after / 1024:.1f} MiB)")
    print(f"  RSS peak / before = {peak[0] / rss_before:.2f}   (target: flat, <= 1.2)")
    print(f"  /health idle    median {median_ms(idle):.2f} ms  p99 {p99_ms(idle):.2f} ms  ({len(idle)} calls)")
    print(f"  /health flood   median {median_ms(during):.2f} ms  p99 {p99_ms(during):.2f} ms  ({len(during)} calls)")
    print(f"  max during the flood {max(during) * 1000:.1f} ms")
    print(f"  /health median during / idle = {median_ms(during) / median_ms(idle):.2f}")
    print(f"  /health p99 during / idle = {p99_ms(during) / p99_ms(idle):.2f}")
    print(f"  logs --tail 5: full log median {median_ms(full):.2f} ms, tiny log {median_ms(tiny):.2f} ms")
    print(f"  tail full / tiny = {median_ms(full) / median_ms(tiny):.2f}   (target: about 1)")
    sizes = ", ".join(f"{name} {size / 2**20:.2f} MiB" for name, size in files)
    print(f"  log files: {sizes}  (cap: 3 files below 10 MiB each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
