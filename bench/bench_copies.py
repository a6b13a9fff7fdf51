"""`make bench`: one story delivered many times must cost in proportion to the copies (issue 27).

Runs the whole pipeline (one worker) over a feed of one story COPIES_SMALL (10,000) and COPIES_LARGE
(100,000) times, half of them byte-identical and half with a line of their own (near-identical), and
prints both times and their ratio: a group of N copies compared pairwise would take 100 times as long
for ten times the copies; the target is a ratio of at most 12.

BENCH_COPIES_EXECUTOR=dask runs the same on the Dask executor (a LocalCluster of one worker; run it with
BENCH_COPIES_SMALL=1000 BENCH_COPIES_LARGE=10000) and prints the candidate pairs the cluster proposed for each
feed (all pairs of N copies would be N squared over two).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from corpus import Ingest, IngestOptions  # noqa: E402
from corpus.outputs.write import dumps  # noqa: E402
from corpus.run.executors import make_executor  # noqa: E402

COPIES_SMALL = int(os.environ.get("BENCH_COPIES_SMALL", 10_000))
COPIES_LARGE = int(os.environ.get("BENCH_COPIES_LARGE", 100_000))
RATIO_TARGET = 12
EXECUTOR = os.environ.get("BENCH_COPIES_EXECUTOR", "local")
STORY = ("The regional water authority said on Monday that reservoir levels had fallen to their lowest point in "
         "thirty years after the driest summer on record.\n\nEngineers have started pumping water from two disused "
         "quarries into the main reservoir, a measure last used during the drought of 1995.\n\nHouseholds in the "
         "northern districts have been asked to cut their use by a fifth, and a ban on watering gardens with hoses "
         "will start next week.")


def feed(path: Path, copies: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(copies):
            text = STORY if i % 2 == 0 else f"{STORY}\n\nFiled by the news desk, copy {i}."
            out.write(json.dumps({"url": f"https://wire.example/{i}", "title": "Reservoirs at a low", "text": text})
                      + "\n")


class Pairs(logging.Handler):
    """The candidate pairs the Dask client reports (:func:`corpus.run.dask_pairs.candidate_pairs`), per grouping."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.counts.append(int(record.args[0]))  # type: ignore[index]


def seconds(path: Path) -> float:
    """The whole run's time (on Dask: from starting the LocalCluster to its last record)."""
    start = time.perf_counter()
    executor = make_executor(EXECUTOR, 1)
    try:
        run = Ingest(IngestOptions(workers=1, keep_duplicates=True, executor=EXECUTOR), executor=executor)
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for record in run.records([str(path)]):
                sink.write(dumps(record) + "\n")
    finally:
        executor.close()
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="newsclean-copies-") as tmp:
        times, proposed = {}, {}
        pairs = Pairs()
        logger = logging.getLogger("corpus.run.dask_pairs")
        logger.addHandler(pairs)
        logger.setLevel(logging.DEBUG)
        for copies in (COPIES_SMALL, COPIES_LARGE):
            path = Path(tmp) / f"copies-{copies}.jsonl"
            feed(path, copies)
            pairs.counts.clear()
            times[copies] = seconds(path)
            proposed[copies] = list(pairs.counts)
    ratio = times[COPIES_LARGE] / times[COPIES_SMALL]
    print(f"\none story many times (half byte-identical, half near-identical), 1 worker, {EXECUTOR} executor")
    for copies, took in times.items():
        counted = f"; candidate pairs {' then '.join(f'{n:,}' for n in proposed[copies])}" if proposed[copies] else ""
        print(f"  {copies:>9,} copies: {took:8.1f} s  ({copies / took:.0f} documents/s{counted})")
    ok = ratio <= RATIO_TARGET * COPIES_LARGE / COPIES_SMALL / 10
    print(f"  ratio {COPIES_LARGE:,} / {COPIES_SMALL:,}: {ratio:.2f}  (target <= {RATIO_TARGET}): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
