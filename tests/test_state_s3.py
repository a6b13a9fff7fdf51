"""``--state s3://bucket/state/``: the Parquet state in object storage, against the moto S3 server on 127.0.0.1
(started here): the records of a local state, the same commit point (``state.json`` last), and a lock object
that two runs cannot both make (a conditional PUT, ``If-None-Match: *``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from tests import test_dask_store as on_cluster
from tests import test_object_storage as store
from tests.conftest import html_page, write
from tests.test_object_storage import BUCKET, newsclean
from tests.test_report_inputs import story

pytest.importorskip("pyarrow")
s3 = store.s3  # the moto server of this module
cluster = on_cluster.cluster  # two Dask workers that know the store from the standard environment only


def night(root: Path, seeds: range) -> Path:
    for i in seeds:
        write(root / f"story{i}.html", html_page(f"Story {i}", story(i)))
    return root


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> tuple[Path, Path, Path]:
    """Three nights; each of the later two repeats stories of the one before."""
    root = tmp_path_factory.mktemp("nights")
    return night(root / "n1", range(0, 6)), night(root / "n2", range(3, 9)), night(root / "n3", range(7, 11))


def two_nights(env: dict[str, str], state: str, nights: tuple[Path, ...], *more: str) -> list[bytes]:
    return [newsclean(env, "ingest", str(n), "--keep-duplicates", "--state", state, *more).stdout.encode()
            for n in nights[:2]]


@pytest.fixture(scope="module")
def local_nights(s3, nights, tmp_path_factory) -> list[bytes]:
    """Two nights with a local Parquet state: what every state in S3 must give."""
    _, env = s3
    return two_nights(env, str(tmp_path_factory.mktemp("local") / "state") + "/", nights)


def objects(fs, prefix: str) -> dict[str, bytes]:
    fs.invalidate_cache()
    return {key: fs.cat_file(key) for key in fs.find(prefix)}


def state_cli(env: dict[str, str], monkeypatch, *args: str):  # noqa: ANN001, ANN201
    """``newsclean state ...`` in this process, with the server's environment."""
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    return CliRunner().invoke(main, ["state", *args], catch_exceptions=False)


def test_two_nights_with_an_s3_state_give_the_records_of_a_local_state_and_of_sqlite(s3, nights, local_nights,
                                                                                      tmp_path, monkeypatch):
    fs, env = s3
    url = f"s3://{BUCKET}/two-nights/"
    got = two_nights(env, url, nights)
    assert got == local_nights, "the same records, byte for byte, night after night"
    assert b'"duplicate_of":null' in got[1] and got[1].count(b'"duplicate_of":"') >= 3, "night 1 was remembered"
    assert two_nights(env, str(tmp_path / "s.db"), nights) == local_nights, "and a SQLite state's"
    names = {key.rsplit("/", 1)[-1] for key in objects(fs, f"{BUCKET}/two-nights")}
    assert "state.json" in names and "lock.json" not in names, "the lock is removed at the end"

    info = state_cli(env, monkeypatch, "info", url)
    assert info.exit_code == 0 and json.loads(info.stdout)["records"] == 9 and json.loads(info.stdout)["runs"] == 2
    check = state_cli(env, monkeypatch, "check", url)
    assert check.exit_code == 0 and "9 records" in check.stdout, check.output
    newest = json.loads(info.stdout)["newest"]
    pruned = state_cli(env, monkeypatch, "prune", url, "--before", newest)
    assert pruned.exit_code == 0 and "removed 6 records" in pruned.stdout, pruned.output
    assert state_cli(env, monkeypatch, "check", url).exit_code == 0
    assert json.loads(state_cli(env, monkeypatch, "info", url).stdout)["records"] == 3
    assert not any(key.endswith("lock.json") for key in objects(fs, f"{BUCKET}/two-nights"))


