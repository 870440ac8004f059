"""PID and mount namespaces (and, without outbound network, a network namespace) per process.

`enter()` forks twice: the process that called it stays outside, waits and exits with
the sandboxed process's status (it is what the platform started and signals); its
child is pid 1 of the new namespace, a tiny init that reaps orphans; the grandchild
returns from `enter()` and runs the code. When the code's process ends, init exits,
and the kernel kills everything left in the namespace: a `setsid()` child cannot
outlive it. When the outside process dies (the platform killed it), init gets SIGKILL
(PR_SET_PDEATHSIG), with the same effect.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1


def _unshare(flags: int) -> int:
    """0, or the errno of the failure."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) == 0:
        return 0
    return ctypes.get_errno()


def unshare(network: bool) -> str:
    """Move the caller's future children into new namespaces; what applied, or why not.

    As root: PID and network namespaces. Otherwise inside a new user namespace that maps
    the caller's own uid and gid, where the kernel allows unprivileged user namespaces.
    """
    flags = CLONE_NEWPID | CLONE_NEWNS | (0 if network else CLONE_NEWNET)
    what = "pid+mount" if network else "pid+mount+net"
    if os.geteuid() == 0:
        err = _unshare(flags)
        return what if err == 0 else f"none ({os.strerror(err)})"
    uid, gid = os.getuid(), os.getgid()
    err = _unshare(flags | CLONE_NEWUSER)
    if err:
        return f"none ({os.strerror(err)})"
    for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)
    return f"user+{what}"


def enter(network: bool) -> str:
    """Unshare, fork the namespace's init, and return in its only child; see the module doc.

    Call it while the process has one thread: `fork()` copies only the caller's.
    """
    applied = unshare(network)
    if applied.startswith("none"):
        return applied
    alive_r, alive_w = os.pipe()  # init sees EOF on it once the outside process is gone
    child = os.fork()
    if child:
        os.close(alive_r)
        _outside(child)
    os.close(alive_w)
    code_pid = os.fork()
    if code_pid:
        _init(code_pid, alive_r)
    os.close(alive_r)
    return applied


def _outside(child: int) -> None:
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
    code = os.waitstatus_to_exitcode(status)
    if 128 < code <= 128 + 64:
        # init reports the code's death by signal N as 128+N: die of N, as it did.
        if code - 128 not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(code - 128, signal.SIG_DFL)
        os.kill(os.getpid(), code - 128)
    _exit_like(status)


def _init(code_pid: int, alive_r: int) -> None:
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if select.select([alive_r], [], [], 0)[0]:
        os._exit(1)  # the outside process died before the line above took effect
    while True:
        try:
            pid, status = os.wait()
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
        if pid == code_pid:
            _exit_like(status)


def _exit_like(status: int) -> None:
    """Exit as the waited-for process did (a signal's death is reported as that signal)."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        # pid 1 of a namespace cannot be killed by its own signal: report 128+N instead.
        if os.getpid() != 1:
            if -code not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        os._exit(128 - code)
    os._exit(code)
