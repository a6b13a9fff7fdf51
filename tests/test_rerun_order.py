"""A rerun is the same set of inputs in any order: `find | sort` or the PATHs reordered change nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, html_page, write
from tests.test_report_inputs import story


def cli(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCLEAN_")}
    done = subprocess.run([sys.executable, "-m", "cli", *args, "-q", "--workers", "1"], capture_output=True,
                          text=True, cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)}, input=stdin, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def nights(tmp_path) -> Path:
    for i in range(3):
        write(tmp_path / "night1" / f"a{i}.html", html_page(f"Old {i}", story(i)))
    for i in range(3, 7):
        write(tmp_path / "night2" / f"{'zyxw'[i - 3]}{i}.html", html_page(f"New {i}", story(i)))
    write(tmp_path / "night2" / "m-redelivered.html", html_page("Old 0", story(0)))  # night 1's, again
    return tmp_path


def by_id(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda r: r["id"])


@pytest.mark.parametrize("state_kind", ["sqlite", "parquet"])
def test_a_rerun_with_inputs_in_another_order_is_the_same_run(nights, state_kind):
    pytest.importorskip("pyarrow") if state_kind == "parquet" else None
    state = "state.db" if state_kind == "sqlite" else "state/"
    common = ("--state", state, "--keep-duplicates")
    cli("ingest", "night1", *common, cwd=nights)
    files = [str(p.relative_to(nights)) for p in (nights / "night2").iterdir()]
    listed = sorted(files, reverse=True)  # `find` gives the directory's order; here, the reverse of sorted
    first = cli("ingest", "-", *common, stdin="\n".join(listed) + "\n", cwd=nights)
    assert [r["title"] for r in first if r["duplicate_of"]] == ["Old 0"]  # the re-delivery, and only it
    new_ids = {r["id"] for r in first if r["duplicate_of"] is None}
    assert len(new_ids) == 4

    rerun_sorted = cli("ingest", "-", *common, stdin="\n".join(sorted(files)) + "\n", cwd=nights)
    rerun_args = cli("ingest", *sorted(files)[::2], *sorted(files)[1::2], *common, cwd=nights)
    for record in rerun_args:  # paths are shown relative to the PATH arguments' common folder: night2/
        record["provenance"]["path"] = "night2/" + record["provenance"]["path"]
    for rerun in (rerun_sorted, rerun_args):
        assert by_id(rerun) == by_id(first)  # the same records, the same ids (the re-delivered one's too)
        assert not any(r["duplicate_of"] in new_ids for r in rerun), "a new story marked a copy of itself"
    again = cli("ingest", "-", *common, stdin="\n".join(listed) + "\n", cwd=nights)
    assert again == first  # the same order: byte-identical, as before


def test_the_fingerprint_is_a_set_of_ids():
    from corpus.identity import RunFingerprint

    one, two, three = RunFingerprint(), RunFingerprint(), RunFingerprint()
    for doc_id in ("a", "b", "c"):
        one.add(doc_id)
    for doc_id in ("c", "a", "b"):
        two.add(doc_id)
    for doc_id in ("a", "b", "c", "c"):
        three.add(doc_id)
    assert one.hexdigest() == two.hexdigest() != three.hexdigest()
    assert one.ordered_hexdigest() != two.ordered_hexdigest()


def test_a_rerun_of_a_night_stored_with_the_old_input_order_fingerprint_is_still_a_rerun(tmp_path):
    from corpus import Ingest, IngestOptions
    from corpus.dedup.minhash import MinHashParams
    from corpus.dedup.state import StateIndex

    index = StateIndex(str(tmp_path / "state.db"), MinHashParams())
    run = Ingest(IngestOptions(), state=index)
    for doc_id in ("b", "a"):
        run.fingerprint.add(doc_id)
    index.begin()
    index.commit(1, run.fingerprint.ordered_hexdigest(), "2026-01-01T00:00:00+00:00", "batch")
    assert run._rerun_of() == (1, run.fingerprint.ordered_hexdigest())  # the key its ids were made with
    index.close()