def test_a_second_run_is_refused_while_another_holds_the_lock(s3, nights, monkeypatch):
    from corpus import StateError, state_lock

    fs, env = s3
    url = f"s3://{BUCKET}/locked/"
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    with state_lock(url, 0, holder="nightone"):
        with pytest.raises(StateError, match="run nightone on .* holds"), state_lock(url, 0.3, announce=False):
            pass  # the store turns down the second conditional PUT: one holder only
        refused = newsclean(env, "ingest", str(nights[0]), "--state", url, "--lock-wait", "0", check=False)
        assert refused.returncode == 1, refused.stderr
        assert "in use by another newsclean run: run nightone on" in refused.stderr
        assert f"newsclean state unlock {url}" in refused.stderr
        assert not fs.exists(f"{BUCKET}/locked/state.json"), "the refused run wrote nothing"
    assert not fs.exists(f"{BUCKET}/locked/lock.json")
    newsclean(env, "ingest", str(nights[0]), "--state", url)  # once let go, the next run takes it


def test_a_commit_over_a_state_json_another_run_wrote_is_refused(s3, nights, monkeypatch):
    """A second guard under the lock: state.json is written only over the version the run read (If-Match)."""
    from corpus import ParquetState, StateError

    fs, env = s3
    url = f"s3://{BUCKET}/raced/"
    newsclean(env, "ingest", str(nights[0]), "--state", url)
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    slow, fast = ParquetState(url), ParquetState(url)
    fast.begin()
    fast.commit(9, "fast", "2026-01-01T00:00:00+00:00")
    after_fast = objects(fs, f"{BUCKET}/raced")
    slow.begin()
    slow.add_lines(10, fast.line_counts())
    with pytest.raises(StateError, match="changed by another run"):
        slow.commit(10, "slow", "2026-01-01T00:00:00+00:00")
    assert objects(fs, f"{BUCKET}/raced") == after_fast


def wait_for_lock(fs, prefix: str, proc: subprocess.Popen) -> None:  # noqa: ANN001
    end = time.monotonic() + 120
    while time.monotonic() < end and proc.poll() is None:
        fs.invalidate_cache()
        if fs.exists(f"{prefix}/lock.json"):
            return
        time.sleep(0.05)
    raise AssertionError(f"the run never took the lock: {proc.poll()} {proc.stderr.read() if proc.stderr else ''}")


def endless_run(env: dict[str, str], nights: tuple[Path, ...], url: str) -> subprocess.Popen:
    """A run that holds the lock and never ends by itself: its records on stdin never end."""
    return subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(nights[1]), "-", "--stdin-format", "jsonl",
                             "--state", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)


