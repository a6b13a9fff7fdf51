"""State bytes per kept record over nights: ``bench/syndicate.py``'s corpus dealt into two nights.

The state holds, per kept record, its signature and band keys, and per run the counts of the
lines (run-wide and per site) seen in at least two stories so far (``corpus.clean.repeated``); two
nights show what the line counts add as they accumulate. BENCH_STATE_DOCS (2,000) documents;
prints the SQLite state's bytes per kept record and its Parquet export's.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from syndicate import build_bench_corpus  # noqa: E402

from corpus import Ingest, IngestOptions  # noqa: E402
from corpus.inputs.files import common_base  # noqa: E402

DOCS = int(os.environ.get("BENCH_STATE_DOCS", "2000"))
WORKERS = 2


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


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="newsclean-bench-state-") as tmp:
        root = Path(tmp)
        build_bench_corpus(root / "corpus", ROOT.parent / "shared" / "bench" / "extraction", DOCS)
        files = sorted(p for p in (root / "corpus").rglob("*") if p.is_file() and p.name != "truth.json")
        for i, path in enumerate(files):  # every other file: each night has pages of every site
            target = root / f"night-{i % 2 + 1}" / path.relative_to(root / "corpus")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        print(f"corpus: {len(files)} documents over 2 nights")
        state_sizes(root / "night-1", root, root / "night-2")


if __name__ == "__main__":
    main()
