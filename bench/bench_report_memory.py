"""`make bench`: peak memory of `newsclean report` on one huge record and on many duplicate groups (issue 27).

Writes an output of one record whose text is BENCH_REPORT_TEXT_MB (100) MB, and one of BENCH_REPORT_RECORDS
(1,000,000) records in groups of two (a kept record and its duplicate), then runs ``newsclean report --json`` on
each in a child process and prints its peak resident memory (the operating system's figure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench_state_memory import LAUNCHER  # noqa: E402

TEXT_MB = int(os.environ.get("BENCH_REPORT_TEXT_MB", 100))
RECORDS = int(os.environ.get("BENCH_REPORT_RECORDS", 1_000_000))


def record(i: int, text: str, duplicate_of: str | None = None) -> str:
    return json.dumps({"id": f"{i:032x}", "title": f"Story {i // 2}", "text": text, "lang": "en",
                       "duplicate_of": duplicate_of, "provenance": {"path": f"feed/{i}.html", "removed": []}})


def peak_mb(path: Path) -> float:
    done = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "cli", "report", str(path), "--json"],
                          cwd=HERE.parent, capture_output=True, text=True)
    if done.returncode or done.stdout.strip().splitlines()[-1] == "-1":
        raise SystemExit(f"bench_report_memory: newsclean report {path} failed: {done.stderr}")
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def main() -> int:
    print("\nnewsclean report: peak memory")
    with tempfile.TemporaryDirectory(prefix="newsclean-report-memory-") as tmp:
        huge = Path(tmp, "huge.jsonl")
        words = "The council met on Monday to discuss the budget for the new bridge over the river. "
        with open(huge, "w", encoding="utf-8") as out:
            out.write(record(0, words * (TEXT_MB * 2**20 // len(words))) + "\n")
        print(f"  one record of a {TEXT_MB} MB text: {peak_mb(huge):7.0f} MB")
        huge.unlink()
        many = Path(tmp, "many.jsonl")
        with open(many, "w", encoding="utf-8") as out:
            for i in range(RECORDS):
                out.write(record(i, "A short story of a few words.", None if i % 2 == 0 else f"{i - 1:032x}") + "\n")
        print(f"  {RECORDS:,} records in {RECORDS // 2:,} duplicate groups: {peak_mb(many):7.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