def test_a_failed_run_leaves_last_nights_state_intact_and_the_next_night_works(s3, nights, local_nights,
                                                                               monkeypatch):
    from corpus import ParquetState

    fs, env = s3
    url, prefix = f"s3://{BUCKET}/failing/", f"{BUCKET}/failing"
    assert newsclean(env, "ingest", str(nights[0]), "--keep-duplicates", "--state", url).stdout.encode() \
        == local_nights[0]
    last_night = objects(fs, prefix)

    proc = endless_run(env, nights, url)  # SIGTERM: the run unwinds, lets go of its lock, commits nothing
    wait_for_lock(fs, prefix, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert objects(fs, prefix) == last_night, "byte for byte, and no lock left"

    for name, value in env.items():  # a commit that fails half-way through writing its part
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    state = ParquetState(url)
    state.begin()
    for doc_id, path, sig, seen, run in ((r[1], r[2], _signature(r), r[3], 2) for r in state.stored_docs()):
        state.add(doc_id + "x", path, sig, seen, run)
    monkeypatch.setattr(state.place, "write_bands", _fail)
    with pytest.raises(OSError, match="the store went away"):
        state.commit(2, "half", "2026-01-02T00:00:00+00:00")
    assert objects(fs, prefix) == last_night, "the part written so far is removed; state.json untouched"

    proc = endless_run(env, nights, url)  # SIGKILL: nothing unwinds; the lock is left, naming its run
    wait_for_lock(fs, prefix, proc)
    proc.kill()
    proc.communicate(timeout=60)
    holder = json.loads(fs.cat_file(f"{prefix}/lock.json"))["run"]
    assert {k: v for k, v in objects(fs, prefix).items() if not k.endswith("lock.json")} == last_night
    refused = newsclean(env, "ingest", str(nights[1]), "--state", url, "--lock-wait", "0", check=False)
    assert refused.returncode == 1 and f"run {holder} on" in refused.stderr, refused.stderr
    unlocked = state_cli(env, monkeypatch, "unlock", url)
    assert unlocked.exit_code == 0 and f"run {holder} on" in unlocked.stdout, unlocked.output
    assert state_cli(env, monkeypatch, "unlock", url).stdout.strip().endswith("not locked")

    fs.pipe_file(f"{prefix}/data-00007/docs.parquet", b"the part of a run killed before its commit")
    second = newsclean(env, "ingest", str(nights[1]), "--keep-duplicates", "--state", url).stdout.encode()
    assert second == local_nights[1], "the next night works, as if nothing had happened"
    assert not fs.exists(f"{prefix}/data-00007"), "a part no state.json lists is removed by the next commit"


def _signature(row: tuple):  # noqa: ANN202 - a stored record's Signature
    import numpy as np

    from corpus.dedup.minhash import Signature

    return Signature(np.frombuffer(row[7], np.uint32), row[5], row[6])


def _fail(*_: object) -> None:
    raise OSError("the store went away")


def test_what_a_state_in_object_storage_does_not_do_is_refused_by_name(s3, nights, tmp_path, monkeypatch):
    _, env = s3
    bad = newsclean(env, "ingest", str(nights[0]), "--state", "https://example.invalid/state/", check=False)
    assert bad.returncode == 2 and "s3://bucket/state/" in bad.stderr
    (tmp_path / "s.db").write_bytes(b"")
    exported = state_cli(env, monkeypatch, "export", str(tmp_path / "s.db"), f"s3://{BUCKET}/x/")
    assert exported.exit_code == 2 and "export takes local paths" in exported.output
    assert not (tmp_path / "s3:").exists()
    local = state_cli(env, monkeypatch, "unlock", str(tmp_path / "s.db"))
    assert local.exit_code == 1 and "nothing to unlock" in local.output



def test_on_dask_the_workers_read_the_state_in_s3_and_the_records_are_the_local_ones(s3, cluster, nights,
                                                                                      local_nights):
    fs, env = s3
    url = f"s3://{BUCKET}/on-dask/"
    assert two_nights(env, url, nights, "--executor", "dask", "--scheduler", cluster) == local_nights
    assert "lock.json" not in {key.rsplit("/", 1)[-1] for key in objects(fs, f"{BUCKET}/on-dask")}


def test_a_state_pruned_in_part_opens_again(tmp_path):
    """A part of which prune kept some records is written as data-NNNNN.pN, and a state listing one opens
    (it was refused as damaged, which made a partly pruned Parquet state unusable)."""
    import numpy as np

    from corpus import ParquetState
    from corpus.dedup.minhash import MinHashParams, Signature

    rng = np.random.default_rng(1)
    state = ParquetState(str(tmp_path / "state") + "/", MinHashParams())
    state.begin()
    for i, seen in enumerate(["2026-01-01T00:00:00+00:00", "2026-01-03T00:00:00+00:00"]):
        state.add(f"{i:032x}", f"/in/{i}.html", Signature(rng.integers(0, 2**32, 128, dtype=np.uint32), 90, 99), seen,
                  1)
    state.commit(1, "night", "2026-01-03T00:00:00+00:00")
    assert state.prune("2026-01-02T00:00:00+00:00") == 1
    again = ParquetState(str(tmp_path / "state"))
    again.verify()
    assert [r["data"] for r in again.meta["runs"]] == ["data-00000.p1"]
    assert [doc[1] for doc in again.stored_docs()] == [f"{1:032x}"]
