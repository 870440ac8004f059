"""Platform settings, read from arguments first and ``FLOW_*`` environment variables second."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
# Access tokens live at most a day: long enough for a working day of scripts, short
# enough that a leaked token does not outlive the key it came from for long.
MAX_ACCESS_TOKEN_TTL_MINUTES = 24 * 60
DEFAULT_ACCESS_TOKEN_TTL_MINUTES = 60


# Settings that FLOW_* variables may set, with how each is parsed.
_ENV: dict[str, tuple[str, Callable[[str], object]]] = {
    "data_dir": ("FLOW_DATA_DIR", Path),
    "database_url": ("FLOW_DATABASE_URL", str),
    "host": ("FLOW_HOST", str),
    "port": ("FLOW_PORT", int),
    "secret_key": ("FLOW_SECRET_KEY", str),
    "log_level": ("FLOW_LOG_LEVEL", str),
    "service_log_bytes": ("FLOW_SERVICE_LOG_BYTES", int),
    "service_log_files": ("FLOW_SERVICE_LOG_FILES", int),
    "worker_idle_seconds": ("FLOW_WORKER_IDLE_SECONDS", float),
    "max_workers": ("FLOW_MAX_WORKERS", int),
    "worker_memory_mb": ("FLOW_WORKER_MEMORY_MB", int),
    "worker_cpu_seconds": ("FLOW_WORKER_CPU_SECONDS", int),
    "worker_processes": ("FLOW_WORKER_PROCESSES", int),
    "worker_open_files": ("FLOW_WORKER_OPEN_FILES", int),
    "worker_file_size_mb": ("FLOW_WORKER_FILE_SIZE_MB", int),
    "outbound_network": ("FLOW_OUTBOUND_NETWORK", str),
    "unsafe_no_sandbox": ("FLOW_UNSAFE_NO_SANDBOX", lambda v: v == "1"),
}

# Hosted-service workers (docs/hosted-services.md, "What a handler can and cannot do").
DEFAULT_WORKER_IDLE_SECONDS = 600.0  # a version nobody called this long loses its worker
DEFAULT_MAX_WORKERS = 64  # live workers per platform process; the least recently used go first


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "flow-platform"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    secret_key: str | None = None
    issuer: str = "flow-platform"
    audience: str = "flow-platform-api"
    jwt_leeway_seconds: int = 30
    log_level: str = "info"
    # Each hosted-service version's log: files of at most this size, this many kept.
    service_log_bytes: int = 10 * 1024 * 1024
    service_log_files: int = 3
    worker_idle_seconds: float = DEFAULT_WORKER_IDLE_SECONDS
    max_workers: int = DEFAULT_MAX_WORKERS
    # Worker resource limits: defaults and maxima in flow_platform.sandbox.policy.
    worker_memory_mb: int | None = None
    worker_cpu_seconds: int | None = None
    worker_processes: int | None = None
    worker_open_files: int | None = None
    worker_file_size_mb: int | None = None
    # Comma-separated service ids and ring ids whose workers keep the host's network.
    outbound_network: str = ""
    # FLOW_UNSAFE_NO_SANDBOX=1: workers and probes run unconfined. Benchmarks only.
    unsafe_no_sandbox: bool = False
    # The Unix socket on which `serve` also answers the API, for sandboxed workers.
    api_socket: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Explicit values win; unset ones come from ``FLOW_*`` variables, then defaults."""
        values: dict[str, object] = {}
        for field_name, (var, parse) in _ENV.items():
            if os.environ.get(var):
                try:
                    values[field_name] = parse(os.environ[var])
                except ValueError:
                    raise ValueError(f"{var}={os.environ[var]!r} is not a valid value") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'platform.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def master_secret(self) -> bytes:
        """The root of every derived key; from FLOW_SECRET_KEY or a 0600 file in the data dir.

        Several workers on one PostgreSQL database must share it (same FLOW_SECRET_KEY or
        the same data dir), or they cannot read each other's tokens and credentials.
        """
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_urlsafe(48).encode())
        return path.read_bytes().strip()

    def derive_key(self, purpose: str, length: int = 32) -> bytes:
        """A key for one purpose, so that no two uses ever share key material."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode())
        return hkdf.derive(self.master_secret)
