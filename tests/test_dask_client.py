"""What the Dask client keeps and sends per document stays small, and the records stay the local run's:
byte-identical copies (a run id that is not the document's own) and rejects inside a container (positions that
do not follow each other) go through the compact routing as the local run routes them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main

WORDS = "council harbour budget minister river school vote energy price police court market hospital election storm"
WORDS += " bridge museum festival contract railway union farmers water shortage inquiry report"
WORDS = WORDS.split()


def story(rng: random.Random, paragraphs: int = 5) -> str:
    return "\n".join(" ".join(s[0].upper() + s[1:] + "." for s in (" ".join(rng.choices(WORDS, k=rng.randint(10, 18)))
                                                                   for _ in range(3))) for _ in range(paragraphs))


@pytest.fixture(scope="module")
def feeds(tmp_path_factory) -> Path:
    rng = random.Random(11)
    root = tmp_path_factory.mktemp("client") / "in"
    root.mkdir()
    lines = []
    for n in range(40):
        lines.append(json.dumps({"id": f"a{n}", "url": f"https://site{n % 3}.example/{n}", "text": story(rng)}))
        if n % 7 == 3:
            lines.append(lines[-1])  # the same bytes again: a second copy gets an id of its own
        if n % 11 == 5:
            lines.append("{not json")  # a reject among the documents
    (root / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for n in range(6):
        text = story(rng)
        (root / f"page{n}.txt").write_text(text, encoding="utf-8")
        if n % 2:
            (root / f"page{n}-again.txt").write_text(text, encoding="utf-8")
    return root


def run(*args: str) -> bytes:
    result = CliRunner().invoke(main, [*args, "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def test_copies_and_rejects_in_a_container_give_the_local_records(feeds, scheduler):
    local = run("ingest", str(feeds), "--workers", "1", "--keep-duplicates")
    ids = [json.loads(line)["id"] for line in local.splitlines()]
    assert len(ids) == len(set(ids)) >= 50, "every copy is a record of its own, with an id of its own"
    assert local.count(b'"duplicate_of":"') >= 9
    dask = run("ingest", str(feeds), "--executor", "dask", "--scheduler", scheduler, "--keep-duplicates")
    assert dask == local


def test_the_compact_positions_a_worker_gets():
    from array import array

    import numpy as np

    from corpus.run.dask_dedup import select
    from corpus.run.dask_write import _compact

    assert _compact(array("i", [3, 4, 5])) == range(3, 6)
    assert _compact(array("i")) == range(0)
    gaps = _compact(array("i", [0, 2, 3]))
    assert isinstance(gaps, np.ndarray) and gaps.tolist() == [0, 2, 3]

    class Done:
        def __init__(self, doc_id: str) -> None:
            self.id = doc_id

    results = [Done(f"d{n}") for n in range(4)]
    chosen = select(results, 10, gaps, {2: "renamed"})
    assert [(i, doc_id, done.id) for i, doc_id, done in chosen] == [(10, "d0", "d0"), (11, "renamed", "d2"),
                                                                     (12, "d3", "d3")]


def test_dedup_on_dask_gives_the_local_dedup_records(feeds, scheduler, tmp_path):
    """`newsclean clean | newsclean dedup --executor dask`: the workers sign the records and keep them; the records
    are the local dedup's (and ingest's), with copies, a malformed line, a partitioned output and a state."""
    cleaned = tmp_path / "cleaned.jsonl"
    cleaned.write_bytes(run("clean", str(feeds), "--workers", "1") + b'{"text": "no provenance"}\n')
    local = run("dedup", str(cleaned), "--keep-duplicates")
    assert local == run("ingest", str(feeds), "--workers", "1", "--keep-duplicates")
    on_dask = ("--executor", "dask", "--scheduler", scheduler)
    assert run("dedup", str(cleaned), "--keep-duplicates", *on_dask) == local
    run("dedup", str(cleaned), *on_dask, "-o", f"{tmp_path}/parts/")
    parts = b"".join(p.read_bytes() for p in sorted((tmp_path / "parts").glob("part-*.jsonl.gz")))
    import gzip

    assert gzip.decompress(parts) == run("dedup", str(cleaned))
    for name, executor in (("local", ()), ("dask", on_dask)):
        result = CliRunner().invoke(main, ["dedup", str(cleaned), "--state", str(tmp_path / f"{name}.db"),
                                           "--rejects", str(tmp_path / f"{name}.rejects"), *executor],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        (tmp_path / f"{name}.out").write_bytes(result.stdout_bytes)
    assert (tmp_path / "local.out").read_bytes() == (tmp_path / "dask.out").read_bytes()
    assert (tmp_path / "local.rejects").read_text() == (tmp_path / "dask.rejects").read_text() != ""
