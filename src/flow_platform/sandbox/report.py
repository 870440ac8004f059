"""Which protections this kernel and this platform process give untrusted code.

`flow-platform serve` logs it at start (a warning names each missing protection) and
`GET /version` answers it under "sandbox".
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from typing import Any

from . import landlock, uids
from .policy import MAXIMA

_UNSHARE_CHECK = (
    "import sys\n"
    "from flow_platform.sandbox.namespaces import unshare\n"
    "sys.exit(0 if not unshare(False).startswith('none') else 1)\n"
)


@functools.lru_cache(maxsize=1)
def _kernel() -> dict[str, Any]:
    try:
        import pyseccomp

        pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        seccomp = True
    except (ImportError, OSError, RuntimeError):
        seccomp = False
    # In a child: unshare() changes the caller's namespaces for good.
    probe = subprocess.run([sys.executable, "-c", _UNSHARE_CHECK], capture_output=True, timeout=30)
    return {"landlock_abi": landlock.abi(), "seccomp": seccomp, "namespaces": probe.returncode == 0}


def report(settings: Any) -> dict[str, Any]:
    """The protections in force for workers and deploy probes, and what is missing."""
    if settings.unsafe_no_sandbox:
        return {"enabled": False, "missing": ["everything: FLOW_UNSAFE_NO_SANDBOX=1 (unsafe, benchmarks only)"]}
    from ..gateway.install import worker_limits

    kernel = _kernel()
    root = os.geteuid() == 0
    missing = []
    if not kernel["landlock_abi"]:
        missing.append("landlock (kernel lacks it): code can read every file its uid can")
    if not kernel["seccomp"]:
        missing.append("seccomp (libseccomp or pyseccomp missing): raw sockets, ptrace, ... not refused")
    if not kernel["namespaces"]:
        missing.append("namespaces (kernel or container refuses them): network on, children may outlive workers")
    if not root:
        missing.append("uid switch (platform not running as root): workers share the platform's uid")
    limits = worker_limits(settings)
    return {
        "enabled": True,
        "landlock_abi": kernel["landlock_abi"],
        "seccomp": kernel["seccomp"],
        "namespaces": ["pid", "mount", "net"] if kernel["namespaces"] else [],
        "capabilities": "none",
        "uid_switch": f"{os.environ.get('FLOW_SANDBOX_UID_BASE') or uids.UID_BASE}+" if root else False,
        "worker_limits": vars(limits),
        "worker_limit_maxima": vars(MAXIMA),
        "idle_seconds": settings.worker_idle_seconds,
        "max_workers": settings.max_workers,
        "missing": missing,
    }


def describe(settings: Any) -> str:
    """One line for the start-up log."""
    r = report(settings)
    if not r["enabled"]:
        return "OFF: " + str(r["missing"][0])
    parts = [
        f"landlock ABI {r['landlock_abi']}" if r["landlock_abi"] else "NO landlock",
        "seccomp" if r["seccomp"] else "NO seccomp",
        "namespaces " + "+".join(r["namespaces"]) if r["namespaces"] else "NO namespaces",
        f"uids {r['uid_switch']}" if r["uid_switch"] else "NO uid switch",
        "no capabilities",
        "limits " + ", ".join(f"{k}={v}" for k, v in r["worker_limits"].items()),
        f"idle stop {r['idle_seconds']:g} s, at most {r['max_workers']} workers",
    ]
    line = "; ".join(parts)
    if r["missing"]:
        line += ". MISSING: " + "; ".join(r["missing"])
    return line
