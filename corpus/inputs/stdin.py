"""Standard input as a run reads it: lines, and whether the next one is there yet.

``--stream`` writes each record as soon as it is done. With a pool of workers, the main process
hands a worker a document, then reads the next input; on a pipe that stays open (a crawler's feed,
``tail -f``) that read waits for the next line, and a record the worker had finished waited with it.
The run asks :func:`input_waits` before it reads: while no line is there, it hands back what the
workers have done (:meth:`corpus.run.workers.OrderedPool.map`'s ``idle``).

Python's buffered stdin cannot say whether it holds a line without reading (and so waiting), so a
pipe, a terminal or a socket is read here in blocks of its own; a file given with ``<`` is always
ready, and is read as before.
"""

from __future__ import annotations

import os
import select
import stat
import sys
from typing import IO

BLOCK = 1 << 16  # bytes asked of the pipe at a time (what it holds is what comes)


class WatchedLines:
    """A file descriptor's bytes, handed out a line at a time as ``readline`` does (``limit``: at most that many
    bytes, the rest of a longer line at the next call), knowing whether a whole line is there yet."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._held = bytearray()
        self._read = self._ended = False

    def readline(self, limit: int = -1) -> bytes:
        self._read = True
        searched = 0
        while True:
            end = self._held.find(b"\n", searched)
            if end >= 0 and (limit < 0 or end < limit):
                return self._take(end + 1)
            if 0 <= limit <= len(self._held):
                return self._take(limit)
            if self._ended:
                return self._take(len(self._held))
            searched = len(self._held)
            block = os.read(self._fd, BLOCK)
            if block:
                self._held += block
            else:
                self._ended = True

    def _take(self, size: int) -> bytes:
        line = bytes(self._held[:size])
        del self._held[:size]
        return line

    def waits(self) -> bool:
        """True when ``readline`` would wait for more to arrive: no whole line held, nothing new on the pipe. False
        before the first ``readline`` (what reads it has not begun: the run's jobs come from elsewhere)."""
        if not self._read or self._ended or b"\n" in self._held:
            return False
        readable, _, _ = select.select([self._fd], [], [], 0)
        return not readable


_watched: WatchedLines | None = None


def stdin_lines() -> IO[bytes] | WatchedLines:
    """What to read standard input's lines from: on a pipe, a terminal or a socket (POSIX), the watched
    lines (:func:`input_waits` then tells whether the next is there); else Python's own buffered stdin."""
    global _watched
    if _watched is not None:
        return _watched
    try:
        fd = sys.stdin.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):  # no stdin (a service), or one without a descriptor (a test's)
        return sys.stdin.buffer
    if os.name != "posix" or not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)):
        return sys.stdin.buffer
    _watched = WatchedLines(fd)
    return _watched


def input_waits() -> bool:
    """True while standard input is being read, no whole line of it is held, and none has arrived: reading
    the next input now would wait for it."""
    return _watched is not None and _watched.waits()
