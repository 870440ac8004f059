"""Unprivileged uids for sandboxed processes, one per process, leased with a file lock.

A uid of its own means a process can neither read another's files nor connect to
another's socket (their folders are 0700), and RLIMIT_NPROC counts its processes only.
Leases are `flock`s on files in a root-only folder, so several platform processes on
one machine never hand out the same uid; the kernel drops a lease when its holder dies.
"""

from __future__ import annotations

import fcntl
import os
import random
import tempfile
from pathlib import Path

UID_BASE = 1_000_000  # FLOW_SANDBOX_UID_BASE: far above the uids of real users
UID_COUNT = 65_536


class UidLease:
    """A uid (also used as the gid) held until `release()`."""

    def __init__(self, uid: int, fd: int) -> None:
        self.uid = uid
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _lock_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "flow-sandbox-uids"
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.stat()
    if st.st_uid != 0 or st.st_mode & 0o077:
        raise PermissionError(f"{path} must be owned by root with mode 0700")
    return path


def lease(base: int | None = None) -> UidLease | None:
    """A free uid, or None when the platform does not run as root (it cannot switch)."""
    if os.geteuid() != 0:
        return None
    base = base if base is not None else int(os.environ.get("FLOW_SANDBOX_UID_BASE") or UID_BASE)
    folder = _lock_dir()
    start = random.randrange(UID_COUNT)
    for i in range(UID_COUNT):
        uid = base + (start + i) % UID_COUNT
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return UidLease(uid, fd)
    raise RuntimeError("no free sandbox uid")


def give(path: Path, owner: UidLease | None) -> None:
    """Make `path` (a 0700 folder) the leased uid's own."""
    if owner is not None:
        os.chown(path, owner.uid, owner.uid)
