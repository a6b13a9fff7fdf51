"""`make bench` (start-up): CPU time of `newsclean --version` beside `python -c "import trafilatura"`,
and of a whole `newsclean ingest` of the three bundled example pages.

Every --help, and every stage of a pipe, pays newsclean's start-up; the target is at most half
of what importing trafilatura alone costs. A small ingest (a cron job on a quiet night, one stage
of a pipe) pays loading the extractor, the rules, the language profiles and MinHash on top.
CPU (user + system) of the child processes, median of BENCH_STARTUP_ROUNDS (7) runs each,
measured in this run.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_of(command: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    rounds = int(os.environ.get("BENCH_STARTUP_ROUNDS", "7"))
    newsclean = [str(Path(sys.executable).parent / "newsclean"), "--version"]
    trafilatura = [sys.executable, "-c", "import trafilatura"]
    cpu_of(trafilatura)  # warm the page cache for both
    cpu_of(newsclean)
    ours = statistics.median(cpu_of(newsclean) for _ in range(rounds))
    theirs = statistics.median(cpu_of(trafilatura) for _ in range(rounds))
    print(f"start-up CPU, median of {rounds}: newsclean --version {ours * 1000:.0f} ms; "
          f"import trafilatura {theirs * 1000:.0f} ms; ratio {ours / theirs:.2f} (target <= 0.50)")
    small = [newsclean[0], "ingest", "--workers", "1", "--quiet", "--output", os.devnull, "examples/"]
    cpu_of(small)
    ingest = statistics.median(cpu_of(small) for _ in range(rounds))
    print(f"newsclean ingest examples/ (3 pages, one worker): {ingest * 1000:.0f} ms CPU, median of {rounds}")


if __name__ == "__main__":
    main()
