"""Runs inside the sandbox interpreter (``python -I``): build or smoke-run one code block.

Reads ``{"mode", "source", "entrypoint", "filename", "limits"}`` as JSON on stdin and
writes one JSON result to the file descriptor that was stdout; the code block's own
output goes to stderr, so nothing it prints can forge a result. Standard library and
`flow_platform.sandbox` only (its policy comes as the first argument).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import types

from flow_platform.sandbox import namespaces
from flow_platform.sandbox.confine import confine, set_limits
from flow_platform.sandbox.policy import Limits, MiB, Policy

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds here
if TYPE_CHECKING:
    from typing import Any

# asyncio, inspect and traceback cost tens of milliseconds to import: only on demand.


def _apply_limits(limits: dict[str, float]) -> None:
    set_limits(
        Limits(
            memory_mb=int(limits["memory_bytes"]) // MiB,
            cpu_seconds=int(limits["cpu_seconds"]),
            processes=int(limits.get("processes", 64)),
            open_files=int(limits["open_files"]),
            file_size_mb=max(1, int(limits["file_bytes"]) // MiB),
        )
    )
    # A wall-clock backstop of our own, in case the platform that started us is gone.
    signal.alarm(int(limits["wall_seconds"]) + 1)


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
    policy = Policy.loads(sys.argv[1]) if len(sys.argv) > 1 else Policy()
    spaces = namespaces.enter(policy.network) if policy.enabled else "none"
    applied = confine(policy, os.getcwd(), namespaced=not spaces.startswith("none"))
    confined = any(a.startswith("landlock ABI") for a in applied)
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
