"""The end of a run: a failure at any point leaves last night's files and state as they were."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.conftest import STORY, write

OTHER = ["The harbour ferry will run every half hour from Monday, the port authority said in a statement.",
         "Its two new boats are quieter and burn less fuel than the ones they replace after forty years.",
         "Season tickets for commuters will cost the same as last year until the end of March."]


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file in the output folder (temporary files included: none may be left)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def state_rows(path: Path) -> tuple[int, int]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT (SELECT COUNT(*) FROM docs), (SELECT COUNT(*) FROM runs)").fetchone()
    finally:
        db.close()


@pytest.fixture
def last_night(tmp_path):
    """Night 1 done: outputs and state in place. Returns (night 2's input, args for night 2, out folder)."""
    night1, night2, out = tmp_path / "night1", tmp_path / "night2", tmp_path / "out"
    out.mkdir()
    write(night1 / "reservoirs.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    write(night2 / "ferry.txt", "Harbour ferry to run every half hour\n\n" + "\n\n".join(OTHER))
    write(night2 / "empty.txt", "")
    args = ["-o", str(out / "clean.jsonl"), "--rejects", str(out / "rejects.jsonl"),
            "--manifest", str(out / "manifest.json"), "--state", str(tmp_path / "state.db"), "-q"]
    result = CliRunner().invoke(main, ["ingest", str(night1), *args])
    assert result.exit_code == 0, result.output
    return night2, args, out


def fail_at(point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    targets = {
        "records": "corpus.run.pipeline.Ingest._finish",
        "manifest": "corpus.outputs.manifest.RunManifest.dumps",
        "flush": "corpus.outputs.write.StagedOutputs.finish",
        "state-commit": "corpus.dedup.state.StateIndex.commit",
    }
    monkeypatch.setattr(targets[point], boom)


@pytest.mark.parametrize("point", ["records", "manifest", "flush", "state-commit"])
def test_a_failure_at_any_point_changes_nothing(last_night, monkeypatch, point, tmp_path):
    night2, args, out = last_night
    before, rows = outputs(out), state_rows(tmp_path / "state.db")
    with monkeypatch.context() as patch:
        fail_at(point, patch)
        result = CliRunner().invoke(main, ["ingest", str(night2), *args])
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert outputs(out) == before, "last night's files stay, and no temporary file is left"
    assert state_rows(tmp_path / "state.db") == rows, "the state is as it was"
    result = CliRunner().invoke(main, ["ingest", str(night2), *args])  # the next try goes through
    assert result.exit_code == 0
    assert json.loads((out / "clean.jsonl").read_text())["title"] == "Harbour ferry to run every half hour"
    assert json.loads((out / "rejects.jsonl").read_text())["reason"] == "empty"
    assert state_rows(tmp_path / "state.db") == (rows[0] + 1, rows[1] + 1)


def test_a_damaged_state_is_refused_by_name(last_night, tmp_path):
    night2, args, out = last_night
    state = tmp_path / "state.db"
    db = sqlite3.connect(state)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    data = bytearray(state.read_bytes())
    for page in range(1, len(data) // page_size):  # scribble over every page but the header page
        data[page * page_size + 8: page * page_size + 40] = b"\xff" * 32
    state.write_bytes(bytes(data))
    before = outputs(out)
    result = subprocess.run([sys.executable, "-m", "cli", "ingest", str(night2), *args], capture_output=True,
                            text=True)
    assert result.returncode == 1 and str(state) in result.stderr and "damaged" in result.stderr
    assert "Traceback" not in result.stderr and outputs(out) == before
    check = subprocess.run([sys.executable, "-m", "cli", "state", "check", str(state)], capture_output=True,
                           text=True)
    assert check.returncode == 1 and str(state) in check.stderr


def test_state_check_passes_a_sound_state(last_night, tmp_path):
    result = CliRunner().invoke(main, ["state", "check", str(tmp_path / "state.db")])
    assert result.exit_code == 0 and "ok" in result.output and "1 record," in result.output


@pytest.mark.parametrize("before", ["20260601", "2026-W01-1", "yesterday", "2026-13-01", "2026-11-24T25:00"])
def test_prune_refuses_what_is_not_a_date(last_night, tmp_path, before):
    result = CliRunner().invoke(main, ["state", "prune", str(tmp_path / "state.db"), "--before", before])
    assert result.exit_code == 2, result.output
    assert state_rows(tmp_path / "state.db")[0] == 1


def test_prune_reads_offsets_and_will_not_empty_the_state_unasked(last_night, tmp_path):
    state = str(tmp_path / "state.db")
    runner = CliRunner()
    # first seen today (UTC): midnight today at UTC-12 is noon UTC, maybe after the run; 2000-01-01 keeps all
    result = runner.invoke(main, ["state", "prune", state, "--before", "2000-01-01T00:00:00-12:00"])
    assert result.exit_code == 0 and "2000-01-01T12:00:00+00:00" in result.output, result.output
    result = runner.invoke(main, ["state", "prune", state, "--before", "2999-01-01"])
    assert result.exit_code == 1 and "--all-ok" in result.output and state_rows(tmp_path / "state.db")[0] == 1
    result = runner.invoke(main, ["state", "prune", state, "--before", "2999-01-01", "--all-ok"])
    assert result.exit_code == 0 and state_rows(tmp_path / "state.db")[0] == 0


def test_a_schema_1_state_is_upgraded_in_place(tmp_path):
    """States written before content ids keep working: their records are earlier stories."""
    from corpus.dedup.minhash import MinHashParams, signature
    from corpus.dedup.state import SCHEMA_VERSION, band_keys, params_record

    path = tmp_path / "old.db"
    params = MinHashParams()
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
            first_seen TEXT NOT NULL, shingles INTEGER NOT NULL, words INTEGER NOT NULL, signature BLOB NOT NULL);
        CREATE INDEX docs_first_seen ON docs (first_seen);
        CREATE TABLE bands (key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (key, doc)) WITHOUT ROWID;
    """)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("schema", "1"), ("minhash", params_record(params))])
    old_id = "0" * 32  # a schema-1 id (a hash of a path)
    sig = signature("\n".join(STORY), params)
    db.execute("INSERT INTO docs (id, path, first_seen, shingles, words, signature) VALUES (?, ?, ?, ?, ?, ?)",
               (old_id, "/old/path.txt", "2026-01-01T00:00:00+00:00", sig.shingles, sig.words,
                sig.hashvalues.astype("uint32").tobytes()))
    rowid = db.execute("SELECT rowid FROM docs").fetchone()[0]
    db.executemany("INSERT INTO bands VALUES (?, ?)", [(k, rowid) for k in band_keys(sig.hashvalues, params)])
    db.commit()
    db.close()
    write(tmp_path / "in" / "copy.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--state", str(path), "--keep-duplicates",
                                       "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["duplicate_of"] == old_id
    info = json.loads(CliRunner().invoke(main, ["state", "info", str(path)]).stdout)
    assert info["schema"] == SCHEMA_VERSION and info["records"] == 1
