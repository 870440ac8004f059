"""A guard against a call that never returns, without timing the call itself.

The project does not assert elapsed time (shared machines make any bound flaky).
A test that checks a timeout asserts what the timeout produced (a ``LOCK_TIMEOUT``
finding, say) and wraps the call in ``returns(...)`` so that, if the timeout were not
applied at all, the test fails after a generous deadline instead of hanging the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

HANG_GUARD_SECONDS = 120.0


def returns(call: Callable[..., T], *args: Any, hang_guard: float = HANG_GUARD_SECONDS, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, failing the test if it has not returned after ``hang_guard`` seconds."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="hang-guard", daemon=True)
    thread.start()
    thread.join(hang_guard)
    if thread.is_alive():
        pytest.fail(f"{getattr(call, '__name__', call)} did not return within {hang_guard:g} s: it hangs")
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value
