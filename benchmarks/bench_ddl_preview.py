"""A SQLite DDL preview on a 100 MB database vs the same preview on a 1 MB one.

python3 dev.py bench ddl_preview

Both files have the same schema (a table with an index, a view and a trigger) and
differ only in their rows. Each statement is previewed through the DDL runner, as
``execute_ddl`` does, in alternating rounds; the ratio of the medians is what a
preview's cost grows with the data (target <= 2). For comparison, the time to copy
each file with SQLite's backup API, which is what a preview did before it ran on a
schema copy, is printed too.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import alternate, median_ms, report

from flow_platform.domain.ddl import analyze, runner
from flow_platform.domain.ddl.sqlite import create_database
from flow_platform.domain.ddl.target import Target, Timeouts

SMALL_MB, LARGE_MB = 1, 100
ROW_BYTES = 1_000
PREVIEWS_PER_ROUND = 20
ROUNDS = 10
STATEMENTS = [
    "ALTER TABLE events ADD COLUMN note TEXT",
    "CREATE INDEX events_kind_payload ON events (kind, payload)",
]
SCHEMA = [
    "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL)",
    "CREATE TABLE audit (event_id INTEGER, at TEXT)",
    "CREATE INDEX events_kind ON events (kind)",
    "CREATE VIEW recent AS SELECT id, kind FROM events ORDER BY id DESC LIMIT 10",
    "CREATE TRIGGER events_audit AFTER INSERT ON events BEGIN INSERT INTO audit VALUES (new.id, 'now'); END",
]


def build(path: Path, megabytes: int) -> None:
    create_database(str(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in SCHEMA:
            conn.execute(statement)
        rows = megabytes * 1_000_000 // ROW_BYTES
        conn.execute(
            "INSERT INTO events (kind, payload) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
            f" WHERE i < {rows}) SELECT 'kind-' || (i % 50), hex(randomblob({ROW_BYTES // 2})) FROM n"
        )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def previews(target: Target, statement: str) -> Callable[[], list[float]]:
    analysis = analyze(statement, "sqlite")

    def side() -> list[float]:
        samples = []
        for _ in range(PREVIEWS_PER_ROUND):
            start = time.perf_counter()
            run = runner.preview(target, analysis, Timeouts())
            samples.append(time.perf_counter() - start)
            if run.error:
                raise SystemExit(f"preview failed: {run.error}")
        return samples

    return side


def full_copy(path: Path, scratch: Path) -> Callable[[], list[float]]:
    def side() -> list[float]:
        start = time.perf_counter()
        source, dest = sqlite3.connect(path), sqlite3.connect(scratch)
        try:
            source.backup(dest)
        finally:
            source.close()
            dest.close()
            scratch.unlink()
        return [time.perf_counter() - start]

    return side


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="flow-bench-ddl-") as tmp:
        small, large = Path(tmp) / "small.db", Path(tmp) / "large.db"
        build(small, SMALL_MB)
        build(large, LARGE_MB)
        sizes = {p: os.path.getsize(p) / 1_000_000 for p in (small, large)}
        targets = [Target(dialect="sqlite", path=str(p)) for p in (small, large)]
        worst = 0.0
        for statement in STATEMENTS:
            on_small, on_large = alternate(ROUNDS, *(previews(t, statement) for t in targets))
            ratio = median_ms(on_large) / median_ms(on_small)
            worst = max(worst, ratio)
            report(
                f"SQLite preview: {statement}",
                [
                    (f"{sizes[small]:.1f} MB database", f"{median_ms(on_small):.2f} ms median of {len(on_small)}"),
                    (f"{sizes[large]:.1f} MB database", f"{median_ms(on_large):.2f} ms median of {len(on_large)}"),
                ],
                "large/small",
                ratio,
                "<= 2",
            )
        copies = (full_copy(small, Path(tmp) / "c1.db"), full_copy(large, Path(tmp) / "c2.db"))
        copy_small, copy_large = alternate(3, *copies)
        report(
            "For comparison: copying the whole file (the preview's former first step)",
            [
                (f"{sizes[small]:.1f} MB database", f"{median_ms(copy_small):.1f} ms"),
                (f"{sizes[large]:.1f} MB database", f"{median_ms(copy_large):.1f} ms"),
            ],
            "large/small",
            median_ms(copy_large) / median_ms(copy_small),
            "information only",
        )
        print(f"\nworst preview ratio: {worst:.2f} (target <= 2: {'met' if worst <= 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
