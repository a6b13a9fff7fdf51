"""Documents go through the stages in batches (``corpus.run.process.process_batch``): the same records as one
at a time, each document under its own time limit over all its stages, a failing one a reject while the
others go on, and a bounded input in hand at any moment (``in_batches``)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from corpus.dedup.minhash import MinHashParams
from corpus.document import Reject, Source
from corpus.inputs.files import RawInput
from corpus.run import process
from corpus.run.options import IngestOptions
from corpus.run.process import BATCH_BYTES, BATCH_DOCUMENTS, Processed, in_batches, process_batch, process_safely
from tests.conftest import EXAMPLES, SEEDS


def raw_of(path: Path) -> RawInput:
    kind = "html" if path.suffix == ".html" else "text"
    return RawInput(path.name, Source(path.name, "", None, None, kind), path.read_bytes(), kind)


def inputs() -> list[RawInput]:
    """Plain text and pages, in several languages: the bundled examples and the seeds."""
    return [raw_of(p) for p in sorted(EXAMPLES.rglob("*")) + sorted(SEEDS.glob("*")) if p.is_file()]


def named(name: str, text: str) -> RawInput:
    return RawInput(name, Source(name, "", None, None, "text"), text.encode(), "text")


STORY = ("The council voted on Tuesday to repair the old bridge before the winter floods, after a year of "
         "closures that cut the town in two. ")


def test_a_batch_gives_what_each_document_alone_gives():
    process.warm_up()
    raws = inputs()
    assert len(raws) >= 8 and {raw.kind for raw in raws} == {"html", "text"}
    together = process_batch(raws, MinHashParams(), 60)
    alone = [process_safely(raw, MinHashParams(), 60) for raw in raws]
    assert all(isinstance(result, Processed) for result in together + alone)
    assert [r.spool for r in together] == [r.spool for r in alone]
    assert [r.lang for r in together] == [r.lang for r in alone]
    assert len({r.lang for r in together}) >= 2
    for mine, its in zip(together, alone, strict=True):
        assert (mine.signature is None) == (its.signature is None)
        if mine.signature is not None:
            assert np.array_equal(mine.signature.hashvalues, its.signature.hashvalues)
        assert np.array_equal(mine.line_keys, its.line_keys) and mine.story_key == its.story_key


def test_a_document_that_fails_is_a_reject_and_the_others_go_on(monkeypatch):
    process.warm_up()
    extracted, cleaned, *rest = process.STAGES

    def cleaned_unless_sabotaged(doc, *args):  # noqa: ANN001, ANN202
        if "sabotage" in doc.text:
            raise ValueError("a parser's bug")
        return cleaned(doc, *args)

    monkeypatch.setattr(process, "STAGES", (extracted, cleaned_unless_sabotaged, *rest))
    raws = [named("a.txt", STORY * 3), named("bad.txt", STORY + "sabotage " + STORY), named("c.txt", STORY * 4)]
    results = process_batch(raws, MinHashParams(), 60)
    assert [type(r) for r in results] == [Processed, Reject, Processed]
    assert (results[1].path, results[1].reason) == ("bad.txt", "error") and "parser's bug" in results[1].message
    assert [r.path for r in results] == ["a.txt", "bad.txt", "c.txt"]


def test_each_document_has_its_own_time_limit_over_all_its_stages(monkeypatch):
    """Half the limit in each of two stages is over it; half in one stage is not, and does not count against
    the documents after it."""
    process.warm_up()
    naps = {"twice.txt": 2, "once.txt": 1}
    stages = list(process.STAGES)

    def napping(stage, number):  # noqa: ANN001, ANN202
        def run(value, *args):  # noqa: ANN001, ANN202
            if naps.get(value.source.location, 0) > number:
                time.sleep(0.6)
            return stage(value, *args)
        return run

    monkeypatch.setattr(process, "STAGES", (stages[0], napping(stages[1], 0), napping(stages[2], 1), *stages[3:]))
    raws = [named("once.txt", STORY * 3), named("twice.txt", STORY * 3), named("after.txt", STORY * 3)]
    results = process_batch(raws, MinHashParams(), 1.0)
    assert isinstance(results[0], Processed) and isinstance(results[2], Processed)
    assert isinstance(results[1], Reject) and results[1].reason == "timeout"
    assert "--timeout 1 s" in results[1].message


def test_batches_are_bounded_and_read_no_further_than_they_need(monkeypatch):
    """At most BATCH_DOCUMENTS documents and BATCH_BYTES of input at once (a larger one alone), rejects in
    their places, and a batch is processed before more input is read."""
    batches: list[list[str]] = []
    pulled: list[str] = []

    def fake_batch(raws, *args):  # noqa: ANN001, ANN202
        batches.append([raw.id for raw in raws])
        assert len(pulled) <= sum(map(len, batches)) + len(rejects) + 1  # read at most one past the batch
        return [f"done {raw.id}" for raw in raws]

    monkeypatch.setattr(process, "process_batch", fake_batch)
    sizes = [1000] * 40 + [BATCH_BYTES + 1] + [BATCH_BYTES // 3] * 5 + [10] * 3
    rejects = {5: Reject("r5", "unreadable", "gone", "r5"), 44: Reject("r44", "too-large", "big", "r44")}
    options = IngestOptions()

    def items():  # noqa: ANN202
        for i, size in enumerate(sizes):
            item = rejects.get(i) or RawInput(f"d{i}", Source(f"d{i}", "", None, None, "text"), b"x" * size, "text")
            pulled.append(f"d{i}")
            yield item, options

    out = list(in_batches(items()))
    assert out == [rejects.get(i, f"done d{i}") for i in range(len(sizes))]
    size_of = {f"d{i}": size for i, size in enumerate(sizes)}
    for batch in batches:
        assert len(batch) <= BATCH_DOCUMENTS
        assert len(batch) == 1 or sum(size_of[d] for d in batch) <= BATCH_BYTES
    assert ["d40"] in batches  # larger than a batch's bytes: alone
    assert max(map(len, batches)) == BATCH_DOCUMENTS  # the small ones do go together


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_in_batches_is_the_run_one_at_a_time(tmp_path, monkeypatch, workers):
    """The whole run, through the pool or in this process, with batches of 3 documents and of one."""
    from corpus import Ingest, IngestOptions, dumps

    paths = [str(p) for p in sorted(EXAMPLES.rglob("*")) + sorted(SEEDS.glob("*")) if p.is_file()]

    def records(batch: int) -> list[str]:
        monkeypatch.setattr(process, "BATCH_DOCUMENTS", batch)
        return [dumps(record) for record in Ingest(IngestOptions(workers=workers)).records(paths)]

    assert records(3) == records(1)


def test_a_stream_goes_one_document_at_a_time(monkeypatch):
    """With --stream a record is not to wait for inputs still to come (a pipe that stays open)."""
    pulled: list[int] = []

    def fake_batch(raws, *args):  # noqa: ANN001, ANN202
        assert len(raws) == 1 and pulled[-1] == int(raws[0].id)  # nothing was read past it
        return [raw.id for raw in raws]

    monkeypatch.setattr(process, "process_batch", fake_batch)
    options = IngestOptions(stream=True)

    def items():  # noqa: ANN202
        for i in range(5):
            pulled.append(i)
            yield RawInput(str(i), Source(str(i), "", None, None, "text"), b"x", "text"), options

    assert list(in_batches(items())) == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize("stream", [False, True])
def test_the_pool_sends_a_stream_one_document_a_message(monkeypatch, stream):
    """A batch run's worker gets JOBS_PER_MESSAGE documents a message (and takes them through the stages
    together); a stream's gets one, so that a record does not wait for inputs still to come."""
    from corpus.run import executors

    made: list[int] = []

    class Pool:
        def __init__(self, workers: int, warm_up: object, chunk: int) -> None:
            made.append(chunk)

        def map(self, fn, jobs, **how):  # noqa: ANN001, ANN003, ANN202
            return [how["many"](list(jobs))]

    monkeypatch.setattr(executors, "OrderedPool", Pool)
    monkeypatch.setattr(executors, "read_and_process_many", lambda jobs: [job for job, _ in jobs])
    jobs = [(named(f"{i}.txt", STORY), IngestOptions(stream=stream)) for i in range(3)]
    assert len(list(executors.LocalExecutor(2).map(iter(jobs)))) == 1
    assert made == [1 if stream else executors.JOBS_PER_MESSAGE]
    assert list(executors.LocalExecutor(2).map(iter([]))) == [] and len(made) == 1  # no input: no pool
