"""``flow-sdk --help`` start-up against a bare interpreter start (``python3 -c pass``).

python3 dev.py bench cli
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _common import alternate, median_ms, report

RUNS_PER_ROUND = 5
ROUNDS = 8
FLOW_SDK = str(Path(sys.executable).parent / "flow-sdk")


def timed(cmd: list[str]) -> list[float]:
    out = []
    for _ in range(RUNS_PER_ROUND):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    help_cmd, bare_cmd = [FLOW_SDK, "--help"], [sys.executable, "-c", "pass"]
    timed(help_cmd), timed(bare_cmd)  # warm the page cache
    h, b = alternate(ROUNDS, lambda: timed(help_cmd), lambda: timed(bare_cmd))
    report(
        "flow-sdk --help vs python3 -c pass, median wall time",
        [
            ("python3 -c pass", f"{median_ms(b):.1f} ms"),
            ("flow-sdk --help", f"{median_ms(h):.1f} ms"),
            ("samples", f"{len(h)} each"),
        ],
        "help / bare",
        median_ms(h) / median_ms(b),
        "<= 4",
    )


if __name__ == "__main__":
    main()
