"""Runs inside the sandbox interpreter (``python -I``): build or smoke-run one code block.

Reads ``{"mode", "source", "entrypoint", "filename", "limits"}`` as JSON on stdin and
writes one JSON result to the file descriptor that was stdout; the code block's own
output goes to stderr, so nothing it prints can forge a result. Standard library only.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import types

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds here
if TYPE_CHECKING:
    from typing import Any

# asyncio, inspect and traceback cost tens of milliseconds to import: only on demand.


def _limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard if hard != resource.RLIM_INFINITY else value))


def _apply_limits(limits: dict[str, float]) -> None:
    _limit(resource.RLIMIT_CPU, int(limits["cpu_seconds"]))
    _limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    _limit(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    _limit(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    _limit(resource.RLIMIT_CORE, 0)
    # A wall-clock backstop of our own, in case the platform that started us is gone.
    signal.alarm(int(limits["wall_seconds"]) + 1)


# -- Landlock: the code block may read the interpreter and its libraries and write its
# own working folder, nothing else (not the platform's data dir, not /proc of other
# processes), and may not signal processes outside its sandbox. Linux 5.13+; where the
# kernel lacks it the probe runs with rlimits and a scrubbed environment only.
# https://docs.kernel.org/userspace-api/landlock.html
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # same on x86_64 and arm64
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1


def _readable_paths() -> set[str]:
    import importlib.util

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p)
    # Code blocks may use flow_sdk (FlowSDK), wherever it is installed from.
    spec = importlib.util.find_spec("flow_sdk")
    if spec is not None and spec.submodule_search_locations:
        paths.update(spec.submodule_search_locations)
    paths.update(("/usr", "/lib", "/lib64", "/bin", "/etc/ssl", "/etc/ca-certificates", "/etc/localtime"))
    paths.update(("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf"))
    paths.update(("/dev/urandom", "/dev/random", "/dev/zero", f"/proc/{os.getpid()}"))
    return paths


def _confine(workdir: str) -> bool:
    """Apply the Landlock rules to this process; False when the kernel does not offer it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return False
    handled = (1 << 13) - 1 if abi == 1 else (1 << 14) - 1 if abi == 2 else (1 << 15) - 1 if abi < 5 else (1 << 16) - 1

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    scoped = _SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET if abi >= 6 else 0
    attr = RulesetAttr(handled, 0, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        rules = [(path, _READ) for path in sorted(_readable_paths())]
        rules += [(workdir, handled), ("/dev/null", _FS_READ_FILE | _FS_WRITE_FILE)]
        for path, allowed in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # not on this system
            try:
                if not os.path.isdir(path):
                    allowed &= _FILE_RIGHTS
                rule = PathBeneath(allowed & handled, fd)
                # A rule the kernel refuses only takes access away: the probe stays confined.
                libc.syscall(_SYS_ADD_RULE, ruleset, ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0))
            finally:
                os.close(fd)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS, required to self-restrict
            return False
        return bool(libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) == 0)
    finally:
        os.close(ruleset)


def _where(exc: BaseException, filename: str) -> str:
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == filename:
            return f" (line {frame.lineno})"
    return ""


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run(job: dict[str, Any]) -> dict[str, Any]:
    filename = job["filename"]
    entrypoint = job["entrypoint"]
    try:
        code = compile(job["source"], filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return {"ok": False, "stage": "syntax", "error": f"syntax error on line {exc.lineno}: {exc.msg}"}
    module = types.ModuleType("codeblock")
    module.__file__ = filename
    sys.modules["codeblock"] = module
    try:
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - SystemExit or KeyboardInterrupt in user code count too
        return {"ok": False, "stage": "import", "error": f"import raised {_describe(exc)}{_where(exc, filename)}"}
    fn = getattr(module, entrypoint, None)
    if fn is None:
        defined = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        hint = f"; it defines {', '.join(defined)}" if defined else ""
        return {"ok": False, "stage": "entrypoint", "error": f"entrypoint {entrypoint!r} is not defined{hint}"}
    if not callable(fn):
        return {"ok": False, "stage": "entrypoint", "error": f"entrypoint {entrypoint!r} is not callable"}
    if job["mode"] == "build":
        return {"ok": True}
    try:
        takes_request = _takes_an_argument(fn)
        result = fn({}) if takes_request else fn()
        if hasattr(result, "__await__"):
            import asyncio

            result = asyncio.run(_await(result))
    except BaseException as exc:  # noqa: BLE001
        call = f"{entrypoint}({{}})" if takes_request else f"{entrypoint}()"
        return {
            "ok": False,
            "stage": "run",
            "error": f"smoke run of {call} raised {_describe(exc)}{_where(exc, filename)}",
        }
    try:
        json.dumps(result)
    except (TypeError, ValueError):
        return {
            "ok": False,
            "stage": "run",
            "error": f"{entrypoint} returned {type(result).__name__}, which is not JSON",
        }
    return {"ok": True}


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _takes_an_argument(fn) -> bool:  # type: ignore[no-untyped-def]
    code = getattr(fn, "__code__", None)
    if code is not None and not hasattr(fn, "__self__"):
        return code.co_argcount > 0 or bool(code.co_flags & 0x04)  # 0x04: CO_VARARGS
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )
    return any(p.kind in kinds for p in params)


def main() -> None:
    # Confine first: a spare does this while it waits, off the deployment's path.
    confined = _confine(os.getcwd())
    job = json.loads(sys.stdin.read())
    # Keep the real stdout for the result; everything else written to fd 1 lands on stderr.
    result_fd = os.dup(1)
    os.dup2(2, 1)
    _apply_limits(job["limits"])
    result = run(job)
    result["confined"] = confined
    sys.stdout.flush()
    with os.fdopen(result_fd, "w") as out:
        out.write(json.dumps(result))
    os._exit(0)  # skip atexit hooks and finalizers the code block may have registered


if __name__ == "__main__":
    main()
