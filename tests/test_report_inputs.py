"""`newsclean report` on what newsclean writes, and on what it does not: outputs, totals, mistakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, STORY, html_page, write


def cli(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCLEAN_")}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**env, "PYTHONPATH": str(ROOT)}, input=stdin, timeout=120)


def story(seed: int) -> list[str]:
    import random

    words = " ".join(STORY).split()
    rng = random.Random(seed)
    return [" ".join(rng.sample(words, 30)) + "." for _ in range(5)]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crawl") / "crawl"
    for i in range(3):
        write(root / "site" / f"story{i}.html", html_page(f"Story {i}", story(i)))
    for copy in range(2):
        write(root / "other" / f"copy{copy}.html", html_page("Story 0", story(0)))
    write(root / "broken.txt.gz", b"\x1f\x8b\x08 broken")
    return root


def test_html_report_into_a_folder_that_is_not_there_is_a_usage_error(crawl, tmp_path):
    out = tmp_path / "out.jsonl"
    assert cli("ingest", str(crawl), "-o", str(out), "-q").returncode == 0
    result = cli("report", str(out), "--html", str(tmp_path / "reports" / "day.html"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "--html" in result.stderr and "no such folder" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "reports").exists()


def test_report_shows_the_runs_totals_from_its_manifest(crawl, tmp_path):
    """Two copies left out of the output: the file says 0 duplicates, the manifest says 2; both are shown."""
    out, manifest, page = tmp_path / "out.jsonl", tmp_path / "run.json", tmp_path / "day.html"
    assert cli("ingest", str(crawl), "-o", str(out), "--manifest", str(manifest), "-q").returncode == 0
    assert json.loads(manifest.read_text())["totals"]["duplicates"] == 2
    result = cli("report", str(out), "--manifest", str(manifest), "--html", str(page))
    assert result.returncode == 0, result.stderr
    assert "0 duplicates in the file" in result.stdout
    assert "2 duplicates (left out)" in result.stdout and "1 rejected (decode-error 1)" in result.stdout
    assert "6 files read" in result.stdout
    counted = json.loads(cli("report", str(out), "--manifest", str(manifest), "--json").stdout)
    assert counted["duplicates"] == 0
    assert counted["run"]["duplicates"] == counted["run"]["duplicates_left_out"] == 2
    assert counted["run"]["rejects"] == {"decode-error": 1} and counted["run"]["records"] == 3
    assert counted["rejects"] == {"decode-error": 1}  # the reasons, from the manifest when no --rejects file
    html = page.read_text()
    assert "2 duplicates (left out)" in html and "1 rejected" in html


def test_a_manifest_that_is_not_one_is_a_usage_error(crawl, tmp_path):
    out = tmp_path / "out.jsonl"
    assert cli("ingest", str(crawl), "-o", str(out), "-q").returncode == 0
    result = cli("report", str(out), "--manifest", str(out))
    assert result.returncode == 2 and "--manifest" in result.stderr and "not a newsclean run manifest" in result.stderr
    assert "Traceback" not in result.stderr
