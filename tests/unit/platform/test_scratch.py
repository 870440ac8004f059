"""Temporary folders of platform processes: owned by a lock, removed at close, swept when their owner is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from flow_platform.scratch import MAX_ROOT_LENGTH, ScratchSpace, scratch_root


def test_one_short_root_per_data_dir_outside_it(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    root = scratch_root(data_dir)
    assert len(str(root)) <= MAX_ROOT_LENGTH and data_dir not in root.parents
    assert root == scratch_root(data_dir)  # whichever process asks
    assert root != scratch_root(tmp_path / "other")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / ("t" * MAX_ROOT_LENGTH)))
    assert scratch_root(data_dir).parent == Path("/tmp")  # a temp dir too long for sockets


def test_folders_above_a_workers_own_can_be_passed_but_not_listed(tmp_path):
    scratch = ScratchSpace(tmp_path)
    made = scratch.make("w-")
    assert scratch.root.stat().st_mode & 0o777 == 0o711
    assert scratch.path.stat().st_mode & 0o777 == 0o711
    assert made.stat().st_mode & 0o777 == 0o700
    scratch.close()


def test_folders_are_made_inside_the_process_folder_and_removed_at_close(tmp_path):
    scratch = ScratchSpace(tmp_path)
    assert not scratch.root.exists()  # nothing until first use
    made = scratch.make("w-")
    assert made.parent == scratch.path and made.parent.parent == scratch.root
    assert made.stat().st_mode & 0o777 == 0o700
    (made / "file").write_text("x")
    lock = scratch.path.with_suffix(".lock")
    assert lock.exists()
    scratch.close()
    assert not scratch.root.exists()  # the root goes too once no process uses it


def _hold_scratch_in_a_child(data_dir: Path) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        f"""
        import sys
        from flow_platform.scratch import ScratchSpace
        scratch = ScratchSpace({str(data_dir)!r})
        print(scratch.make("probe-"), flush=True)
        sys.stdin.read()
        """
    )
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_sweep_keeps_live_owners_and_removes_killed_ones(tmp_path):
    live = _hold_scratch_in_a_child(tmp_path)
    killed = _hold_scratch_in_a_child(tmp_path)
    try:
        assert live.stdout is not None and killed.stdout is not None
        live_dir = Path(live.stdout.readline().strip())
        killed_dir = Path(killed.stdout.readline().strip())
        assert live_dir.is_dir() and killed_dir.is_dir()
        killed.kill()
        killed.wait(10)
        me = ScratchSpace(tmp_path)
        mine = me.make("rt-")
        removed = me.sweep()
        assert removed == [killed_dir.parent]
        assert not killed_dir.parent.exists() and not killed_dir.parent.with_suffix(".lock").exists()
        assert live_dir.is_dir() and mine.is_dir()
        me.close()
    finally:
        for proc in (live, killed):
            proc.kill()
            proc.wait(10)
            assert proc.stdout is not None
            proc.stdout.close()
            if proc.stdin is not None:
                proc.stdin.close()


def test_sweep_removes_orphan_folders_and_stale_claims_only(tmp_path):
    scratch = ScratchSpace(tmp_path)
    root = scratch.path.parent
    orphan = root / "p1-deadbeef"
    orphan.mkdir()
    fresh_claim = root / "p2-00000000.new"
    fresh_claim.touch()
    stale_claim = root / "p3-00000000.new"
    stale_claim.touch()
    old = time.time() - 3600
    os.utime(stale_claim, (old, old))
    assert scratch.sweep() == [orphan]
    assert fresh_claim.exists() and not stale_claim.exists()
    assert scratch.path.is_dir()
    scratch.close()


def test_a_root_that_is_not_private_is_not_used(tmp_path):
    data_dir = tmp_path / "data"
    shared = scratch_root(data_dir)
    shared.mkdir(parents=True)
    try:
        shared.chmod(0o777)
        scratch = ScratchSpace(data_dir)
        made = scratch.make("w-")
        assert shared not in made.parents
        scratch.close()
        assert not made.exists() and not scratch.root.exists()
    finally:
        shared.rmdir()
