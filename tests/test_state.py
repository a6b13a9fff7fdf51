"""--state: nightly runs that remember earlier nights."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from corpus.dedup.minhash import MinHashParams, signature
from corpus.dedup.state import StateError, StateIndex, locked
from corpus.dedup.state_layout import unpacked_id
from tests.conftest import STORY, html_page, write

NEW_STORY = [
    "The city's oldest cinema will close at the end of the month after its owners failed to find a buyer, "
    "ending ninety years of screenings on the high street.",
    "Staff said attendance had never recovered after the pandemic, and the cost of replacing the projector "
    "and heating system was more than the building could earn back.",
    "A group of residents has started a campaign to buy the cinema and run it as a community venue.",
]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def records(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def state_rows(path) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT d.id, f.text || d.name FROM docs d JOIN folders f ON f.n = d.folder").fetchall()
        return sorted((unpacked_id(doc_id), path) for doc_id, path in rows)
    finally:
        db.close()


@pytest.fixture
def nights(tmp_path):
    night1, night2 = tmp_path / "2026-11-23", tmp_path / "2026-11-24"
    write(night1 / "drought.html", html_page("Reservoirs at a thirty-year low", STORY))
    write(night2 / "drought-copy.txt", "UPDATED: Reservoirs hit thirty-year low\n\n" + "\n\n".join(STORY[:-1])
          + "\n\nFollow us on Telegram for more")
    write(night2 / "cinema.txt", "Oldest cinema to close after ninety years\n\n" + "\n\n".join(NEW_STORY))
    return night1, night2, tmp_path / "state.db"


def test_night_two_flags_copies_of_night_one_and_keeps_new_stories(nights):
    night1, night2, state = nights
    (first,) = records(run("ingest", str(night1), "--state", str(state), "-q"))
    second = records(run("ingest", str(night2), "--state", str(state), "--keep-duplicates", "-q"))
    by_path = {r["provenance"]["path"]: r for r in second}
    assert by_path["drought-copy.txt"]["duplicate_of"] == first["id"]
    assert by_path["cinema.txt"]["duplicate_of"] is None
    assert [r["provenance"]["path"] for r in records(run("ingest", str(night2), "--state", str(state), "-q"))] == [
        "cinema.txt"], "without --keep-duplicates the copy of last night's story is left out"
    ids = [row[0] for row in state_rows(state)]
    assert sorted(ids) == sorted([first["id"], by_path["cinema.txt"]["id"]]), "kept records only"
    info = json.loads(run("state", "info", str(state)).stdout)
    assert info["records"] == 2 and info["oldest"] <= info["newest"] and info["bytes"] > 0


def test_rerunning_a_night_gives_byte_identical_output(nights):
    night1, night2, state = nights
    run("ingest", str(night1), "--state", str(state), "-q")
    outputs = [run("ingest", str(night2), "--state", str(state), "--keep-duplicates", "-q").stdout for _ in range(3)]
    assert outputs[0] == outputs[1] == outputs[2]
    assert '"duplicate_of":null' in outputs[0], "a record already in the state is not a copy of itself"


def test_a_failure_while_saving_leaves_the_state_as_it_was(nights, monkeypatch):
    night1, night2, state = nights
    run("ingest", str(night1), "--state", str(state), "-q")
    before = state_rows(state)
    index = StateIndex(str(state), MinHashParams())
    calls = {"n": 0}
    import corpus.dedup.state_layout as state_module

    real = state_module.entry_keys

    def failing(values, params):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(values, params)

    monkeypatch.setattr(state_module, "entry_keys", failing)
    texts = [STORY[0] * 3, STORY[1] * 3]
    sigs = [(f"id{i}", f"p{i}", signature(text, MinHashParams())) for i, text in enumerate(texts)]
    with pytest.raises(OSError):
        index.add_all(sigs, "2026-11-24T00:00:00+00:00")
    index.close()
    assert state_rows(state) == before


def test_a_killed_run_leaves_the_state_untouched(nights, tmp_path):
    night1, _, state = nights
    run("ingest", str(night1), "--state", str(state), "-q")
    before = state_rows(state)
    big = tmp_path / "big"
    for i in range(20):
        write(big / f"{i:03d}.html", html_page(f"Story {i}", [f"{s} ({i} {i * 7})" for s in NEW_STORY * 3]))
    # Paths come on stdin and the pipe stays open: the run is surely half-way when it is killed.
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", "-", "--state", str(state), "-q"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    proc.stdin.write("".join(f"{p}\n" for p in sorted(big.iterdir())))
    proc.stdin.flush()
    time.sleep(2.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdin.close()
    assert state_rows(state) == before
    (after,) = records(run("ingest", str(night1), "--state", str(state), "--lock-wait", "5", "-q"))
    assert after["duplicate_of"] is None, "the lock died with the killed run"


def test_two_concurrent_runs_wait_for_each_other_and_do_not_corrupt(nights):
    night1, night2, state = nights
    procs = [subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(folder), "--state", str(state)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for folder in (night1, night2, night1)]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1] for r in results]
    assert len(state_rows(state)) == 2  # night 1's story (stored once) and the cinema story


def test_a_held_lock_makes_a_run_wait_or_fail_clearly(nights):
    night1, _, state = nights
    with locked(str(state), 0, announce=False):
        result = run("ingest", str(night1), "--state", str(state), "--lock-wait", "0", check=False)
        assert result.returncode == 1 and result.stdout == ""
        assert "in use by another newsclean run" in result.stderr and "Traceback" not in result.stderr

    # The lock is held until the run says it is waiting (however slow the machine), then let go.
    with locked(str(state), 0, announce=False):
        proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(night1), "--state", str(state),
                                 "--lock-wait", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = proc.stderr.readline()
    out, rest = proc.communicate(timeout=120)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, first + rest)
    assert result.returncode == 0, result.stderr
    assert "waiting for another run" in result.stderr and len(records(result)) == 1


def test_signatures_with_other_parameters_are_refused(tmp_path):
    path = str(tmp_path / "s.db")
    StateIndex(path, MinHashParams()).close()
    with pytest.raises(StateError, match="other MinHash parameters"):
        StateIndex(path, MinHashParams(shingle_words=4))


def test_prune_forgets_records_first_seen_before_a_date(tmp_path):
    path = str(tmp_path / "s.db")
    index = StateIndex(path, MinHashParams())
    params = MinHashParams()
    index.add_all([("old", "a", signature(" ".join(STORY), params))], "2026-01-05T03:00:00+00:00")
    index.add_all([("new", "b", signature(" ".join(NEW_STORY), params))], "2026-11-20T03:00:00+00:00")
    assert {r.id for r in index.lookup(signature(" ".join(STORY), params))} == {"old"}
    index.close()
    result = run("state", "prune", path, "--before", "2026-06-01")
    assert "removed 1 record first seen" in result.stdout
    index = StateIndex(path, params)
    assert index.lookup(signature(" ".join(STORY), params)) == []
    assert index.info()["records"] == 1
    index.close()
    assert run("state", "prune", path, "--before", "yesterday", check=False).returncode == 2
