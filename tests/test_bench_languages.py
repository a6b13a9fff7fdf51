"""``bench/bench_languages.py`` (part of ``make bench``) runs, and the rules work with any set of language files:
the cleaner is timed with the phrases of 1, 4, 8, 16 and all the languages, each set a copy of the package with
the other files taken out."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS

BENCH = SEEDS.parent / "bench" / "extraction"


@pytest.mark.skipif(not (BENCH / "ground-truth.json").is_file(), reason="../shared/bench/extraction is not here")
def test_the_language_bench_cleans_with_more_and_more_languages_files():
    result = subprocess.run([sys.executable, "bench/bench_languages.py", "--docs", "20", "--rounds", "1"], cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=300)
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    languages = [int(row[0]) for row in rows]
    phrases = [int(row[1]) for row in rows]
    shipped = len(list((ROOT / "corpus" / "clean" / "rules" / "lang").glob("*.toml")))
    assert languages == [1, 4, 8, 16, shipped]
    assert phrases == sorted(set(phrases))  # each set knows more phrases than the one before
    assert all(float(row[3]) > 0 and float(row[4]) > 0 for row in rows) and float(rows[0][4]) == 1.0
