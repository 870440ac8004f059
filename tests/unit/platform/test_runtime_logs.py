"""The service log's parts: line cutting, rotation under the cap, reading the tail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flow_platform.runtime import logs
from flow_platform.runtime.logs import (
    MIN_FILE_BYTES,
    LineCutter,
    LogPolicy,
    OutputPump,
    VersionLog,
    cut_marker,
    log_files,
    read_all,
    read_tail,
)

# -- reading the tail -------------------------------------------------------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_tail_of_an_empty_or_missing_log(tmp_path):
    empty = _write(tmp_path / "v1.log", b"")
    assert read_tail([empty], 5) == ""
    assert read_tail([tmp_path / "missing.log"], 5) == ""
    assert read_tail([empty], 0) == ""


def test_tail_with_and_without_a_trailing_newline(tmp_path):
    path = _write(tmp_path / "v1.log", b"one\ntwo\nthree\n")
    assert read_tail([path], 2) == "two\nthree\n"
    assert read_tail([path], 10) == "one\ntwo\nthree\n"
    _write(path, b"one\ntwo\nthree")
    assert read_tail([path], 2) == "two\nthree"
    assert read_tail([path], 1) == "three"
    assert read_tail([path], 3) == "one\ntwo\nthree"


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_tail_lines_that_span_blocks(tmp_path, block):
    lines = [f"line {i} " + "x" * (i * 5) for i in range(40)]
    path = _write(tmp_path / "v1.log", ("\n".join(lines) + "\n").encode())
    for n in (1, 2, 5, 39, 40, 41):
        assert read_tail([path], n, block=block) == "".join(f"{line}\n" for line in lines[-n:])


def test_tail_reads_only_the_end_of_a_big_log(tmp_path, monkeypatch):
    path = tmp_path / "v1.log"
    with open(path, "wb") as out:
        out.write(b"filler line\n" * 500_000)  # 6 MB
        out.write(b"last one\nlast two\n")
    read: list[int] = []

    def counting_open(file, mode="r"):
        handle = open(file, mode)
        inner = handle.read

        def tracked(size=-1):
            data = inner(size)
            read.append(len(data))
            return data

        handle.read = tracked
        return handle

    # The module's own name `open` wins over the builtin: count what the reader reads.
    monkeypatch.setattr(logs, "open", counting_open, raising=False)
    assert read_tail([path], 2) == "last one\nlast two\n"
    assert 0 < sum(read) <= 64 * 1024


def test_tail_continues_into_rotated_files(tmp_path):
    base = tmp_path / "v1.log"
    files = log_files(base, 3)
    assert files == [tmp_path / "v1.log.2", tmp_path / "v1.log.1", base]
    _write(files[0], b"a1\na2\n")
    _write(files[1], b"b1\nb2\n")
    _write(base, b"c1\n")
    assert read_tail(files, 2, block=2) == "b2\nc1\n"
    assert read_tail(files, 4, block=3) == "a2\nb1\nb2\nc1\n"
    assert read_tail(files, 100) == "a1\na2\nb1\nb2\nc1\n"
    assert read_all(files) == "a1\na2\nb1\nb2\nc1\n"
    files[0].unlink()  # fewer backups than allowed yet
    assert read_tail(files, 100) == "b1\nb2\nc1\n"


def test_tail_replaces_bytes_that_are_not_utf8(tmp_path):
    path = _write(tmp_path / "v1.log", b"ok\n\xff\xfe bad\n")
    assert read_tail([path], 1) == "\ufffd\ufffd bad\n"


# -- cutting long lines -----------------------------------------------------------------


def test_short_lines_pass_and_a_partial_line_waits_for_its_end():
    cutter = LineCutter(80)
    assert cutter.feed(b"one\ntw") == b"one\n"
    assert cutter.feed(b"o\nthr") == b"two\n"
    assert cutter.flush() == b"thr\n"
    assert cutter.flush() == b""


def test_a_long_line_is_cut_with_a_marker_and_the_rest_dropped():
    cutter = LineCutter(100)
    marker = cut_marker(100)
    out = cutter.feed(b"a" * 250 + b"\nnext\n")
    assert out == b"a" * 100 + marker + b"\nnext\n"


def test_a_long_line_spanning_chunks_is_cut_once():
    cutter = LineCutter(100)
    marker = cut_marker(100)
    out = cutter.feed(b"start\n" + b"b" * 60)
    out += cutter.feed(b"b" * 60)  # 120 bytes without an end: cut now, not held
    out += cutter.feed(b"b" * 500)
    out += cutter.feed(b"b" * 10 + b"\nafter\n")
    assert out == b"start\n" + b"b" * 100 + marker + b"\nafter\n"
    assert cutter.flush() == b""


def test_a_cut_never_splits_a_utf8_character():
    cutter = LineCutter(100)
    line = ("x" * 99 + "é" * 10).encode()  # the 100th byte starts a two-byte character
    out = cutter.feed(line + b"\n")
    assert out == b"x" * 99 + cut_marker(100) + b"\n"
    out.decode("utf-8")


def test_policy_bounds_are_checked():
    with pytest.raises(ValueError, match="at least"):
        LogPolicy(file_bytes=1000)
    with pytest.raises(ValueError):
        LogPolicy(files=0)
    with pytest.raises(ValueError):
        LogPolicy(line_bytes=10)


# -- rotation ---------------------------------------------------------------------------


def test_writes_rotate_and_stay_under_the_cap(tmp_path):
    policy = LogPolicy(file_bytes=MIN_FILE_BYTES, files=3)
    log = VersionLog(tmp_path / "svc" / "v1.log", policy)
    line = b"y" * 999 + b"\n"
    for _ in range(10):  # 10 MB through a 3 x 1 MiB log
        log.write(line * 1000)
    log.note("done")
    log.close()
    files = log_files(log.path, 3)
    sizes = [f.stat().st_size for f in files]
    assert all(0 < size < MIN_FILE_BYTES for size in sizes), sizes
    assert not Path(f"{log.path}.3").exists()
    assert read_tail(files, 1).endswith("platform: done\n")
    assert read_tail(files, 2).startswith("y" * 999 + "\n")


def test_bytes_reach_the_file_unchanged(tmp_path):
    log = VersionLog(tmp_path / "v1.log", LogPolicy())
    log.write("héllo ✓\n".encode() + b"\xff raw\n")
    log.close()
    assert log.path.read_bytes() == "héllo ✓\n".encode() + b"\xff raw\n"


# -- the pump ---------------------------------------------------------------------------


def test_pump_copies_a_pipe_with_cut_lines_and_writes_the_exit_note_last(tmp_path):
    log = VersionLog(tmp_path / "v1.log", LogPolicy(line_bytes=100))
    read_end, write_end = os.pipe()
    pump = OutputPump(read_end, log, name="test-pump")
    os.write(write_end, b"hello\n" + b"z" * 300 + b"\nunfinished")
    pump.finish("worker exited")  # the output is still open: the note waits for it
    os.close(write_end)
    pump.join(5)
    log.close()
    text = log.path.read_text()
    assert text.startswith("hello\n" + "z" * 100 + cut_marker(100).decode() + "\nunfinished\n")
    assert text.endswith("platform: worker exited\n")


def test_a_pending_note_is_flushed_when_output_stays_open(tmp_path):
    log = VersionLog(tmp_path / "v1.log", LogPolicy())
    read_end, write_end = os.pipe()
    pump = OutputPump(read_end, log, name="test-pump")
    pump.finish("worker exited")
    pump.flush_note()
    assert "worker exited" in log.path.read_text()
    os.close(write_end)
    pump.join(5)
    log.close()
    assert log.path.read_text().count("worker exited") == 1


# -- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FLOW_SERVICE_LOG_BYTES", "5", "at least 1048576 bytes (FLOW_SERVICE_LOG_BYTES)"),
        ("FLOW_SERVICE_LOG_BYTES", "lots", "FLOW_SERVICE_LOG_BYTES='lots' is not a valid value"),
        ("FLOW_SERVICE_LOG_FILES", "0", "at least one file (FLOW_SERVICE_LOG_FILES)"),
    ],
)
def test_serve_answers_bad_log_settings_with_one_line(tmp_path, monkeypatch, variable, value, message):
    from click.testing import CliRunner

    from flow_platform.cli import main

    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    # Unparsable values are caught where the environment is read, bounds where the policy is built.
    assert line.startswith(("error: invalid setting: ", "error: bad setting in the environment: "))
    assert message in line


def test_a_write_after_close_lands_and_leaves_no_file_open(tmp_path):
    log = VersionLog(tmp_path / "v1.log", LogPolicy())
    log.write(b"first\n")
    log.close()
    log.note("worker exited")  # an exit note that comes after shutdown
    assert log._handler.stream is None
    assert log.path.read_text().endswith("platform: worker exited\n")


def test_settle_returns_once_what_was_written_is_in_the_file(tmp_path):
    log = VersionLog(tmp_path / "v1.log", LogPolicy())
    read_end, write_end = os.pipe()
    OutputPump(read_end, log, name="test-pump")
    for i in range(200):
        os.write(write_end, b"line %d\n" % i * 100)
        log.settle()
        assert log.path.read_bytes().endswith(b"line %d\n" % i)
    os.close(write_end)
    log.close()
