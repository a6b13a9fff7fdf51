"""Standard input on a pipe that stays open (corpus.inputs.stdin): its lines, and records that do not wait for
the next one (``--stream`` with a pool of workers)."""

from __future__ import annotations

import io
import json
import os
import random
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from corpus.inputs.stdin import WatchedLines
from corpus.run.workers import OrderedPool
from tests.conftest import STORY, write


def test_watched_lines_read_as_pythons_buffered_readline_does(tmp_path):
    """Lines with and without an end, empty ones, CR LF, a last line with no newline, and limits shorter and
    longer than the lines: the same pieces as ``readline(limit)`` of a buffered file, then b"" for ever."""
    rng = random.Random(5)
    pieces = [b"", b"\n", b"a\n", b"\r\n", b"word " * 40 + b"\n", bytes(range(1, 10)) + b"\n", "é€\n".encode()]
    data = b"".join(rng.choice(pieces) for _ in range(400)) + b"no newline at the end"
    path = tmp_path / "lines"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        watched = WatchedLines(handle.fileno())
        expected = io.BytesIO(data)
        while True:
            limit = rng.choice([-1, 1, 3, 50, 1000])
            line = watched.readline(limit)
            assert line == expected.readline(limit)
            if not line:
                break
        assert watched.readline() == b"" and not watched.waits()


def test_watched_lines_tell_when_the_next_line_is_not_there_yet():
    read_end, write_end = os.pipe()
    try:
        watched = WatchedLines(read_end)
        assert not watched.waits()  # not read yet: the run's jobs come from elsewhere
        os.write(write_end, b"first\nsecond, half")
        assert not watched.waits()  # something came
        assert watched.readline() == b"first\n"
        assert watched.waits()  # half a line held, nothing more on the pipe
        os.write(write_end, b" and the rest\n")
        assert not watched.waits()
        assert watched.readline() == b"second, half and the rest\n"
        os.close(write_end)
        write_end = -1
        assert not watched.waits()  # the end: a read would not wait
        assert watched.readline() == b""
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def _doubled(n: int) -> int:
    return 2 * n


def test_the_pool_hands_back_what_is_done_while_the_next_job_has_not_come():
    """A job that comes only once the first result was handed back (a pipe's next line, written by whoever read
    the first record) must not deadlock the pool: it hands back the first result while ``idle`` says the next
    job has not come. Without ``idle`` the first result waited for the second job."""
    came = threading.Event()
    got: list[tuple[int, float]] = []
    started = time.monotonic()

    def jobs():  # noqa: ANN202
        yield 1
        came.wait(timeout=8)  # the next line comes once the first record is out (or never)
        yield 2

    for result in OrderedPool(2, chunk=1).map(_doubled, jobs(), on_death=lambda job: -1,
                                              on_error=lambda job, err: -2, idle=lambda: not came.is_set()):
        got.append((result, time.monotonic() - started))
        came.set()
    assert [result for result, _ in got] == [2, 4]
    assert got[0][1] < 6, f"the first result waited {got[0][1]:.1f} s for the next job"


def _line_within(stream, seconds: float) -> bytes:  # noqa: ANN001 - a pipe's file
    """The next line of ``stream``, or b"" if none came in ``seconds``."""
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline() if ready else b""


def test_a_stream_with_workers_writes_each_record_before_the_next_input_comes(tmp_path):
    """``--stream`` with two workers, paths (then JSONL records) on a pipe that stays open: each record is
    written before the next input is sent. Before, the first record waited for eight more inputs."""
    files = [write(tmp_path / f"{name}.txt", f"{name.title()} story\n\n" + "\n\n".join(STORY[i:] + STORY[:i]))
             for i, name in enumerate(["first", "second"])]
    sends = {"paths": [f"{path}\n" for path in files],
             "jsonl": [json.dumps({"text": Path(path).read_text(encoding="utf-8"), "url": f"https://example.com/{i}"})
                       + "\n" for i, path in enumerate(files)]}
    for kind, lines in sends.items():
        command = [sys.executable, "-m", "cli", "ingest", "-", "--stream", "--keep-duplicates", "--workers", "2", "-q"]
        proc = subprocess.Popen(command + (["--stdin-format", "jsonl"] if kind == "jsonl" else []),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            records = []
            for line in lines:
                proc.stdin.write(line.encode())
                proc.stdin.flush()
                out = _line_within(proc.stdout, 60)
                assert out, f"{kind}: no record before the next input"
                records.append(json.loads(out))
            proc.stdin.close()
            assert proc.stdout.read() == b"" and proc.wait(timeout=60) == 0
        finally:
            proc.kill()
        which = [r["url"] if kind == "jsonl" else Path(r["provenance"]["path"]).name for r in records]
        assert which == (["https://example.com/0", "https://example.com/1"] if kind == "jsonl"
                         else ["first.txt", "second.txt"])
