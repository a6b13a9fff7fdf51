"""The Dask executor gives the local executor's records, byte for byte (one LocalCluster per test process: conftest)."""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.conftest import EXAMPLES, ROOT

BENCH = ROOT.parent / "shared" / "bench" / "extraction"


def build_corpus(folder: Path, stories: int = 12, seed: int = 5) -> Path:
    """Real news texts, each with 1 or 2 syndicated copies (edited, with chrome), plus the examples."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from syndicate import MIN_STORY_WORDS, SITES, headline, load_stories, syndicate, write_doc
    finally:
        sys.path.pop(0)
    rng = random.Random(seed)
    picked = [s for s in load_stories(BENCH) if s.words >= MIN_STORY_WORDS][:stories]
    filler = [p for s in picked for p in s.paragraphs if 25 <= len(p.split()) <= 80]
    titles = [headline(s) for s in picked]
    for n, story in enumerate(picked):
        sites = rng.sample(SITES, 2 + n % 2)
        write_doc(folder, sites[0], f"s{n:02d}-0", headline(story), story.paragraphs, n % 2 == 0, rng,
                  rng.sample(titles, 4), n)
        for k, site in enumerate(sites[1:], 1):
            paragraphs, title, _ = syndicate(story, filler, rng)
            write_doc(folder, site, f"s{n:02d}-{k}", title, paragraphs, (n + k) % 2 == 0, rng,
                      rng.sample(titles, 4), n * 10 + k)
    shutil.copytree(EXAMPLES, folder / "examples")
    (folder / "examples" / "broken.html").write_bytes(b"\x00\x01binary\xff" * 20)
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    if not (BENCH / "ground-truth.json").is_file():
        pytest.skip("the shared benchmark pages are not here")
    return build_corpus(tmp_path_factory.mktemp("dask") / "crawl")


def ingest(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, ["ingest", *args], catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.fixture(scope="module")
def local_output(corpus) -> bytes:
    code, out, err = ingest(str(corpus), "--workers", "1", "-q", "--keep-duplicates")
    assert code == 0, err
    return out


def test_dask_executor_gives_the_local_records_byte_for_byte(corpus, scheduler, local_output):
    code, out, err = ingest(str(corpus), "--executor", "dask", "--scheduler", scheduler, "-q", "--keep-duplicates")
    assert code == 0, err
    assert out == local_output
    assert b'"duplicate_of":"' in out  # the corpus has near-duplicates, and both runs found the same ones


def test_clean_and_stream_on_dask_match_local(corpus, scheduler):
    for command in (["ingest", "--stream"], ["clean"]):
        results = [CliRunner().invoke(main, [*command, str(corpus), "-q", *extra], catch_exceptions=False)
                   for extra in (["--workers", "1"], ["--executor", "dask", "--scheduler", scheduler])]
        assert all(r.exit_code == 0 for r in results)
        assert results[0].stdout_bytes == results[1].stdout_bytes


def test_without_dask_the_executor_is_a_usage_error(corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, out, err = ingest(str(corpus), "--executor", "dask")
    assert code == 2
    assert "pip install -e '.[dask]' in the checkout" in err
    assert out == b""


def test_pairs_walked_a_sorted_partition_at_a_time_give_the_same_records(corpus, scheduler, local_output):
    """Small partitions and no pairs taken at once: the confirmed pairs are sorted on the cluster and walked a
    partition at a time, through the local rule."""
    from corpus.inputs.files import common_base
    from corpus.outputs.write import dumps
    from corpus.run.dask_executor import DaskExecutor
    from corpus.run.pipeline import Ingest, IngestOptions

    executor = DaskExecutor(scheduler, partition=7, client_edges=0)
    try:
        run = Ingest(IngestOptions(keep_duplicates=True, executor="dask"), executor=executor)
        out = "".join(dumps(record) + "\n" for record in run.records([str(corpus)], common_base([str(corpus)])))
    finally:
        executor.close()
    assert out.encode() == local_output
    assert run.stats.duplicates > 5


def test_pairs_in_order_come_sorted_by_the_later_document_across_partitions(scheduler):
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client

    from corpus.dedup.cluster_graph import in_order

    pairs = pd.DataFrame({"a": [5, 0, 1, 2, 10, 11, 3, 0], "b": [12, 12, 3, 3, 13, 12, 7, 1]})
    with Client(scheduler):
        for at_once in (100, 0):
            frames = list(in_order(dd.from_pandas(pairs, npartitions=3), at_once))
            seen = [(b, a) for f in frames for b, a in zip(f.b, f.a, strict=True)]
            assert seen == sorted(zip(pairs.b, pairs.a, strict=True))
            assert len({b for f in frames for b in set(f.b)}) == len(set(pairs.b))  # each b in one frame


def test_partitioned_and_parquet_outputs_from_dask(corpus, scheduler, local_output, tmp_path):
    import gzip

    pq = pytest.importorskip("pyarrow.parquet")
    from corpus.outputs.sinks import record_from_row

    for target, fmt in ((f"{tmp_path}/parts/", "jsonl"), (f"{tmp_path}/out.parquet", "parquet")):
        code, _, err = ingest(str(corpus), "--executor", "dask", "--scheduler", scheduler, "-q", "--keep-duplicates",
                              "-o", target, "--format", fmt)
        assert code == 0, err
    assert gzip.decompress((tmp_path / "parts" / "part-00000.jsonl.gz").read_bytes()) == local_output
    assert (tmp_path / "parts" / "_SUCCESS").exists()
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [record_from_row(r) for r in rows] == [json.loads(line) for line in local_output.splitlines()]


@pytest.fixture(scope="module")
def nights(corpus, tmp_path_factory) -> tuple[Path, Path]:
    """Night 1: six stories; night 2: six others, a late copy of a night-1 story and a re-delivered file."""
    root = tmp_path_factory.mktemp("nights")
    for path in sorted(corpus.rglob("s*-*.*")):
        story, copy = int(path.stem[1:3]), path.stem.endswith("-1")
        night = "2" if story >= 6 or (story == 1 and copy) else "1"
        target = root / night / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    first = next(p for p in sorted(corpus.rglob("s00-0.*")))
    shutil.copy(first, root / "2" / f"again{first.suffix}")
    return root / "1", root / "2"


def _nightly(nights: tuple[Path, Path], state: str, *executor: str) -> list[bytes]:
    outputs = []
    for night in nights:
        code, out, err = ingest(str(night), "-q", "--keep-duplicates", "--state", state, *executor)
        assert code == 0, err
        outputs.append(out)
    return outputs


@pytest.fixture(scope="module")
def local_nights(nights, tmp_path_factory) -> tuple[list[bytes], Path]:
    """The two nights run locally against a SQLite state: their records, and the state (computed once, read by
    the tests after)."""
    state = tmp_path_factory.mktemp("local-nights") / "local.db"
    return _nightly(nights, str(state), "--workers", "1"), state


def test_nightly_state_on_dask_gives_the_local_records(nights, local_nights, scheduler, tmp_path):
    local = local_nights[0]
    assert b'"duplicate_of"' in local[1] and local[1].count(b'"duplicate_of":"') >= 2  # the copy and the re-delivery
    dask = ("--executor", "dask", "--scheduler", scheduler)
    assert _nightly(nights, str(tmp_path / "dask.db"), *dask) == local
    pytest.importorskip("pyarrow")
    assert _nightly(nights, f"{tmp_path}/dask-state/", *dask) == local
    assert _nightly(nights, f"{tmp_path}/local-state/", "--workers", "1") == local
    assert _nightly(nights, f"{tmp_path}/dask-state/", *dask) == local  # a rerun of both nights: the same bytes


def test_state_export_import_round_trip(local_nights, tmp_path):
    pytest.importorskip("pyarrow")
    from corpus.dedup.parquet_state import ParquetState
    from corpus.dedup.state import StateIndex, stored_params

    state = shutil.copy(local_nights[1], tmp_path / "a.db")  # the two local nights' state, left as it was
    runner = CliRunner()
    assert runner.invoke(main, ["state", "export", str(state), str(tmp_path / "pq")]).exit_code == 0
    assert runner.invoke(main, ["state", "import", str(tmp_path / "pq"), str(tmp_path / "b.db")]).exit_code == 0
    a, b = (StateIndex(str(tmp_path / name), stored_params(str(state))) for name in ("a.db", "b.db"))
    parquet = ParquetState(str(tmp_path / "pq"))
    try:
        rows = [sorted(r[1:] for r in s.stored_docs()) for s in (a, b, parquet)]
        assert rows[0] == rows[1] == rows[2] and len(rows[0]) > 10
        assert a.stored_runs() == b.stored_runs() == parquet.stored_runs() and len(a.stored_runs()) == 2
        keys = [sorted(k for k, _ in s.stored_bands()) for s in (a, b, parquet)]
        assert keys[0] == keys[1] == keys[2]
    finally:
        a.close()
        b.close()


def test_the_corpus_level_rules_then_the_final_groups_as_the_local_run(scheduler, tmp_path):
    """Three hundred documents of the benchmark corpus: enough chrome the corpus-level rules take out to change
    which copy a group keeps once the texts are signed again (the local run's second grouping); the Dask run
    signs again and groups again the same way."""
    if not (BENCH / "ground-truth.json").is_file():
        pytest.skip("the shared benchmark pages are not here")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from syndicate import build_bench_corpus
    finally:
        sys.path.pop(0)
    build_bench_corpus(tmp_path / "bench", BENCH, 300)
    code, local, err = ingest(str(tmp_path / "bench"), "--workers", "1", "-q")
    assert code == 0, err
    code, dask, err = ingest(str(tmp_path / "bench"), "--executor", "dask", "--scheduler", scheduler, "-q")
    assert code == 0, err
    assert dask == local


def test_a_title_the_corpus_shows_to_be_chrome_goes_on_dask_as_locally(scheduler, tmp_path):
    """Stories whose only shared line is their "title" (a live-page banner taken for a headline): the
    corpus-level rule takes the title and leaves the text as it was, and the cluster keeps that change too."""
    topics = ["river", "council", "budget", "school", "harbour", "festival", "museum", "railway", "storm"]
    (tmp_path / "in").mkdir()
    for i in range(6):
        body = [f"The {topics[(i + p) % 9]} and the {topics[(i + 2 * p + 1) % 9]} met on day {i}{p} while the "
                f"{topics[(3 * i + p) % 9]} waited, said officials from the {topics[(i * p + 4) % 9]} office."
                for p in range(4)]
        (tmp_path / "in" / f"story{i}.txt").write_text("Live Updates From Around The Region Today\n\n"
                                                       + "\n\n".join(body) + "\n", encoding="utf-8")
    code, local, err = ingest(str(tmp_path / "in"), "--workers", "1", "-q")
    assert code == 0, err
    assert all(json.loads(line)["title"] is None for line in local.splitlines())
    code, dask, err = ingest(str(tmp_path / "in"), "--executor", "dask", "--scheduler", scheduler, "-q")
    assert code == 0, err
    assert dask == local


def test_timeout_is_enforced_per_document_on_dask(scheduler, tmp_path):
    """A worker runs its partitions in a child process whose main thread takes the local pool's timer."""
    from tests.test_inputs import build_warc

    build_warc(tmp_path / "in" / "cc.warc.gz")
    found = []
    for executor in (["--workers", "1"], ["--executor", "dask", "--scheduler", scheduler]):
        rejects = tmp_path / f"rejects-{len(found)}.jsonl"
        code, out, err = ingest(str(tmp_path / "in"), "--timeout", "0.001", "--rejects", str(rejects), "-q", *executor)
        assert code == 0 and out == b"", err
        found.append(rejects.read_bytes())
    assert found[0] == found[1] and found[0].count(b'"reason":"timeout"') == 3


def test_stories_sharing_only_a_wire_block_stay_apart_on_dask_as_locally(scheduler, tmp_path):
    """The cluster confirms pairs with the lines' tags too (corpus.dedup.glue): six stories that share only
    an appended agency block are six stories there as well, and a real copy is still found."""
    from tests.test_hostile_round3 import WIRE_BLOCK, WIRE_BODIES

    rows = [{"url": f"https://wire.example/{i}", "title": f"Story {i}", "text": body + "\n\n" + WIRE_BLOCK}
            for i, body in enumerate(WIRE_BODIES)]
    rows.append({**rows[0], "url": "https://copy.example/0"})
    feed = tmp_path / "wire.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, local, err = ingest(str(feed), "--workers", "1", "-q", "--keep-duplicates")
    assert code == 0, err
    code, remote, err = ingest(str(feed), "--executor", "dask", "--scheduler", scheduler, "-q", "--keep-duplicates")
    assert code == 0, err
    assert remote == local
    assert [r["url"] for r in map(json.loads, remote.decode().splitlines()) if r.get("duplicate_of")] == [
        "https://copy.example/0"]
