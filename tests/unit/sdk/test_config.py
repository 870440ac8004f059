from __future__ import annotations

import json
import stat

import pytest

from flow_sdk._errors import CLIConfigError
from flow_sdk.cli_client import CLIClientError
from flow_sdk.config import FlowConfig, load_config, save_config

VALUES = {"access_token": "tok", "platform_url": "http://x", "org_id": "o", "workspace_id": "w"}


def _write(path, data, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    path.chmod(mode)


def test_default_path_is_home_flow_config(tmp_path):
    _write(tmp_path / "home" / ".flow" / "config.json", VALUES)
    cfg = load_config()
    assert (cfg.access_token, cfg.platform_url, cfg.org_id, cfg.workspace_id) == ("tok", "http://x", "o", "w")
    assert FlowConfig.load().org_id == "o"


def test_precedence_arguments_over_env_over_file(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    _write(path, VALUES)
    monkeypatch.setenv("FLOW_CONFIG", str(path))
    monkeypatch.setenv("FLOW_ORG_ID", "from-env")
    monkeypatch.setenv("FLOW_WORKSPACE_ID", "ws-env")
    cfg = load_config(org_id="from-arg")
    assert cfg.org_id == "from-arg"
    assert cfg.workspace_id == "ws-env"
    assert cfg.access_token == "tok"


def test_environment_alone_needs_no_file(monkeypatch):
    for k, v in VALUES.items():
        monkeypatch.setenv(f"FLOW_{k.upper()}", v)
    assert load_config().platform_url == "http://x"


def test_missing_config_names_the_file_and_login(tmp_path):
    with pytest.raises(CLIConfigError) as info:
        load_config(tmp_path / "nope.json")
    assert str(tmp_path / "nope.json") in str(info.value)
    assert "flow-sdk login" in info.value.hint
    assert isinstance(info.value, CLIClientError)


@pytest.mark.parametrize(
    "content,fragment",
    [
        ("{not json", "not valid JSON"),
        ("[1]", "JSON object"),
        (json.dumps({"access_token": "t"}), "missing platform_url"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, content, fragment):
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(CLIConfigError, match=fragment):
        load_config(path)


def test_unreadable_config(tmp_path):
    path = tmp_path / "c.json"
    path.mkdir()  # unreadable as a file even for root, who ignores mode bits
    with pytest.raises(CLIConfigError, match="cannot read"):
        load_config(path)


def test_save_is_private_and_tightens_a_loose_file(tmp_path):
    path = tmp_path / "home" / ".flow" / "config.json"
    _write(path, {**VALUES, "theme": "dark"}, mode=0o644)
    path.parent.chmod(0o755)
    cfg = load_config(path)
    cfg.access_token = "new"
    save_config(cfg, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = json.loads(path.read_text())
    assert data["access_token"] == "new" and data["theme"] == "dark"
    assert sorted(f.name for f in path.parent.iterdir()) == ["config.json"]


def test_new_folder_is_0700(tmp_path):
    path = tmp_path / "fresh" / "config.json"
    save_config(FlowConfig(**VALUES), path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_repr_hides_the_token():
    assert "tok-secret" not in repr(FlowConfig(**{**VALUES, "access_token": "tok-secret"}))
