"""What the sandbox tests need: which protections the platform reports, and /proc scans."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


def require(report: dict[str, Any], *protections: str) -> None:
    """Skip, with the reason, when the platform reports a protection missing on this
    kernel; under CI=true (CI runs on a kernel that has them all) fail instead."""
    missing = [m for m in report.get("missing", []) if any(m.startswith(p) for p in protections)]
    if not report.get("enabled", False):
        missing.append("the sandbox is off")
    if missing:
        message = "protection missing on this machine: " + "; ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: no protection may be skipped)")
        pytest.skip(message)


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


def processes_of_uid(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) == uid:
                found.append(int(entry.name))
    return found


def worker_processes(platform_pid: int) -> list[int]:
    """The platform's worker processes: its children running the runtime worker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == platform_pid and b"flow_platform.runtime.worker" in cmdline:
            found.append(int(entry.name))
    return found
