"""The probe's output is read in full but only a bounded part of it is kept."""

from __future__ import annotations

import subprocess
import sys

from flow_platform.deployer.capture import communicate

FLOOD = """
import sys
data = sys.stdin.buffer.read()
sys.stdout.buffer.write(b"result:" + data[-5:])
sys.stdout.flush()
for i in range(20000):
    sys.stderr.buffer.write(b"noise %06d " % i + b"x" * 1000 + b"\\n")
sys.stderr.buffer.write(b"the end\\n")
sys.stdout.buffer.write(b"y" * 100000)
"""


def _run(code: str, data: bytes, **limits: int) -> tuple[bytes, bytes, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = communicate(proc, data, **limits)
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
    return out, err, proc.returncode


def test_big_input_and_a_flood_of_output_keep_the_head_of_stdout_and_the_tail_of_stderr():
    data = b"z" * 3_000_000 + b"12345"  # far more than a pipe holds
    out, err, code = _run(FLOOD, data, stdout_limit=12, stderr_tail=100)
    assert code == 0
    assert out == b"result:12345"
    assert len(err) == 100 and err.endswith(b"x\nthe end\n")


def test_a_probe_that_exits_without_reading_its_input():
    out, err, code = _run(
        "import sys; print('bye', file=sys.stderr); sys.exit(3)", b"q" * 3_000_000, stdout_limit=10, stderr_tail=100
    )
    assert (out, err, code) == (b"", b"bye\n", 3)


def test_no_input():
    out, err, code = _run("print('hi')", b"", stdout_limit=10, stderr_tail=10)
    assert (out, err, code) == (b"hi\n", b"", 0)
