"""Stored credentials and tenant context: ``~/.flow/config.json``.

Precedence, highest first: explicit arguments, environment (``FLOW_CONFIG`` names the
file; ``FLOW_ACCESS_TOKEN``, ``FLOW_PLATFORM_URL``, ``FLOW_ORG_ID``,
``FLOW_WORKSPACE_ID`` set values), then the file. Saving is atomic and private: mode
0600 in a 0700 folder, tightening a looser file that is already there.

Profiles: the default profile is the file's four top-level keys, as the spec has them;
named profiles (``profile=``, ``FLOW_PROFILE``, ``flow-sdk --profile``) live under
``"profiles": {"NAME": {the same four keys}}`` in the same file.
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
DEFAULT_PROFILE = "default"
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
    # None is the default profile (the top-level keys).
    profile: str | None = None

    def __repr__(self) -> str:
        # Never show the token, not even in a traceback or a debugger.
        return (
            f"FlowConfig(platform_url={self.platform_url!r}, org_id={self.org_id!r}, "
            f"workspace_id={self.workspace_id!r}, access_token='***')"
        )

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, *, profile: str | None = None, **overrides: str | None
    ) -> FlowConfig:
        return load_config(path, profile=profile, **overrides)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in ("extra", "profile")}
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


def _profile_name(profile: str | None) -> str | None:
    name = profile if profile is not None else os.environ.get("FLOW_PROFILE")
    return None if not name or name == DEFAULT_PROFILE else name


def load_config(
    path: str | os.PathLike[str] | None = None, *, profile: str | None = None, **overrides: str | None
) -> FlowConfig:
    """Merge arguments, environment and file; raise ``CLIConfigError`` naming what is missing.

    ``profile`` (default: ``FLOW_PROFILE``, else the default profile) picks a named
    profile of the file.
    """
    name = _profile_name(profile)
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v}
    from_env = {k: os.environ[e] for k, e in _ENV.items() if os.environ.get(e)}
    needed = [k for k in REQUIRED if k not in values and k not in from_env]
    file_path = Path(path).expanduser() if path else default_config_path()
    file_data: dict[str, Any] = {}
    if needed or path:
        file_data = _read_file(file_path)
        if name is not None:
            profiles = file_data.get("profiles")
            chosen = profiles.get(name) if isinstance(profiles, dict) else None
            if not isinstance(chosen, dict):
                hint = f"run: flow-sdk login --profile {name} --api-key ... --url ..."
                raise CLIConfigError(f"{file_path} has no profile {name!r}", hint=hint)
            file_data = chosen
    merged = {**file_data, **from_env, **values}
    missing = [k for k in REQUIRED if not merged.get(k)]
    if missing:
        where = f"{file_path} (profile {name!r})" if name else str(file_path)
        raise CLIConfigError(f"{where} is missing {', '.join(missing)}", hint=LOGIN_HINT)
    extra = {k: v for k, v in merged.items() if k not in REQUIRED}
    return FlowConfig(**{k: str(merged[k]) for k in REQUIRED}, extra=extra, profile=name)


def _profiles(data: dict[str, Any]) -> dict[str, Any]:
    found = data.get("profiles")
    return found if isinstance(found, dict) else {}


def _existing(target: Path) -> dict[str, Any]:
    try:
        data = json.loads(target.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_config(config: FlowConfig, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the config's profile; the file's other profiles stay as they are."""
    target = Path(path).expanduser() if path else default_config_path()
    existing = _existing(target)
    content = config.to_dict()
    if config.profile is not None:
        content = {**existing, "profiles": {**_profiles(existing), config.profile: content}}
    elif isinstance(existing.get("profiles"), dict):
        content = {**content, "profiles": existing["profiles"]}
    _write_private(target, content)
    return target


def _write_private(target: Path, content: dict[str, Any]) -> None:
    folder = target.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) & 0o077 and folder.name == ".flow":
        folder.chmod(0o700)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(content, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # os.replace keeps the temp file's 0600, which also tightens a looser file it replaced.


def delete_config(path: str | os.PathLike[str] | None = None, *, profile: str | None = None) -> Path | None:
    """Forget one profile; the file goes when nothing else is left in it."""
    target = Path(path).expanduser() if path else default_config_path()
    name = _profile_name(profile)
    existing = _existing(target)
    profiles = _profiles(existing)
    if name is not None:
        if name not in profiles:
            return None
        rest = {k: v for k, v in profiles.items() if k != name}
        remaining = {**existing, "profiles": rest} if rest else {k: v for k, v in existing.items() if k != "profiles"}
    else:
        if not any(k in existing for k in REQUIRED) and not target.exists():
            return None
        remaining = {"profiles": profiles} if profiles else {}
    if remaining:
        _write_private(target, remaining)
        return target
    try:
        target.unlink()
    except FileNotFoundError:
        return None
    return target
