"""Shared by the benchmarks: a real platform to measure against, and ratio reporting.

Absolute times drift on shared machines, so every benchmark measures its baseline in
the same run, alternating rounds so drift hits both sides alike, and reports ratios.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.platform import RunningPlatform  # noqa: E402


@contextmanager
def running_platform() -> Iterator[RunningPlatform]:
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        platform = RunningPlatform(Path(tmp), None, "sqlite")
        platform.start()
        try:
            yield platform
        finally:
            platform.close()


def alternate(rounds: int, *sides: Callable[[], list[float]]) -> list[list[float]]:
    """Run each side once per round, in alternating order, and pool their samples."""
    pooled: list[list[float]] = [[] for _ in sides]
    for r in range(rounds):
        order = range(len(sides)) if r % 2 == 0 else reversed(range(len(sides)))
        for i in order:
            pooled[i].extend(sides[i]())
    return pooled


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def report(title: str, rows: list[tuple[str, str]], ratio_name: str, ratio: float, target: str) -> None:
    print(f"\n## {title}")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
    print(f"  {ratio_name} = {ratio:.2f}   (target {target})")
