"""Instructions a document costs, under callgrind: a measure the machine's speed does not move.

This 2-core machine's speed moved by a factor of two between two days and by half within a minute
(the same Python loop took 0.75 to 1.16 s three times in a row), so a saving of a few percent cannot be
read off two timed runs, even taking turns. The number of instructions a run executes does not depend
on the machine's other work: this script runs `Ingest(IngestOptions(workers=1))` (the whole batch run
in one process: read, extract, clean, language, sign, both passes, write) over SMALL and LARGE bench
documents under `valgrind --tool=callgrind`, and prints (instructions at LARGE - at SMALL) / (LARGE -
SMALL): what one more document costs, start-up excluded. With `--against CHECKOUT` the same is measured
for another checkout's code (say, main before a change), in the same run.

Needs valgrind (Debian's package `valgrind`). Each run is about 50 times slower than without it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from syndicate import build_bench_corpus  # noqa: E402

RUNNER = """
import os, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from corpus import Ingest, IngestOptions
from corpus.outputs.write import dumps
paths = sorted(str(p) for p in Path(sys.argv[2]).rglob("*.*"))[: int(sys.argv[3])]
with open(os.devnull, "w", encoding="utf-8") as sink:
    for record in Ingest(IngestOptions(workers=1, keep_duplicates=True)).records(paths):
        sink.write(dumps(record) + "\\n")
"""

TRAFILATURA = """
import sys
from pathlib import Path
import trafilatura
paths = sorted(str(p) for p in Path(sys.argv[2]).rglob("*.*"))[: int(sys.argv[3])]
for path in paths:
    trafilatura.extract(Path(path).read_text(encoding="utf-8"))
"""
"""``trafilatura.extract`` with its defaults on the same pages, as ``bench/bench_pipeline.py`` runs it: in a
process that never imports newsclean (which swaps cheaper twins into trafilatura's XPaths)."""


def instructions(checkout: Path, folder: Path, count: int, runner: str = RUNNER) -> int:
    """Instructions callgrind counts for one run of ``count`` documents of ``folder`` on ``checkout``'s code."""
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          "-c", runner, str(checkout), str(folder), str(count)],
                         capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    found = re.search(r"Collected : (\d+)", run.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", type=Path, default=HERE.parent.parent / "shared" / "bench" / "extraction")
    ap.add_argument("--kind", choices=("text", "html"), default="text", help="plain-text or HTML documents")
    ap.add_argument("--small", type=int, default=20, help="documents of the short run (start-up and a few)")
    ap.add_argument("--large", type=int, default=220, help="documents of the long run")
    ap.add_argument("--against", type=Path, action="append", default=[],
                    help="another checkout to measure in the same run (repeatable)")
    ap.add_argument("--trafilatura", action="store_true",
                    help="HTML: trafilatura.extract alone on the same pages too, and the ratio")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("bench: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    if not (args.bench / "ground-truth.json").is_file():
        print(f"bench: no benchmark at {args.bench}", file=sys.stderr)
        return 2
    if args.large <= args.small:
        print("bench: --large must be more than --small", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newsclean-instructions-") as tmp:
        corpus = Path(tmp) / "corpus"
        build_bench_corpus(corpus, args.bench, 4 * args.large)  # half HTML, half plain text
        folder = corpus / args.kind
        print(f"instructions per {args.kind} document under callgrind ({args.small} and {args.large} documents "
              "of the bench corpus, one in-process worker, the whole batch run)")
        runs = [(checkout.resolve(), RUNNER) for checkout in [HERE.parent, *args.against]]
        if args.trafilatura and args.kind == "html":
            runs.append((HERE.parent, TRAFILATURA))
        for checkout, runner in runs:  # once without valgrind: bytecode compiled and cached before any count
            subprocess.run([sys.executable, "-c", runner, str(checkout), str(folder), "1"], check=True,
                           capture_output=True, cwd=tempfile.gettempdir())
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # valgrind runs one thread: a core each
            counts = {(run, size): pool.submit(instructions, run[0], folder, size, run[1])
                      for run in runs for size in (args.small, args.large)}
            per_doc = {run: (counts[run, args.large].result() - counts[run, args.small].result())
                       / (args.large - args.small) for run in runs}
        for run in runs:
            name = str(run[0]) if run[1] is RUNNER else "trafilatura.extract alone"
            print(f"  {name:40s} {per_doc[run] / 1e6:8.2f} M  (start-up and {args.small} documents: "
                  f"{counts[run, args.small].result() / 1e9:.2f} G)")
        if args.trafilatura and args.kind == "html":
            print(f"  trafilatura's instructions a page / newsclean's: {per_doc[runs[-1]] / per_doc[runs[0]]:.3f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")  # the same dict layouts from run to run
    sys.exit(main())
