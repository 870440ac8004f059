"""Temporary folders of one platform process: made in one place, removed at stop, swept after a crash.

Workers and deploy probes get their folders from `ScratchSpace.make`, inside a folder of
this process, `<root>/p<pid>-<random>/`, beside which `<root>/p<pid>-<random>.lock` is
held with `flock` for the life of the process. The kernel drops the lock when the process
dies, however it dies (`kill -9` included), so a sweep that can take a lock knows that
its owner is gone and removes its folder; the folders of live platform processes that
share the data dir stay untouched. Process ids alone would not do: they are reused, and
in a container the platform is pid 1 after every restart.

`<root>` is `<temp dir>/flow-<uid>-<hash of the data dir>/`: one root per data dir, so a
sweep only meets folders of platforms on the same data dir. Not inside the data dir
itself: that stays 0700 and out of the workers' reach (they may run under uids of their
own, which must pass through every folder above their own), and its path may be too long
for the Unix sockets that workers listen on inside their folders (107 bytes at most).
Folders above a worker's or probe's own are 0711: passable, not listable.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import secrets
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger("flow_platform.scratch")

# A worker's socket is <root>/p<pid>-<6 hex>/r<8>/w<n>/w.sock, and a socket path holds
# 107 bytes at most: keep about 40 of them for what follows the root.
MAX_ROOT_LENGTH = 64
# A claim is `.new` only between two system calls; older ones are the leftovers of a crash.
_STALE_CLAIM_SECONDS = 60.0


def make_private_dir(prefix: str, parent: Path | None = None) -> Path:
    """The one place a worker's or a probe's temporary folder is created (mode 0700)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def scratch_root(data_dir: Path) -> Path:
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:12]
    name = f"flow-{os.geteuid()}-{digest}"
    root = Path(tempfile.gettempdir()) / name
    return root if len(str(root)) <= MAX_ROOT_LENGTH else Path("/tmp") / name


def _passable_dir(path: Path) -> None:
    """mkdir 0711 whatever the umask: others may pass through, not list or write."""
    path.mkdir(mode=0o700)
    path.chmod(0o711)


class ScratchSpace:
    """This process's folder under the data dir's scratch root, claimed on first use."""

    def __init__(self, data_dir: Path) -> None:
        self.root = scratch_root(data_dir)
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._lock_fd: int | None = None
        self._private_root = False  # a root of this process alone: removed with its folder

    @property
    def path(self) -> Path:
        with self._lock:
            if self._path is None:
                self._path = self._claim()
            return self._path

    def make(self, prefix: str) -> Path:
        """A new private folder inside this process's folder."""
        return make_private_dir(prefix, self.path)

    def _claim(self) -> Path:
        for attempt in range(3):
            root = self._ensure_root()
            name = f"p{os.getpid()}-{secrets.token_hex(3)}"
            claim = root / f"{name}.new"
            try:
                fd = os.open(claim, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                break
            except (FileNotFoundError, FileExistsError):
                # The root was just removed by a process that stopped, or the name is taken.
                if attempt == 2:
                    raise
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Renamed only once locked, so a sweep never finds this process's lock free.
        os.rename(claim, root / f"{name}.lock")
        self._lock_fd = fd
        folder = root / name
        _passable_dir(folder)
        return folder

    def _ensure_root(self) -> Path:
        with contextlib.suppress(FileExistsError):
            _passable_dir(self.root)
        info = os.lstat(self.root)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o066:
            return self.root
        # Not ours alone (say, made in the shared temp dir by another user): use a fresh
        # private root, which no sweep shares.
        log.warning("scratch root %s is not a private folder of this user; using a new one", self.root)
        self.root = make_private_dir("flow-run-")
        self.root.chmod(0o711)
        self._private_root = True
        return self.root

    def sweep(self) -> list[Path]:
        """Remove the folders of platform processes that are gone; returns what was removed."""
        if not self.root.is_dir():
            return []
        removed = []
        for entry in self.root.iterdir():
            if entry.suffix == ".lock" and _owner_gone(entry):
                folder = entry.with_suffix("")
                shutil.rmtree(folder, ignore_errors=True)
                entry.unlink(missing_ok=True)
                removed.append(folder)
            elif entry.suffix == ".new":
                with contextlib.suppress(FileNotFoundError):
                    if time.time() - entry.stat().st_mtime > _STALE_CLAIM_SECONDS:
                        entry.unlink()
            elif entry.is_dir() and not entry.with_suffix(".lock").exists() and entry != self._path:
                # A folder whose lock is gone (a sweep stopped half-way): no one owns it.
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        if removed:
            log.info("removed %d temporary folder(s) left by stopped platform processes", len(removed))
        return removed

    def close(self) -> None:
        """Remove this process's folder (after its workers and probes have stopped)."""
        with self._lock:
            path, fd = self._path, self._lock_fd
            self._path = self._lock_fd = None
        if path is None:
            return
        shutil.rmtree(path, ignore_errors=True)
        path.with_suffix(".lock").unlink(missing_ok=True)
        if fd is not None:
            os.close(fd)
        if self._private_root:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):  # only when no other process uses it
                self.root.rmdir()


def _owner_gone(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True
