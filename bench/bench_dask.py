"""``make bench-dask``: the dask executor (2 workers, LocalCluster) beside the local one (2 processes).

The corpus: BENCH_DASK_DOCS (3,000) real-looking news documents from ``bench/syndicate.py`` (a
fifth of them syndicated copies). Throughput is documents per second, the median of
BENCH_ROUNDS (3) rounds of a whole batch ingest (dedup and repeated-line rule included). Peak
memory per Dask worker is each worker process's peak RSS (psutil, polled); beside it the peak
RSS of the local run's pool processes. Also printed: the shuffle rows and state bytes per document.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from syndicate import build_bench_corpus  # noqa: E402

from corpus import Ingest, IngestOptions  # noqa: E402
from corpus.inputs.files import common_base  # noqa: E402
from corpus.outputs.write import dumps  # noqa: E402
from corpus.run.executors import make_executor  # noqa: E402

DOCS = int(os.environ.get("BENCH_DASK_DOCS", "3000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = 2


class PeakRss:
    """Polls the RSS of this process's children (pool or Dask worker processes) and keeps each one's peak."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    self.peaks[child.pid] = max(self.peaks.get(child.pid, 0), child.memory_info().rss)
            time.sleep(0.1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def one_run(corpus: Path, executor_name: str, executor) -> tuple[float, int, str]:  # noqa: ANN001
    options = IngestOptions(workers=WORKERS, executor=executor_name)
    run = Ingest(options, executor=executor)
    start = time.perf_counter()
    out = [dumps(r) for r in run.records([str(corpus)], common_base([str(corpus)]))]
    elapsed = time.perf_counter() - start
    return run.stats.documents / elapsed, run.stats.documents, "\n".join(out)


def main() -> None:
    bench = ROOT.parent / "shared" / "bench" / "extraction"
    with tempfile.TemporaryDirectory(prefix="newsclean-bench-dask-") as tmp:
        corpus = Path(tmp) / "corpus"
        counts = build_bench_corpus(corpus, bench, DOCS)
        print(f"corpus: {DOCS} documents ({counts}), {WORKERS} workers, {ROUNDS} rounds, "
              f"{os.cpu_count()} cores")
        results: dict[str, list[float]] = {"local": [], "dask": []}
        peaks: dict[str, int] = {}
        outputs: dict[str, str] = {}
        for name in ("local", "dask"):
            executor = make_executor(name, WORKERS, scheduler="local")
            try:
                with PeakRss() as rss:
                    for _ in range(ROUNDS):
                        rate, docs, outputs[name] = one_run(corpus, name, executor)
                        results[name].append(rate)
                peaks[name] = max((v for v in rss.peaks.values()), default=0)
            finally:
                executor.close()
        for name, rates in results.items():
            print(f"{name:6s} executor: {statistics.median(rates):7.1f} docs/s (median of {rates and len(rates)}: "
                  f"{', '.join(f'{r:.1f}' for r in rates)}); peak RSS per worker process {peaks[name] / 2**20:.0f} MiB")
        print(f"same records from both executors: {outputs['local'] == outputs['dask']}")
        params = IngestOptions().minhash
        print(f"shuffle per document: {params.bands} band rows x (8-byte key + 8-byte index) = {params.bands * 16} "
              "bytes before compression")
        state_sizes(corpus, Path(tmp))


def state_sizes(corpus: Path, tmp: Path, *later: Path) -> None:
    """Bytes per kept record of the SQLite state and of its Parquet export (``later``: further nights)."""
    from corpus.dedup.parquet_state import ParquetState
    from corpus.dedup.state import StateIndex
    from corpus.dedup.state_kinds import copy_state

    options = IngestOptions(workers=WORKERS)
    index = StateIndex(str(tmp / "state.db"), options.minhash)
    kept = 0
    for night, folder in enumerate((corpus, *later), 1):
        run = Ingest(options, state=index, first_seen=f"2026-11-{23 + night}T00:00:00+00:00")
        for _ in run.records([str(folder)], common_base([str(folder)])):
            pass
        kept += run.save_state()
    index._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the bench reads the file: the log written into it
    parquet = ParquetState(str(tmp / "state-parquet"), options.minhash)
    copy_state(index, parquet)
    sqlite_bytes = index.info()["bytes"]
    index.close()
    parquet_bytes = parquet.info()["bytes"]
    print(f"state per record ({kept} records): SQLite {sqlite_bytes / kept:.0f} bytes, "
          f"Parquet {parquet_bytes / kept:.0f} bytes")


if __name__ == "__main__":
    main()
