"""A hosted-service version's log: capped, rotated, long lines cut, read from the end.

A worker's stdout and stderr are one pipe whose read end only the platform holds, so
handler code cannot reach the log file and cannot write past the cap: an `OutputPump`
thread per worker copies the pipe into the version's `VersionLog` in blocks of at most
`READ_BLOCK` bytes, holding at most one partial line, so a flood of output costs the
platform a fixed amount of memory and none of the event loop's time. When the platform
falls behind, the pipe fills and the handler's own writes wait: output is never
buffered without bound, nor dropped.

Rotation is the standard library's `RotatingFileHandler`: `v3.log` is the current file,
`v3.log.1` the one before it, up to `files - 1` backups. The log is written as latin-1
text so that one character is one byte: the handler's bytes reach the file unchanged
(whatever their encoding) and the handler's size check counts bytes exactly.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import struct
import termios
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path

READ_BLOCK = 64 * 1024
MIN_FILE_BYTES = 1024 * 1024  # keeps every write (a block plus a partial line) well below one file


@dataclass(frozen=True)
class LogPolicy:
    file_bytes: int = 10 * 1024 * 1024  # each file stays below this
    files: int = 3  # the current file and its backups: at most files * file_bytes on disk
    line_bytes: int = 16 * 1024  # longer lines keep this much, then `cut_marker`

    def __post_init__(self) -> None:
        if self.file_bytes < MIN_FILE_BYTES:
            raise ValueError(f"a service log file must allow at least {MIN_FILE_BYTES} bytes (FLOW_SERVICE_LOG_BYTES)")
        if self.files < 1:
            raise ValueError("a service log needs at least one file (FLOW_SERVICE_LOG_FILES)")
        if not 80 <= self.line_bytes <= READ_BLOCK:
            raise ValueError(f"a service log line must allow between 80 and {READ_BLOCK} bytes")


def cut_marker(line_bytes: int) -> bytes:
    return f" [... line cut at {line_bytes} bytes]".encode()


class LineCutter:
    """Splits a byte stream into complete lines, cutting any line past `line_bytes`."""

    def __init__(self, line_bytes: int) -> None:
        self.limit = line_bytes
        self.marker = cut_marker(line_bytes)
        self._partial = b""
        self._dropping = False  # inside a line that was already cut: skip to its end

    def feed(self, chunk: bytes) -> bytes:
        """The complete lines that `chunk` finishes, cut where needed."""
        if self._dropping:
            end = chunk.find(b"\n")
            if end < 0:
                return b""
            self._dropping = False
            chunk = chunk[end + 1 :]
        data = self._partial + chunk
        last = data.rfind(b"\n")
        lines, rest = data[: last + 1], data[last + 1 :]
        if len(lines) > self.limit and max(map(len, lines.split(b"\n"))) > self.limit:
            lines = b"\n".join(self._cut(line) for line in lines.split(b"\n"))
        if len(rest) > self.limit:
            # A line that has not ended yet is cut now: holding it would hold memory.
            lines += self._cut(rest) + b"\n"
            rest = b""
            self._dropping = True
        self._partial = rest
        return lines

    def flush(self) -> bytes:
        """What is left at the end of the stream, as a last line."""
        rest, self._partial = self._partial, b""
        return rest + b"\n" if rest else b""

    def _cut(self, line: bytes) -> bytes:
        if len(line) <= self.limit:
            return line
        end = self.limit
        # Back up to the start of a UTF-8 character rather than split one.
        while end > self.limit - 3 and 0x80 <= line[end] < 0xC0:
            end -= 1
        return line[:end] + self.marker


class VersionLog:
    """One version's log files, shared by its workers and the platform's notes."""

    def __init__(self, path: Path, policy: LogPolicy) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.policy = policy
        self._handler = RotatingFileHandler(
            path,
            maxBytes=policy.file_bytes,
            backupCount=policy.files - 1,
            encoding="latin-1",
            delay=True,
        )
        self._handler.terminator = ""
        self._closed = False
        self.pumps: set[OutputPump] = set()  # of the workers still writing

    def settle(self, timeout: float = 1.0) -> None:
        """Wait (a little) until what the workers wrote so far is in the file."""
        for pump in list(self.pumps):
            pump.settle(timeout)

    def write(self, data: bytes) -> None:
        """Append complete lines; rotates first when they would not fit the current file."""
        if not data:
            return
        assert self._handler.lock is not None
        with self._handler.lock:  # reentrant: `handle` and `close` take it too
            self._handler.handle(logging.makeLogRecord({"msg": data.decode("latin-1")}))
            if self._closed:
                # A line after close (a worker's last output, its exit note) still lands,
                # but leaves no file open behind it.
                self._handler.close()

    def note(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        line = f"--- {stamp} platform: {message}".encode()
        self.write(line[: self.policy.line_bytes] + b"\n")

    def close(self) -> None:
        assert self._handler.lock is not None
        with self._handler.lock:
            self._closed = True
            self._handler.close()


def _pending(fd: int) -> int:
    """Bytes waiting in a pipe (FIONREAD)."""
    return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])


def log_files(path: Path, files: int) -> list[Path]:
    """A log's files, oldest first: v1.log.2, v1.log.1, v1.log."""
    return [Path(f"{path}.{i}") for i in range(files - 1, 0, -1)] + [path]


