"""Rough edges a new user met: leftovers of killed runs, wrong option names, messages, exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, html_page, write
from tests.test_report_inputs import story

NEWSCLEAN = [sys.executable, "-m", "cli"]


def env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCLEAN_")}
    return {**clean, "PYTHONPATH": str(ROOT), **extra}


def cli(*args: str, stdin: str | None = None, cwd: Path = ROOT, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*NEWSCLEAN, *args], capture_output=True, text=True, cwd=cwd, env=env(**extra),
                          input=stdin, timeout=120)


@pytest.fixture
def crawl(tmp_path) -> Path:
    for i in range(3):
        write(tmp_path / "crawl" / f"story{i}.html", html_page(f"Story {i}", story(i)))
    return tmp_path / "crawl"


def parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def started_and_waiting(out: Path, *extra: str) -> subprocess.Popen:
    """A run that has opened its outputs and waits for its path list on stdin (a pipe kept open)."""
    run = subprocess.Popen([*NEWSCLEAN, "ingest", "-", "-o", str(out), "-q", "--workers", "1", *extra],
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env(),
                           cwd=ROOT)
    before = set(parts(out.parent))
    deadline = time.monotonic() + 60
    while not set(parts(out.parent)) - before and time.monotonic() < deadline:
        assert run.poll() is None, run.stderr.read()
        time.sleep(0.05)
    assert set(parts(out.parent)) - before
    return run


def test_the_next_run_removes_what_killed_runs_left_and_only_that(crawl, tmp_path):
    out = tmp_path / "out.jsonl"
    killed = started_and_waiting(out)
    left = parts(tmp_path)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert parts(tmp_path) == left, "SIGKILL leaves the temporary file"
    live = started_and_waiting(out)  # the next run on the same output, still going
    mine = set(parts(tmp_path)) - set(left)
    assert len(mine) == 1 and not set(left) & set(parts(tmp_path)), "the killed run's part is gone"
    try:
        done = cli("ingest", str(crawl), "-o", str(out), "-q")  # and another, while that one runs
        assert done.returncode == 0, done.stderr
        assert len(out.read_text().splitlines()) == 3
        assert parts(tmp_path) == sorted(mine), "the live run's part is never removed"
    finally:
        live.stdin.close()  # no paths: the live run ends (with no input) and publishes
        live.wait(timeout=60)
    assert parts(tmp_path) == []


def test_a_partitioned_output_killed_mid_run_is_cleaned_up_by_the_next(crawl, tmp_path):
    out = tmp_path / "parts"
    killed = started_and_waiting(Path(str(out)), "--rejects", str(tmp_path / "rejects.jsonl"))
    killed.kill()
    killed.wait()
    killed_parts = parts(tmp_path)
    assert killed_parts  # the records folder (and the rejects file) under temporary names
    done = cli("ingest", str(crawl), "-o", f"{out}/", "--rejects", str(tmp_path / "rejects.jsonl"), "-q")
    assert done.returncode == 0, done.stderr
    assert parts(tmp_path) == [] and (out / "_SUCCESS").exists()


def test_a_mistaken_state_leaves_no_lock_file(crawl, tmp_path):
    out = tmp_path / "out.jsonl"
    assert cli("ingest", str(crawl), "-o", str(out), "-q").returncode == 0
    before = out.read_bytes()
    result = cli("ingest", str(crawl), "--state", str(out), "-q")
    assert result.returncode == 1 and "state" in result.stderr
    assert not Path(f"{out}.lock").exists()
    assert out.read_bytes() == before
    state = tmp_path / "nightly.db"  # a real state keeps its lock file, as ever
    assert cli("ingest", str(crawl), "--state", str(state), "-q").returncode == 0
    assert Path(f"{state}.lock").exists()
