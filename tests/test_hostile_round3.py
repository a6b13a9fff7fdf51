"""Hostile input, round three (issue 27): no silent loss, no run killed by one line, no traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, STORY, write

TEXT = "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY)


def cli(*args: str, stdin: bytes | str | None = None, env: dict | None = None, timeout: float = 120,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "cli", *args], input=data, capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT)


def feed(path: Path, n: int = 3) -> Path:
    lines = [json.dumps({"url": f"https://site.example/{i}", "title": f"Story {i}",
                         "text": "\n\n".join(f"{s} ({i} {w})" for s in STORY for w in ("a",))})
             for i in range(n)]
    return write(path, "\n".join(lines) + "\n")


def story(i: int) -> str:
    """A story of its own (no two share a band), long enough to be kept."""
    words = [f"w{i}x{j}" for j in range(400)]
    return "\n\n".join(" ".join(words[k:k + 40]) + "." for k in range(0, 400, 40))


# --- 1. an output that is an input, two outputs with one name ---------------------------------------------------

def _usage(result: subprocess.CompletedProcess, *names: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    for name in names:
        assert name in err, err


def test_an_output_that_is_the_input_file_is_a_usage_error(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    before = source.read_bytes()
    for command in ("ingest", "clean"):
        _usage(cli(command, str(source), "-o", str(source), "-q"), "-o", "PATH")
        assert source.read_bytes() == before


def test_an_output_inside_an_input_folder_that_would_be_read_is_a_usage_error(tmp_path):
    source = feed(tmp_path / "in" / "feed.jsonl")
    before = source.read_bytes()
    _usage(cli("ingest", str(tmp_path / "in"), "-o", str(source), "-q"), "-o", "PATH")
    assert source.read_bytes() == before


def test_an_output_reached_through_a_link_is_the_same_file(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    os.symlink(source, tmp_path / "alias.jsonl")
    _usage(cli("ingest", str(source), "-o", str(tmp_path / "alias.jsonl"), "-q"), "-o", "PATH")


@pytest.mark.parametrize("other", ["--manifest", "--rejects"])
def test_two_outputs_with_one_name_are_a_usage_error(tmp_path, other):
    source = feed(tmp_path / "feed.jsonl")
    target = tmp_path / "out.jsonl"
    _usage(cli("ingest", str(source), "-o", str(target), other, str(target), "-q"), "-o", other)
    assert not target.exists()


def test_an_output_over_the_state_is_a_usage_error(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    state = tmp_path / "nightly.db"
    assert cli("ingest", str(source), "--state", str(state), "-q").returncode == 0
    before = state.read_bytes()
    _usage(cli("ingest", str(source), "--state", str(state), "-o", str(state), "-q"), "-o", "--state")
    assert state.read_bytes() == before


def test_a_state_that_is_an_ordinary_folder_is_refused(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    home = tmp_path / "documents"
    write(home / "thesis.odt", "mine")
    result = cli("ingest", str(source), "--state", str(home), "-q")
    _usage(result, "--state")
    assert sorted(p.name for p in home.iterdir()) == ["thesis.odt"]


def test_a_foreign_sqlite_file_is_not_adopted_as_a_state(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    foreign = tmp_path / "app.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE contacts (name TEXT)")
    db.execute("INSERT INTO contacts VALUES ('Ada')")
    db.commit()
    db.close()
    _usage(cli("ingest", str(source), "--state", str(foreign), "-q"), "--state", "app.db")
    tables = {r[0] for r in sqlite3.connect(foreign).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"contacts"}


def test_an_empty_sqlite_file_and_a_new_path_still_become_states(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert cli("ingest", str(source), "--state", str(empty), "-q").returncode == 0
    assert cli("ingest", str(source), "--state", str(tmp_path / "new.db"), "-q").returncode == 0
    assert cli("ingest", str(source), "--state", str(tmp_path / "new.db"), "-q").returncode == 0


def test_a_partitioned_output_keeps_a_file_the_user_put_in_it(tmp_path):
    source = feed(tmp_path / "feed.jsonl")
    out = tmp_path / "out"
    assert cli("ingest", str(source), "-o", f"{out}/", "-q").returncode == 0
    write(out / "NOTES.txt", "my notes on last night")
    result = cli("ingest", str(source), "-o", f"{out}/", "-q")
    assert result.returncode != 0 and "NOTES.txt" in result.stderr.decode()
    assert (out / "NOTES.txt").read_text() == "my notes on last night"
    assert (out / "_SUCCESS").exists()


def test_the_lock_is_keyed_on_the_real_path(tmp_path):
    from corpus import StateError, locked

    real = tmp_path / "state"
    real.mkdir()
    os.symlink(real, tmp_path / "alias")
    with locked(str(real), 0, announce=False), pytest.raises(StateError, match="in use"), \
            locked(str(tmp_path / "alias"), 0, announce=False):
        pass
