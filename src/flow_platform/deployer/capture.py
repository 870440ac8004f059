"""Talk to a probe like `Popen.communicate`, holding only a bounded part of its output.

A code block may print without end while it is built or smoke-run; `communicate` would
hold all of it in the platform's memory until the probe exits. Here stdout (the one JSON
result) keeps its first `stdout_limit` bytes and stderr (what the code printed) its last
`stderr_tail` bytes, and everything else is read and dropped as it arrives.
"""

from __future__ import annotations

import os
import select
import selectors
import subprocess

_READ = 64 * 1024


def communicate(
    proc: subprocess.Popen[bytes], data: bytes, *, stdout_limit: int, stderr_tail: int
) -> tuple[bytes, bytes]:
    """Send `data` to stdin, read stdout and stderr until both close, wait for the exit."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    out, err = bytearray(), bytearray()
    pending = memoryview(data)
    with selectors.DefaultSelector() as selector:
        if pending:
            selector.register(proc.stdin, selectors.EVENT_WRITE)
        else:
            proc.stdin.close()
        selector.register(proc.stdout, selectors.EVENT_READ)
        selector.register(proc.stderr, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select():
                if key.fileobj is proc.stdin:
                    try:
                        # At most PIPE_BUF bytes: a write the select said fits never blocks.
                        pending = pending[os.write(key.fd, pending[: select.PIPE_BUF]) :]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                chunk = os.read(key.fd, _READ)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.fileobj is proc.stdout:
                    out += chunk[: max(0, stdout_limit - len(out))]
                else:
                    err += chunk
                    del err[:-stderr_tail]
    proc.wait()
    return bytes(out), bytes(err)
