"""Confine the calling process before untrusted code runs in it; see the package doc.

Order matters: Landlock and the capability bounding set need privileges that the uid
switch takes away; the process stops being dumpable after the switch (a uid change
resets it); the seccomp filter comes last, as it refuses calls made above.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import socket
from typing import Any

from . import landlock, mounts
from .namespaces import CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER
from .policy import ADDRESS_SPACE_ALLOWANCE_MB, Limits, MiB, Policy

_PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 4, 24, 38, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# Refused with EPERM: ways to watch other traffic, other processes or the kernel, or to
# leave the box (namespaces, mounts, keyrings, eBPF, kernel modules, io_uring, which
# bypasses this filter's view of I/O).
DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "unshare", "setns",
    "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd", "lookup_dcookie",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "iopl", "ioperm", "swapon", "swapoff", "reboot", "acct", "syslog",
    "quotactl", "vhangup", "sethostname", "setdomainname", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "io_uring_setup", "io_uring_enter", "io_uring_register",
)  # fmt: skip
_NEW_NAMESPACE_FLAGS = (
    CLONE_NEWNS,
    CLONE_NEWCGROUP,
    CLONE_NEWIPC,
    CLONE_NEWUSER,
    CLONE_NEWPID,
    CLONE_NEWNET,
    0x04000000,
)
_SOCK_TYPE_MASK = 0xF
_SOCK_PACKET = 10  # the obsolete packet socket type, as SOCK_RAW


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def confine(policy: Policy, workdir: str, *, keep: tuple[str, ...] = (), namespaced: bool = False) -> list[str]:
    """Apply `policy` to this process; says what applied, for the process's log.

    `keep`: paths outside the interpreter and `workdir` that must stay visible (the
    platform's API socket); `namespaced`: `namespaces.enter()` gave us a mount namespace.
    """
    if not policy.enabled:
        return ["UNSAFE: no sandbox (FLOW_UNSAFE_NO_SANDBOX=1)"]
    libc = ctypes.CDLL(None, use_errno=True)
    applied = []
    drop = policy.uid is not None and os.geteuid() == 0
    if namespaced:
        visible = landlock.readable_paths() | {workdir, *keep}
        covered = mounts.arrange(visible, drop_privileges=drop)
        applied.append(f"hidden {','.join(covered)}")
        os.chdir(workdir)
    seccomp = _seccomp_module()  # imported while every file is still readable
    version = landlock.restrict(workdir)
    applied.append(f"landlock ABI {version}" if version else "no landlock (kernel lacks it)")
    _drop_bounding_set(libc)
    if drop and policy.uid is not None:
        os.setgroups([])
        os.setresgid(policy.uid, policy.uid, policy.uid)
        os.setresuid(policy.uid, policy.uid, policy.uid)
        applied.append(f"uid {policy.uid}")
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _clear_capabilities(libc)
    applied.append("no capabilities")
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if policy.limits is not None:
        set_limits(policy.limits, address_space_extra_mb=ADDRESS_SPACE_ALLOWANCE_MB)
        applied.append("limits")
    libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    applied.append(load_seccomp(seccomp))
    return applied


def _drop_bounding_set(libc: ctypes.CDLL) -> None:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            last = int(fh.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EPERM without CAP_SETPCAP: then we hold none


def _clear_capabilities(libc: ctypes.CDLL) -> None:
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    libc.capset(ctypes.byref(header), data)


def held_capabilities() -> int:
    """The effective capability mask of this process (from /proc/self/status)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def set_limits(limits: Limits, *, address_space_extra_mb: int = 0) -> None:
    _limit(resource.RLIMIT_AS, (limits.memory_mb + address_space_extra_mb) * MiB)
    _limit(resource.RLIMIT_CPU, limits.cpu_seconds)
    _limit(resource.RLIMIT_NPROC, limits.processes)
    _limit(resource.RLIMIT_NOFILE, limits.open_files)
    _limit(resource.RLIMIT_FSIZE, limits.file_size_mb * MiB)
    _limit(resource.RLIMIT_CORE, 0)


def _limit(kind: int, value: int) -> None:
    """Lower soft and hard limit to `value` (never raise a hard limit set from outside)."""
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def _seccomp_module() -> Any:
    try:
        import pyseccomp
    except (ImportError, OSError) as err:  # OSError: libseccomp.so.2 missing
        return f"no seccomp ({err})"
    return pyseccomp


def load_seccomp(sc: Any = None) -> str:
    """Install the filter; what applied, or why not."""
    sc = sc if sc is not None else _seccomp_module()
    if isinstance(sc, str):
        return sc
    deny = sc.ERRNO(errno.EPERM)
    flt = sc.SyscallFilter(sc.ALLOW)
    flt.add_rule(deny, "socket", sc.Arg(0, sc.EQ, socket.AF_PACKET))
    flt.add_rule(deny, "socket", sc.Arg(1, sc.MASKED_EQ, _SOCK_TYPE_MASK, socket.SOCK_RAW))
    flt.add_rule(deny, "socket", sc.Arg(1, sc.MASKED_EQ, _SOCK_TYPE_MASK, _SOCK_PACKET))
    for flag in _NEW_NAMESPACE_FLAGS:
        flt.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, out of a filter's reach: ENOSYS makes the C
    # library fall back to clone, which the rules above inspect.
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for name in DENIED_SYSCALLS:
        try:
            flt.add_rule(deny, name)
        except (ValueError, OSError):
            continue  # not a syscall on this architecture
    flt.load()
    return "seccomp"
