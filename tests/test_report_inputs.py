"""`newsclean report` on what newsclean writes, and on what it does not: outputs, totals, mistakes."""

from __future__ import annotations

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
