"""Lookups per second against a --state index of many stored signatures.

Fills a state with N synthetic signatures (uniform random 32-bit values), then times
`StateIndex.lookup` + confirmation, one document's lookup at a time inside a write transaction (as a
night's run looks up, between `begin` and its commit), for queries that match nothing
and for near-copies of stored records (a fifth of the values changed, about Jaccard 0.8). A run's
first lookups (TAGS_AFTER) go through SQL alone; the next one reads the band tags into memory: both
are timed apart, before the rounds. Prints the median of three rounds, per second of wall-clock time
and per second of the process's CPU time (the machine's other work aside); then a night: the first
20,000 lookups of a state just opened (half of each kind), the tags' read included. With ``--against
CHECKOUT`` (BENCH_STATE_AGAINST), that checkout's ``TagIndex.lookup`` is timed in the same rounds, in turns
with this one's, over the same tags and connection: a ratio that the machine's other work touches less.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus.dedup.deduplicator import Deduplicator  # noqa: E402
from corpus.dedup.minhash import MinHashParams, Signature  # noqa: E402
from corpus.dedup.state import TAGS_AFTER, StateIndex  # noqa: E402
from corpus.dedup.state_layout import add_records, entry_keys  # noqa: E402


def fill(index: StateIndex, count: int, params: MinHashParams, rng: np.random.Generator) -> np.ndarray:
    """Load ``count`` records in batches of 20,000, one transaction each, as 50 nights would add them
    (``add_records``, the write path of ``StateIndex.add`` without its per-record statements); returns a
    sample of them."""
    db = index._db
    sample = []
    batch = 20_000
    for start in range(0, count, batch):
        values = rng.integers(0, 2**32, size=(min(batch, count - start), params.num_perm), dtype=np.uint32)
        db.execute("BEGIN")
        add_records(db, params, [(start + i + 1, f"{start + i:032x}", f"/corpus/{start + i}.html",
                                  "2026-01-01T00:00:00+00:00", 400, 450, row.tobytes(), 1)
                                 for i, row in enumerate(values)])
        db.execute("COMMIT")
        sample.append(values[:50])
    return np.concatenate(sample)


def time_lookups(index: StateIndex, queries: list[Signature], dedup: Deduplicator,
                 lookup: Callable[[Signature], list] | None = None) -> tuple[float, float, int]:
    """(lookups per second of wall-clock time, per second of this process's CPU time, matches confirmed);
    ``lookup``: another than ``index.lookup``."""
    lookup = lookup or index.lookup
    start, cpu = time.perf_counter(), time.process_time()
    confirmed = 0
    for sig in queries:
        confirmed += sum(1 for rec in lookup(sig) if dedup.is_match(sig, rec.signature))
    return len(queries) / (time.perf_counter() - start), len(queries) / (time.process_time() - cpu), confirmed


def lookup_of(checkout: Path, index: StateIndex) -> Callable[[Signature], list]:
    """``index.lookup`` with another checkout's ``TagIndex.lookup`` (corpus/dedup/state_tags.py) over the same
    tags in memory and the same connection: two versions of the lookup timed against one state, in turns."""
    spec = importlib.util.spec_from_file_location("other_state_tags", checkout / "corpus" / "dedup" / "state_tags.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    other = module.TagIndex.lookup

    def lookup(sig: Signature) -> list:
        keys = entry_keys(sig.hashvalues, index.params)
        tags = index._tag_index()
        assert tags is not None, "compared once the tags are read"
        return other(tags, index._db, keys, sig.hashvalues, index.params)

    return lookup


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=int(os.environ.get("BENCH_STATE_RECORDS", 1_000_000)))
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--against", type=Path, default=os.environ.get("BENCH_STATE_AGAINST"),
                    help="another checkout (BENCH_STATE_AGAINST): its lookup timed in the same rounds, in turns "
                         "with this one's, and the ratio printed")
    args = ap.parse_args()
    params = MinHashParams()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory(prefix="newsclean-state-bench-") as tmp:
        path = str(Path(tmp) / "state.db")
        index = StateIndex(path, params)
        started = time.perf_counter()
        stored = fill(index, args.records, params, rng)
        fill_seconds = time.perf_counter() - started
        index._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the log written into the file, then measured
        size = sum(os.path.getsize(p) for p in Path(tmp).iterdir())
        dedup = Deduplicator(params)
        misses = [Signature(rng.integers(0, 2**32, params.num_perm, dtype=np.uint32), 400, 450)
                  for _ in range(args.queries)]
        copies = []
        for i in range(args.queries):
            values = stored[i % len(stored)].copy()
            changed = rng.choice(params.num_perm, params.num_perm // 5, replace=False)
            values[changed] = rng.integers(0, 2**32, len(changed), dtype=np.uint32)
            copies.append(Signature(values, 400, 450))
        mixed = [q for pair in zip(misses, copies, strict=True) for q in pair]
        index.begin()  # as a night looks up: inside its write transaction (rolled back by close)
        first = time_lookups(index, mixed[:TAGS_AFTER], dedup)
        started, cpu = time.perf_counter(), time.process_time()
        index.lookup(mixed[TAGS_AFTER])
        read_seconds, read_cpu = time.perf_counter() - started, time.process_time() - cpu
        tag_bytes = index._tags.nbytes if index._tags is not None else 0
        rounds: dict[str, list[tuple[float, float]]] = {"no match": [], "near-copy": []}
        against: dict[str, list[tuple[float, float]]] = {"no match": [], "near-copy": []}
        other = lookup_of(args.against, index) if args.against else None
        found = 0
        for turn in range(3):
            for timed, lookup in [(rounds, None), (against, other)][:: 1 if turn % 2 == 0 else -1]:
                if timed is against and other is None:
                    continue
                wall, cpu, _ = time_lookups(index, misses, dedup, lookup)
                timed["no match"].append((wall, cpu))
                wall, cpu, confirmed = time_lookups(index, copies, dedup, lookup)
                timed["near-copy"].append((wall, cpu))
                if timed is rounds:
                    found = confirmed
        index.close()
        night = StateIndex(path, params)
        night.begin()
        night_rates = time_lookups(night, [mixed[i % len(mixed)] for i in range(20_000)], dedup)
        night.close()
    print(f"state index: {args.records:,} stored signatures ({params.num_perm} permutations, "
          f"{params.bands} band keys each), {size / 2**20:,.0f} MiB on disk "
          f"({size / args.records:,.0f} bytes a record), filled in {fill_seconds:.0f} s")
    print(f"  a run's first {TAGS_AFTER} lookups, through SQL alone: {first[0]:,.0f} a second "
          f"(per CPU second: {first[1]:,.0f}); then the band tags read into memory in {read_seconds:.2f} s "
          f"({read_cpu:.2f} s of CPU), "
          f"{tag_bytes / 2**20:,.0f} MiB ({tag_bytes / args.records:,.0f} bytes a record)")
    for kind, rates in rounds.items():  # CPU time as well: on a shared machine, wall-clock time counts the others
        wall, cpu = (statistics.median(r[i] for r in rates) for i in (0, 1))
        print(f"  lookups per second, {kind:9s} (median of 3 x {args.queries}): {wall:,.0f} "
              f"(per CPU second: {cpu:,.0f})")
    print(f"  near-copies confirmed: {found} of {args.queries}")
    for kind, rates in against.items():
        if rates:
            wall, cpu = (statistics.median(r[i] for r in rates) for i in (0, 1))
            mine = [statistics.median(r[i] for r in rounds[kind]) for i in (0, 1)]
            print(f"  {args.against}'s lookup, {kind:9s} (the same rounds, in turns): {wall:,.0f} (per CPU second: "
                  f"{cpu:,.0f}); this one's ratio {mine[0] / wall:.2f} ({mine[1] / cpu:.2f} per CPU second)")
    print(f"  a night: the first 20,000 lookups of the state just opened, the tags' read included: "
          f"{20_000 / night_rates[0]:.2f} s, {night_rates[0]:,.0f} a second (per CPU second: {night_rates[1]:,.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
