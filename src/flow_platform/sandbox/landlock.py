"""Landlock: the process may read the interpreter and its libraries and write its own
working folder, nothing else (not the platform's data dir, not other workers' folders,
not /proc of other processes), and may not signal processes outside its sandbox.

Linux 5.13+; `abi()` says which version the kernel offers (0: none).
https://docs.kernel.org/userspace-api/landlock.html
"""

from __future__ import annotations

import ctypes
import os
import sys

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # same on x86_64 and arm64
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi() -> int:
    """The Landlock ABI version of this kernel, 0 when it has none."""
    if not sys.platform.startswith("linux"):
        return 0
    version = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(0, int(version))


def readable_paths() -> set[str]:
    import importlib.util

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p)
    # Code may use flow_sdk (FlowSDK), wherever it is installed from.
    spec = importlib.util.find_spec("flow_sdk")
    if spec is not None and spec.submodule_search_locations:
        paths.update(spec.submodule_search_locations)
    paths.update(("/usr", "/lib", "/lib64", "/bin", "/etc/ssl", "/etc/ca-certificates", "/etc/localtime"))
    paths.update(("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf"))
    # /proc/self names our pid as the host's /proc sees it, also inside a PID namespace.
    paths.update(("/dev/urandom", "/dev/random", "/dev/zero", f"/proc/{os.readlink('/proc/self')}"))
    return paths


def restrict(workdir: str) -> int:
    """Apply the rules to this process; the ABI used, 0 when the kernel does not offer it.

    Sets `no_new_privs`, which unprivileged self-restriction requires.
    """
    libc = _libc()
    version = abi()
    if version < 1:
        return 0
    handled = (1 << 13) - 1 if version == 1 else (1 << 14) - 1 if version == 2 else (1 << 15) - 1
    if version >= 5:
        handled = (1 << 16) - 1
    scoped = _SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET if version >= 6 else 0
    attr = _RulesetAttr(handled, 0, scoped)
    size = 24 if version >= 6 else 16 if version >= 4 else 8
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return 0
    try:
        rules = [(path, _READ) for path in sorted(readable_paths())]
        rules += [(workdir, handled), ("/dev/null", _FS_READ_FILE | _FS_WRITE_FILE)]
        for path, allowed in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # not on this system
            try:
                if not os.path.isdir(path):
                    allowed &= _FILE_RIGHTS
                rule = _PathBeneath(allowed & handled, fd)
                # A rule the kernel refuses only takes access away: the process stays confined.
                libc.syscall(_SYS_ADD_RULE, ruleset, ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0))
            finally:
                os.close(fd)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            return 0
        return version if libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) == 0 else 0
    finally:
        os.close(ruleset)
