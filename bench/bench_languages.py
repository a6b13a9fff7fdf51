"""Whether cleaning costs more as languages are added (issue 25: "cleaning whose cost does not grow with
the number of languages").

The same plain-text documents of the bench's corpus (bench/syndicate.py: real gold texts in several
languages, dressed in real-looking chrome) are cleaned by the rules of 1, 4, 8, 16 and all of the
language files (``corpus/clean/rules/lang/*.toml``): each set is a copy of the ``corpus`` package with the
other files taken out, timed in a fresh process, the sets taking turns for ``--rounds`` rounds (the
median is shown). Each pass cleans every document once, with nothing remembered from another pass.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from syndicate import build_bench_corpus  # noqa: E402

ORDER = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "sv", "da", "no", "fi", "cs", "sk", "hu"]
"""The languages the smaller sets take, in this order (every set has English's rules written as code)."""

_TIMED = """
import json, sys, time
from pathlib import Path
from corpus.clean.cleaner import clean_text
from corpus.clean.rules import ALL_RULES
from corpus.clean.rules.phrases import LANGUAGE_DATA
from corpus.text import forget_word_counts

paths = Path(sys.argv[1]).read_text(encoding="utf-8").split()
texts = [Path(p).read_text(encoding="utf-8") for p in paths]
clean_text("Follow us on Telegram.\\nA warm-up line.")  # the rules put together before the clock starts
removed = 0
start = time.perf_counter()
for text in texts:
    forget_word_counts()
    removed += len(clean_text(text)[1])
seconds = time.perf_counter() - start
phrases = sum(len(p) for lang in LANGUAGE_DATA.values() for p in lang["phrases"].values())
print(json.dumps({"us": seconds / len(texts) * 1e6, "removed": removed / len(texts), "rules": len(ALL_RULES),
                  "languages": len(LANGUAGE_DATA), "phrases": phrases}))
"""


def package_with(languages: list[str] | None, folder: Path) -> Path:
    """A copy of the ``corpus`` package under ``folder`` with only ``languages``' files (None: all of them)."""
    shutil.copytree(ROOT / "corpus", folder / "corpus", ignore=shutil.ignore_patterns("__pycache__"))
    if languages is not None:
        for data in (folder / "corpus" / "clean" / "rules" / "lang").glob("*.toml"):
            if data.stem not in languages:
                data.unlink()
    return folder


def timed(package: Path, listing: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(package)}
    result = subprocess.run([sys.executable, "-c", _TIMED, str(listing)], cwd=package, env=env, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench" / "extraction")
    ap.add_argument("--docs", type=int, default=int(os.environ.get("BENCH_LANGUAGE_DOCS", 3000)),
                    help="plain-text documents cleaned in each pass")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    args = ap.parse_args()
    if not (args.bench / "ground-truth.json").is_file():
        print(f"bench: no benchmark at {args.bench}", file=sys.stderr)
        return 2
    sets = [ORDER[:1], ORDER[:4], ORDER[:8], ORDER[:16], None]
    with tempfile.TemporaryDirectory(prefix="newsclean-bench-languages-") as tmp:
        corpus = Path(tmp) / "corpus-docs"
        build_bench_corpus(corpus, args.bench, 2 * args.docs)  # half of them plain text
        listing = Path(tmp) / "texts.txt"
        listing.write_text("\n".join(sorted(str(p) for p in (corpus / "text").rglob("*.txt"))), encoding="utf-8")
        packages = [package_with(languages, Path(tmp) / f"set-{n}") for n, languages in enumerate(sets)]
        runs: list[list[dict]] = [[] for _ in sets]
        for _ in range(args.rounds):  # the sets take turns: a slow minute of the machine touches all of them
            for n, package in enumerate(packages):
                runs[n].append(timed(package, listing))
    print(f"cleaning {args.docs:,} plain-text bench documents with the rules of more and more languages "
          f"(median of {args.rounds} rounds, each set in a fresh process)\n")
    print(f"{'language files':>14} {'phrases':>8} {'rules':>6} {'us a document':>14} {'ratio':>6} {'removals':>9}")
    first = statistics.median(r["us"] for r in runs[0])
    for found in runs:
        us = statistics.median(r["us"] for r in found)
        print(f"{found[0]['languages']:>14} {found[0]['phrases']:>8} {found[0]['rules']:>6} {us:>14.0f} "
              f"{us / first:>6.2f} {found[0]['removed']:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
