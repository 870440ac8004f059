"""Run the benchmarks: ``python3 dev.py bench [NAME ...]`` (NAME: client, cli, ...).

Each ``bench_NAME.py`` is its own program, run in its own process, printing ratios
against a baseline it measured in the same run. Never part of the test suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    available = {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}
    wanted = argv or list(available)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available)}", file=sys.stderr)
        return 2
    failed = 0
    for name in wanted:
        print(f"# benchmark: {name}", flush=True)
        failed |= subprocess.call([sys.executable, str(available[name])], cwd=HERE)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
