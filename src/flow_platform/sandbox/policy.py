"""What a sandboxed process may use: the limits and switches handed to it at start."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker or probe; see `DEFAULTS` and `MAXIMA`."""

    memory_mb: int = 512  # heap the code may allocate (RLIMIT_AS, plus `ADDRESS_SPACE_ALLOWANCE_MB`)
    cpu_seconds: int = 3600  # CPU time of the whole process (RLIMIT_CPU)
    processes: int = 512  # processes and threads of its uid (RLIMIT_NPROC)
    open_files: int = 1024  # RLIMIT_NOFILE
    file_size_mb: int = 64  # largest file it may write (RLIMIT_FSIZE)

    def clamp(self) -> Limits:
        """Each value between 1 and its maximum."""
        return Limits(
            **{f.name: max(1, min(int(getattr(self, f.name)), getattr(MAXIMA, f.name))) for f in fields(self)}
        )

    def merge(self, other: Limits) -> Limits:
        """The larger of each limit: one worker serves every endpoint of its version."""
        return Limits(**{f.name: max(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)})


DEFAULTS = Limits()
MAXIMA = Limits(memory_mb=4096, cpu_seconds=24 * 3600, processes=4096, open_files=65536, file_size_mb=1024)
LIMIT_NAMES = tuple(f.name for f in fields(Limits))

# What an endpoint may ask for: "outbound" lets its version's worker use the network.
NETWORK_MODES = ("none", "outbound")


def endpoint_limits(base: Limits, chosen: Mapping[str, int] | None) -> Limits:
    """One endpoint's limits: the values it sets over `base` (the platform's), within the maxima."""
    if not chosen:
        return base
    return replace(base, **{k: v for k, v in chosen.items() if k in LIMIT_NAMES and v is not None}).clamp()


def version_limits(base: Limits, per_endpoint: Iterable[Mapping[str, int] | None]) -> Limits:
    """The limits of a version's one worker: per limit, the largest any of its endpoints
    needs, each endpoint's unset values taken from `base`."""
    merged: Limits | None = None
    for chosen in per_endpoint:
        limits = endpoint_limits(base, chosen)
        merged = limits if merged is None else merged.merge(limits)
    return base if merged is None else merged


# Address space a Python worker needs beyond what its code allocates: the interpreter,
# its libraries and up to 256 thread stacks (see runtime/worker.py THREAD_STACK_BYTES).
ADDRESS_SPACE_ALLOWANCE_MB = 768


@dataclass(frozen=True)
class Policy:
    """Handed to the child as JSON on its command line."""

    enabled: bool = True  # False only with FLOW_UNSAFE_NO_SANDBOX=1 (benchmarks)
    network: bool = False  # outbound network: stay in the platform's network namespace
    uid: int | None = None  # switch to this uid/gid (the platform runs as root)
    limits: Limits | None = None  # None: the caller sets its own (the deploy probe, per job)

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> Policy:
        raw = json.loads(text)
        if raw.get("limits") is not None:
            raw["limits"] = Limits(**raw["limits"])
        return cls(**raw)


def unsafe_no_sandbox() -> bool:
    """FLOW_UNSAFE_NO_SANDBOX=1: run untrusted code unconfined. For benchmarks only."""
    return os.environ.get("FLOW_UNSAFE_NO_SANDBOX") == "1"