def read_all(paths: Sequence[Path]) -> str:
    """The whole log (bounded by its cap), oldest line first."""
    parts = []
    for path in paths:
        try:
            parts.append(path.read_bytes())
        except FileNotFoundError:
            continue
    return b"".join(parts).decode("utf-8", "replace")


def read_tail(paths: Sequence[Path], lines: int, block: int = READ_BLOCK) -> str:
    """The last `lines` lines of the files (oldest first) read as one stream.

    Reads backwards a block at a time and stops once it holds enough lines, so the
    cost follows what is asked, not the size of the log.
    """
    if lines <= 0:
        return ""
    blocks: list[bytes] = []  # newest first
    newlines = 0
    # One more newline than lines: the one that ends the line before the first we keep.
    for path in reversed(paths):
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            continue
        with handle:
            position = handle.seek(0, os.SEEK_END)
            while position > 0 and newlines <= lines:
                size = min(block, position)
                position -= size
                handle.seek(position)
                data = handle.read(size)
                blocks.append(data)
                newlines += data.count(b"\n")
        if newlines > lines:
            break
    data = b"".join(reversed(blocks))
    ends_with_newline = data.endswith(b"\n")
    parts = data.split(b"\n")
    if ends_with_newline:
        parts.pop()
    text = b"\n".join(parts[-lines:]) + (b"\n" if ends_with_newline else b"")
    return text.decode("utf-8", "replace")


class OutputPump:
    """Copies one worker's output pipe into its version's log, on a thread of its own."""

    def __init__(self, fd: int, log: VersionLog, name: str) -> None:
        self._fd = fd
        self._log = log
        self._lock = threading.Lock()
        self._copying = threading.Lock()  # held from a read to the end of its write
        self._done = False
        self._last_note: str | None = None
        os.set_blocking(fd, False)
        log.pumps.add(self)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        cutter = LineCutter(self._log.policy.line_bytes)
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        try:
            while True:
                poller.poll()
                with self._copying:
                    try:
                        chunk = os.read(self._fd, READ_BLOCK)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        break
                    self._log.write(cutter.feed(chunk))
            self._log.write(cutter.flush())
        except OSError:
            pass  # a log that cannot be written must not take the platform down
        finally:
            with self._copying:
                os.close(self._fd)
                self._log.pumps.discard(self)
                with self._lock:
                    self._done = True
                    note, self._last_note = self._last_note, None
            if note is not None:
                self._log.note(note)

    def settle(self, timeout: float) -> None:
        """Return once the pipe is empty and its last block written (or after `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._copying:
                if self._done or _pending(self._fd) == 0:
                    return
            time.sleep(0.002)

    def finish(self, note: str) -> None:
        """Write `note` after the last of the worker's output (now, if that is in)."""
        with self._lock:
            if not self._done:
                self._last_note = note
                return
        self._log.note(note)

    def flush_note(self) -> None:
        """Write a note `finish` left pending: output still open must not hide it."""
        with self._lock:
            note, self._last_note = self._last_note, None
        if note is not None:
            self._log.note(note)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
