"""The sandboxed process's view of the file system (in its own mount namespace).

Two fixes, each by covering a folder with an empty tmpfs and bind-mounting back only
what the process needs under it:
- folders other users cannot enter (a Python installed under /root, 0700) would lock
  a process out of its own interpreter once it drops to its uid: covered, with the
  interpreter's folders put back;
- shared folders holding other programs' Unix sockets (/tmp, /run, /var/run,
  /dev/shm): covered, with the process's own folder put back. Landlock does not check
  `connect()` on Unix sockets, so hiding them is what keeps a handler from reaching
  a database's or another worker's socket.
"""

from __future__ import annotations

import ctypes
import os
import stat

MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 1 << 18
SHARED_FOLDERS = ("/tmp", "/run", "/var/run", "/dev/shm", "/var/tmp")


def _mount(
    libc: ctypes.CDLL, source: str | None, target: str, fstype: str | None, flags: int, data: str | None
) -> None:
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    if libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _closed_ancestor(path: str) -> str | None:
    """The first folder above `path` that other users may not enter."""
    parts = os.path.abspath(path).split("/")[1:-1]
    current = ""
    for part in parts:
        current += "/" + part
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return None
        if not mode & stat.S_IXOTH:
            return current
    return None


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def arrange(keep: set[str], *, drop_privileges: bool) -> list[str]:
    """Cover shared folders (and closed ones, when the uid will change); `keep` stays visible.

    Call in a fresh mount namespace, with the privilege to mount. Returns the covered folders.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE, None)  # nothing here leaks to the host
    keep = {os.path.realpath(p) for p in keep if os.path.exists(p)}
    covers: set[str] = set()
    for folder in SHARED_FOLDERS:
        if os.path.isdir(folder) and not os.path.islink(folder):
            covers.add(os.path.realpath(folder))
    if drop_privileges:
        covers.update(a for a in (_closed_ancestor(p) for p in keep) if a)
    # Outermost first: a folder inside one already covered is covered with it.
    done: list[str] = []
    for folder in sorted(covers, key=len):
        if any(_under(folder, d) for d in done):
            continue
        inside = [p for p in keep if _under(p, folder) and p != folder]
        handles = [(p, os.open(p, os.O_PATH | os.O_CLOEXEC)) for p in _outermost(inside)]
        try:
            _mount(libc, "tmpfs", folder, "tmpfs", 0, "mode=0755,size=64k")
            for path, fd in handles:
                if os.path.isdir(f"/proc/self/fd/{fd}"):
                    os.makedirs(path, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    open(path, "a").close()  # noqa: SIM115 - a mount point, nothing more
                _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None)
        finally:
            for _, fd in handles:
                os.close(fd)
        done.append(folder)
    return done


def _outermost(paths: list[str]) -> list[str]:
    chosen: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(_under(path, c) for c in chosen):
            chosen.append(path)
    return chosen
