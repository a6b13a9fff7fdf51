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


def test_html_report_into_a_folder_that_is_not_there_makes_it(crawl, tmp_path):
    """The README's morning command: `report … --html reports/DAY.html` where reports/ is not made yet."""
    out = tmp_path / "out.jsonl"
    assert cli("ingest", str(crawl), "-o", str(out), "-q").returncode == 0
    page = tmp_path / "reports" / "2026" / "day.html"
    result = cli("report", str(out), "--html", str(page))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "<svg" in page.read_text()
    assert [p.name for p in page.parent.iterdir()] == ["day.html"]  # no temporary file left beside it
    blocked = cli("report", str(out), "--html", str(out / "reports" / "day.html"))  # a file in the way
    assert blocked.returncode == 2 and "--html" in blocked.stderr and "Traceback" not in blocked.stderr
    assert blocked.stdout == ""


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


@pytest.fixture(scope="module")
def outputs(crawl, tmp_path_factory) -> dict[str, Path]:
    """The same run written as JSONL, Parquet and partitioned folders (JSONL and Parquet parts)."""
    folder = tmp_path_factory.mktemp("outputs")
    made = {"jsonl": folder / "out.jsonl", "parquet": folder / "out.parquet", "parts": folder / "parts",
            "parquet_parts": folder / "pparts"}
    for kind, path in made.items():
        extra = ["--format", "parquet"] if kind == "parquet_parts" else []
        target = str(path) + ("/" if kind.endswith("parts") else "")
        result = cli("ingest", str(crawl), "--keep-duplicates", "-o", target, "-q", *extra)
        assert result.returncode == 0, result.stderr
    return made


@pytest.mark.parametrize("kind", ["parquet", "parts", "parquet_parts"])  # .gz, .zst, stdin: read before too
def test_report_reads_every_output_newsclean_writes(outputs, kind):
    pytest.importorskip("pyarrow")
    reference = cli("report", str(outputs["jsonl"]), "--json")
    assert reference.returncode == 0, reference.stderr
    expected = json.loads(reference.stdout)
    assert expected["records"] == 5 and expected["duplicates"] == 2
    result = cli("report", str(outputs[kind]), "--json")
    assert result.returncode == 0, result.stderr
    counted = json.loads(result.stdout)
    if kind.endswith("parts"):  # a partitioned output holds its manifest: the run's totals come with it
        assert counted.pop("run")["duplicates"] == 2
        assert counted.pop("rejects") == {"decode-error": 1}
        expected.pop("rejects")
    assert counted == expected


@pytest.mark.parametrize("what", ["manifest", "crawler_feed", "other_folder", "text_file", "manifest_on_stdin"])
def test_report_refuses_what_newsclean_did_not_write(crawl, tmp_path, what):
    manifest = tmp_path / "run.json"
    assert cli("ingest", str(crawl), "-o", str(tmp_path / "out.jsonl"), "--manifest", str(manifest),
               "-q").returncode == 0
    feed = write(tmp_path / "feed.jsonl", "".join(json.dumps({"url": f"https://example.com/{i}", "html":
                                                              html_page(f"T{i}", story(i))}) + "\n" for i in range(3)))
    target, stdin = {"manifest": (str(manifest), None), "crawler_feed": (str(feed), None),
                     "other_folder": (str(crawl), None), "text_file": (str(crawl / "site" / "story0.html"), None),
                     "manifest_on_stdin": ("-", manifest.read_text())}[what]
    result = cli("report", target, stdin=stdin)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and "records" not in result.stdout
    assert "not newsclean output" in result.stderr or "not a newsclean output" in result.stderr \
        or "run manifest" in result.stderr
    if what == "manifest":
        assert "--manifest" in result.stderr
    if what == "crawler_feed":
        assert "crawler" in result.stderr and "newsclean ingest" in result.stderr
    json_result = cli("report", target, "--json", stdin=stdin)
    assert json_result.returncode == 2 and json_result.stdout == ""
