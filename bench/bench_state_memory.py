"""`make bench`: peak memory of a run against a large --state of each kind (issue 27).

Fills a SQLite state and a Parquet state with BENCH_STATE_MEMORY_RECORDS (300,000) synthetic records (random
signatures, which is what MinHash values look like, added as nights of 50,000), then runs
``newsclean ingest`` (one worker) on a feed of BENCH_STATE_MEMORY_DOCS (200) stories against each, and against an
empty state of the same kind, on each executor of BENCH_STATE_MEMORY_EXECUTORS (local,dask: the Dask run on a
LocalCluster of one worker), in a child process whose peak resident memory the operating system reports.
Prints the newsclean process's peak per kind and executor (for Dask, the client, which reads a SQLite state,
and beside it the largest worker, which matches the state against the run) and the bytes per stored record of
each (the difference between the two runs, divided by the records); the target is a peak under 500 MB at
300,000 records for each (on Dask, the client and the worker). BENCH_STATE_MEMORY_KINDS
(SQLite,Parquet) picks the kinds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from corpus.dedup.minhash import MinHashParams, Signature  # noqa: E402
from corpus.dedup.parquet_state import ParquetState  # noqa: E402
from corpus.dedup.state import StateIndex  # noqa: E402
from corpus.dedup.state_layout import add_records  # noqa: E402

RECORDS = int(os.environ.get("BENCH_STATE_MEMORY_RECORDS", 300_000))
DOCS = int(os.environ.get("BENCH_STATE_MEMORY_DOCS", 200))
NIGHT = 50_000
TARGET_MB = 500
WORDS = ["reservoir", "council", "bridge", "harvest", "minister", "budget", "river", "station", "league", "court",
         "strike", "market", "school", "hospital", "museum", "election", "railway", "harbour", "festival", "storm"]


def nights(count: int, params: MinHashParams):  # noqa: ANN201 - yields (start, signature values) per night
    rng = np.random.default_rng(3)
    for start in range(0, count, NIGHT):
        yield start, rng.integers(0, 2**32, size=(min(NIGHT, count - start), params.num_perm), dtype=np.uint32)


def fill_sqlite(path: str, count: int, params: MinHashParams) -> None:
    index = StateIndex(path, params)
    for run, (start, values) in enumerate(nights(count, params), 1):
        index._db.execute("BEGIN")
        add_records(index._db, params, [(start + i + 1, f"{start + i:032x}", f"/corpus/{start + i}.html",
                                         f"2026-01-{run:02d}T00:00:00+00:00", 400, 450, row.tobytes(), run)
                                        for i, row in enumerate(values)])
        index._db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                          (run, f"bulk-{run}", f"2026-01-{run:02d}T00:00:00+00:00", "bulk", len(values)))
        index._db.execute("COMMIT")
    index.close()


def fill_parquet(path: str, count: int, params: MinHashParams) -> None:
    state = ParquetState(path, params)
    if not count:
        state.commit()
    for run, (start, values) in enumerate(nights(count, params), 1):
        state.begin()
        seen = f"2026-01-{run:02d}T00:00:00+00:00"
        for i, row in enumerate(values):
            state.add(f"{start + i:032x}", f"/corpus/{start + i}.html", Signature(row, 400, 450), seen, run)
        state.commit(run, f"bulk-{run}", seen, "bulk")


def feed(path: Path, docs: int) -> None:
    rng = np.random.default_rng(5)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(docs):
            text = "\n\n".join(" ".join(rng.choice(WORDS, 14)).capitalize() + f" in story {i}." for _ in range(5))
            out.write(json.dumps({"url": f"https://news.example/{i}", "title": f"Story {i}", "text": text}) + "\n")


EXECUTORS = [e for e in os.environ.get("BENCH_STATE_MEMORY_EXECUTORS", "local,dask").split(",") if e]
KINDS = [k for k in os.environ.get("BENCH_STATE_MEMORY_KINDS", "SQLite,Parquet").split(",") if k]
RUN = """
import resource, runpy, sys
report, sys.argv = sys.argv[1], ["newsclean", *sys.argv[2:]]
try:
    runpy.run_module("cli", run_name="__main__")
finally:
    with open(report, "w") as out:
        out.write(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} "
                  f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
"""
"""newsclean in a process that writes its own peak (the client, the one that holds the state) and its children's
(the local pool's worker, or a LocalCluster's worker processes: the largest of them) to a file."""
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"
"""A small process that starts it: a process forked from this (large) one would carry this one's peak in its own
(Linux keeps a process's peak across exec)."""


def peak_mb(source: Path, state: str, out: Path, executor: str) -> tuple[float, float]:
    """(peak resident memory of the newsclean process, of the largest of its worker processes) for ``newsclean
    ingest SOURCE --state STATE`` on ``executor`` (one worker), in MB."""
    report = out.with_suffix(".peak")
    run = ["--workers", "1"] if executor == "local" else ["--executor", "dask", "--scheduler", "local",
                                                          "--workers", "1"]
    done = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-c", RUN, str(report), "ingest",
                           str(source), "--state", state, *run, "-o", str(out), "-q"],
                          cwd=HERE.parent, capture_output=True, text=True)
    if done.returncode or not report.exists():
        raise SystemExit(f"bench_state_memory: newsclean ingest --state {state} ({executor}) failed: {done.stderr}")
    own, children = (int(x) / 1024 for x in report.read_text().split())  # kB on Linux
    return own, children


def main() -> int:
    params = MinHashParams()
    ok = True
    print(f"\npeak memory of the newsclean process ({DOCS} documents, 1 worker) against a state of {RECORDS:,} records")
    with tempfile.TemporaryDirectory(prefix="newsclean-state-memory-") as tmp:
        source = Path(tmp, "feed.jsonl")
        feed(source, DOCS)
        for kind, fill, name in (("SQLite", fill_sqlite, "state.db"), ("Parquet", fill_parquet, "state/")):
            if kind not in KINDS:
                continue
            states = {}
            for count in (0, RECORDS):
                states[count] = str(Path(tmp, f"{count}-{name}"))
                fill(states[count], count, params)
            for executor in EXECUTORS:
                peaks = [peak_mb(source, states[count], Path(tmp, f"out-{kind}-{executor}-{count}.jsonl"), executor)
                         for count in (0, RECORDS)]
                per_record = (peaks[1][0] - peaks[0][0]) * 2**20 / max(RECORDS, 1)
                worker_per_record = (peaks[1][1] - peaks[0][1]) * 2**20 / max(RECORDS, 1)
                met = peaks[1][0] < TARGET_MB and (executor == "local" or peaks[1][1] < TARGET_MB)
                ok = ok and met
                print(f"  {kind:8s} {executor:5s} {peaks[1][0]:7.0f} MB peak ({peaks[0][0]:.0f} MB against an empty "
                      f"state): {per_record:,.0f} bytes a stored record; largest worker {peaks[1][1]:.0f} MB "
                      f"({peaks[0][1]:.0f} MB against an empty state): {worker_per_record:,.0f} bytes a stored record"
                      f"  (target < {TARGET_MB} MB{' for each' if executor == 'dask' else ''}: "
                      f"{'met' if met else 'NOT met'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
