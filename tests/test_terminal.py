"""Records go to stdout whatever stderr is: each command run under a real pseudo-terminal.

stdin and stderr are the slave end of a pty (what a person at a prompt has), stdout is a file or
a pipe (``> out.jsonl``, ``| wc -l``). The progress bar and the summary belong on the terminal;
every record belongs on stdout, intact, and none on the terminal.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, STORY, html_page, write

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

NEWSCLEAN = [sys.executable, "-m", "cli"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "COLUMNS")}
    env.update(TERM="xterm-256color", COLUMNS="100", PYTHONPATH=str(ROOT))
    return env


def run_on_terminal(args: list[str], stdout_path: Path | None = None, cwd: Path = ROOT,
                    shell: bool = False) -> tuple[int, bytes, bytes]:
    """Run with stdin and stderr on a pty; stdout to ``stdout_path`` or a pipe. Returns (status, stdout
    bytes, what the terminal showed)."""
    master, slave = os.openpty()
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE  # noqa: SIM115 - closed below
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every holder of the slave end has gone
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.Popen(args, stdin=slave, stdout=out, stderr=slave, cwd=cwd, env=_env(),
                                shell=shell, start_new_session=True)
        os.close(slave)
        data, _ = proc.communicate(timeout=240)
    finally:
        if stdout_path:
            out.close()  # type: ignore[union-attr]
    reader.join(timeout=10)
    os.close(master)
    if stdout_path:
        data = stdout_path.read_bytes()
    return proc.returncode, data or b"", b"".join(seen)


def run_plain(args: list[str], cwd: Path = ROOT) -> bytes:
    """The same command with stderr a file, not a terminal: the reference output."""
    done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, cwd=cwd, env=_env(), timeout=240)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def no_records_on(terminal: bytes) -> None:
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", terminal).decode("utf-8", "replace")
    assert '"id":' not in text and '"text":' not in text, text[:2000]
    for line in text.replace("\r", "\n").splitlines():
        if line.strip().startswith("{"):
            with pytest.raises(ValueError):
                json.loads(line)


def story(seed: int) -> list[str]:
    """Five paragraphs of STORY's words in an order of their own: a story no other seed gives."""
    words = " ".join(STORY).split()
    rng = random.Random(seed)
    return [" ".join(rng.sample(words, 30)) + "." for _ in range(5)]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "crawl"
    for i in range(4):
        write(root / "site" / f"story{i}.html", html_page(f"Story {i}", story(i)))
    write(root / "site" / "copy.html", html_page("Story 0", story(0)))
    return root


def _records(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def test_ingest_to_a_file_and_a_pipe_with_stderr_a_terminal(corpus: Path, tmp_path: Path) -> None:
    args = [*NEWSCLEAN, "ingest", str(corpus), "--workers", "1"]
    expected = run_plain(args)
    assert len(_records(expected)) == 4
    status, data, terminal = run_on_terminal(args, tmp_path / "out.jsonl")
    assert status == 0, terminal
    assert data == expected
    no_records_on(terminal)
    assert b"records written" in terminal  # the summary is on the terminal
    status, data, terminal = run_on_terminal(args)  # | wc -l
    assert status == 0 and data == expected
    no_records_on(terminal)


def test_clean_and_dedup_with_stderr_a_terminal(corpus: Path, tmp_path: Path) -> None:
    cleaned = tmp_path / "cleaned.jsonl"
    args = [*NEWSCLEAN, "clean", str(corpus), "--workers", "1"]
    expected = run_plain(args)
    status, data, terminal = run_on_terminal(args, cleaned)
    assert status == 0 and data == expected and len(_records(data)) == 5
    no_records_on(terminal)
    args = [*NEWSCLEAN, "dedup", str(cleaned)]
    expected = run_plain(args)
    status, data, terminal = run_on_terminal(args)
    assert status == 0 and data == expected and len(_records(data)) == 4
    no_records_on(terminal)


def test_report_with_stderr_a_terminal(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(run_plain([*NEWSCLEAN, "ingest", str(corpus), "--workers", "1", "--keep-duplicates"]))
    args = [*NEWSCLEAN, "report", str(out), "--json"]
    status, data, terminal = run_on_terminal(args, tmp_path / "report.json")
    assert status == 0, terminal
    counted = json.loads(data)
    assert counted["records"] == 5 and counted["duplicates"] == 1
    assert b"{" not in terminal
    status, data, terminal = run_on_terminal([*NEWSCLEAN, "report", str(out)])
    assert status == 0 and b"5 records" in data and b"records" not in terminal


def test_make_demo_command_line_with_stderr_a_terminal() -> None:
    """`make demo`'s own pipeline, as the Makefile spells it, run from a terminal."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    line = next(row.strip().lstrip("@") for row in recipe.splitlines() if "/newsclean ingest" in row)
    bin_dir = shlex.quote(str(Path(sys.executable).parent))
    command = line.replace("$(BIN)", bin_dir)
    assert "| " in command
    reference = [json.loads(row) for row in run_plain(["/bin/sh", "-c", command]).decode().splitlines()]
    assert len(reference) >= 3 and all(set(r) == {"title", "lang", "text"} for r in reference)
    status, data, terminal = run_on_terminal(["/bin/sh", "-c", command])
    assert status == 0, terminal
    assert [json.loads(row) for row in data.decode().splitlines()] == reference
    no_records_on(terminal)
    assert EXAMPLES.is_dir()
