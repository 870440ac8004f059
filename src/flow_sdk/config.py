"""Stored credentials and tenant context: ``~/.flow/config.json``.

Precedence, highest first: explicit arguments, environment (``FLOW_CONFIG`` names the
file; ``FLOW_ACCESS_TOKEN``, ``FLOW_PLATFORM_URL``, ``FLOW_ORG_ID``,
``FLOW_WORKSPACE_ID`` set values), then the file. Saving is atomic and private: mode
0600 in a 0700 folder, tightening a looser file that is already there.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ._errors import LOGIN_HINT, CLIConfigError

REQUIRED = ("access_token", "platform_url", "org_id", "workspace_id")
_ENV = {
    "access_token": "FLOW_ACCESS_TOKEN",
    "platform_url": "FLOW_PLATFORM_URL",
    "org_id": "FLOW_ORG_ID",
    "workspace_id": "FLOW_WORKSPACE_ID",
}


def default_config_path() -> Path:
    explicit = os.environ.get("FLOW_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path.home() / ".flow" / "config.json"


@dataclass
class FlowConfig:
    access_token: str
    platform_url: str
    org_id: str
    workspace_id: str
    # Keys other tools wrote to the file are kept on save.
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        # Never show the token, not even in a traceback or a debugger.
        return (
            f"FlowConfig(platform_url={self.platform_url!r}, org_id={self.org_id!r}, "
            f"workspace_id={self.workspace_id!r}, access_token='***')"
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, **overrides: str | None) -> FlowConfig:
        return load_config(path, **overrides)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "extra"}
        return {**self.extra, **data}

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        return save_config(self, path)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text()
    except FileNotFoundError:
        raise CLIConfigError(f"no Flow config at {path}", hint=LOGIN_HINT) from None
    except OSError as exc:
        raise CLIConfigError(f"cannot read {path}: {exc.strerror}", hint=LOGIN_HINT) from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise CLIConfigError(f"{path} is not valid JSON", hint=LOGIN_HINT) from None
    if not isinstance(data, dict):
        raise CLIConfigError(f"{path} must hold a JSON object", hint=LOGIN_HINT)
    return data


def load_config(path: str | os.PathLike[str] | None = None, **overrides: str | None) -> FlowConfig:
    """Merge arguments, environment and file; raise ``CLIConfigError`` naming what is missing."""
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v}
    from_env = {k: os.environ[e] for k, e in _ENV.items() if os.environ.get(e)}
    needed = [k for k in REQUIRED if k not in values and k not in from_env]
    file_path = Path(path).expanduser() if path else default_config_path()
    file_data: dict[str, Any] = {}
    if needed or path:
        file_data = _read_file(file_path)
    merged = {**file_data, **from_env, **values}
    missing = [k for k in REQUIRED if not merged.get(k)]
    if missing:
        raise CLIConfigError(f"{file_path} is missing {', '.join(missing)}", hint=LOGIN_HINT)
    extra = {k: v for k, v in merged.items() if k not in REQUIRED}
    return FlowConfig(**{k: str(merged[k]) for k in REQUIRED}, extra=extra)


def save_config(config: FlowConfig, path: str | os.PathLike[str] | None = None) -> Path:
    target = Path(path).expanduser() if path else default_config_path()
    folder = target.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) & 0o077 and folder.name == ".flow":
        folder.chmod(0o700)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(config.to_dict(), fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # os.replace keeps the temp file's 0600, which also tightens a looser file it replaced.
    return target


def delete_config(path: str | os.PathLike[str] | None = None) -> Path | None:
    target = Path(path).expanduser() if path else default_config_path()
    try:
        target.unlink()
    except FileNotFoundError:
        return None
    return target
