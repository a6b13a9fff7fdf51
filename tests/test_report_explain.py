"""`newsclean report` (terminal and HTML, rendered in headless Chromium) and `newsclean explain`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, STORY, html_page, write

CHROME = "<div class='related'><h3>Related Articles</h3><ul><li><a href='/a'>Council approves new bus lanes</a></li>" \
         "<li><a href='/b'>Harbour festival returns in June</a></li></ul></div>" \
         "<p>Follow us on Telegram for the latest news.</p>"


def cli(*args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, input=stdin, timeout=120)


@pytest.fixture(scope="module")
def a_run(tmp_path_factory) -> dict[str, Path]:
    """A run on the example corpus plus syndicated copies, a reject and chrome: output, rejects, manifest."""
    folder = tmp_path_factory.mktemp("run")
    crawl = folder / "crawl"
    shutil.copytree(EXAMPLES, crawl)
    for site in ("daily.example", "wire.example", "post.example"):
        write(crawl / site / "reservoirs.html", html_page("Reservoirs at a thirty-year low", STORY, CHROME)
              .replace("<head>", f"<head><meta property='og:site_name' content='{site}'>"))
    write(crawl / "broken.txt.gz", b"\x1f\x8b\x08 broken")
    paths = {"out": folder / "clean.jsonl", "rejects": folder / "rejects.jsonl", "manifest": folder / "run.json"}
    result = cli("ingest", str(crawl), "--keep-duplicates", "-o", str(paths["out"]), "--rejects",
                 str(paths["rejects"]), "--manifest", str(paths["manifest"]), "-q")
    assert result.returncode == 0, result.stderr
    return paths


def test_report_in_the_terminal_says_what_happened_and_why(a_run):
    result = cli("report", str(a_run["out"]), "--rejects", str(a_run["rejects"]), "--manifest",
                 str(a_run["manifest"]))
    assert result.returncode == 0, result.stderr
    text = result.stdout + result.stderr
    records = a_run["out"].read_text().splitlines()
    assert f"{len(records)} records" in text
    for heading in ("languages", "duplicate groups by size", "largest duplicate groups", "lines removed by rule",
                    "most frequent removed lines", "rejects and skips by reason", "sources", "sites",
                    "text length (words)"):
        assert heading in text
    assert "Reservoirs at a thirty-year low" in text and "wire.example" in text, "the largest group, by title and site"
    assert "decode-error" in text and "related-block" in text
    counts = json.loads(cli("report", str(a_run["out"]), "--rejects", str(a_run["rejects"]), "--json").stdout)
    assert counts["records"] == len(records) and counts["duplicates"] == sum(
        json.loads(r)["duplicate_of"] is not None for r in records)
    assert counts["largest_groups"][0]["size"] == 3 and counts["rejects"] == {"decode-error": 1}
    assert counts["languages"] == {"en": counts["records"] - 1, "de": 1}


def test_report_reads_stdin_and_compressed_output(a_run, tmp_path):
    import gzip

    packed = tmp_path / "clean.jsonl.gz"
    packed.write_bytes(gzip.compress(a_run["out"].read_bytes()))
    from_file = json.loads(cli("report", str(packed), "--json").stdout)
    from_stdin = json.loads(cli("report", "-", "--json", stdin=a_run["out"].read_text()).stdout)
    assert from_file["records"] == from_stdin["records"] == len(a_run["out"].read_text().splitlines())


def test_report_counts_in_bounded_memory():
    from corpus.report.summary import TopK

    top = TopK(capacity=100)
    for i in range(10_000):
        top.add(f"rare line {i}")
        top.add("the chrome line that recurs")
    assert len(top.counts) <= 100 and top.most_common(1)[0][0] == "the chrome line that recurs"


def test_report_html_is_self_contained(a_run, tmp_path):
    page = tmp_path / "report.html"
    assert cli("report", str(a_run["out"]), "--rejects", str(a_run["rejects"]), "--html", str(page)).returncode == 0
    html = page.read_text()
    assert html.count("<svg") >= 6 and "<rect" in html
    for remote in ("http://", "https://", "<script", "<link"):
        assert remote not in html.lower(), f"the page must not load anything ({remote})"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed and could not be (make browser): "
                                               "the report's rendering cannot be checked here")
def test_report_html_renders_its_charts_in_headless_chromium(a_run, tmp_path):
    from PIL import Image

    from corpus.report.html import ACCENT, BAR

    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    cli("report", str(a_run["out"]), "--rejects", str(a_run["rejects"]), "--manifest", str(a_run["manifest"]),
        "--html", str(page))
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1280,1400",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=True)
    image = Image.open(shot).convert("RGB")
    colours = Counter(image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata())
    bar = tuple(int(BAR[i:i + 2], 16) for i in (1, 3, 5))
    accent = tuple(int(ACCENT[i:i + 2], 16) for i in (1, 3, 5))
    assert colours.get(bar, 0) > 2000, "the blue bars are drawn"
    assert colours.get(accent, 0) > 500, "and the rule and reject bars"
    if os.environ.get("NEWSCLEAN_SCREENSHOT"):  # make the README's picture: NEWSCLEAN_SCREENSHOT=docs/report.png
        image.save(ROOT / os.environ["NEWSCLEAN_SCREENSHOT"])


def test_explain_shows_each_line_and_the_rule_that_removed_it(tmp_path):
    chrome = ["Follow us on Telegram for the latest news.", "Related Articles", "Council approves new bus lanes",
              "Harbour festival returns in June"]
    page = write(tmp_path / "page.html", html_page("Reservoirs at a thirty-year low", STORY + chrome))
    result = cli("explain", str(page))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "title: Reservoirs at a thirty-year low" in out and "lang: en" in out
    lines = {line.split(" │ ", 1)[1]: line.split(" │ ", 1)[0].strip() for line in out.splitlines() if " │ " in line}
    assert all(lines[sentence] == "kept" for sentence in STORY)
    assert lines["Related Articles"] == lines["Council approves new bus lanes"] == "- related-block"
    assert lines["Follow us on Telegram for the latest news."].startswith("- cta")
    assert "Follow us on Telegram" in out and "\x1b[" not in out, "no styles when stdout is not a terminal"


def test_explain_picks_a_record_of_a_container_and_names_the_earlier_copy(tmp_path):
    feed = write(tmp_path / "feed.jsonl", json.dumps({"text": "Harbour ferry timetable changes\n\nThe ferry runs "
                                                              "every hour on Sundays from next week, the port said."})
                 + "\n" + json.dumps({"text": "\n".join(STORY), "title": "Reservoirs"}) + "\n")
    state = tmp_path / "state.db"
    night1 = write(tmp_path / "night1" / "story.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    first = json.loads(cli("ingest", str(night1.parent), "--state", str(state), "-q").stdout)
    result = cli("explain", str(feed), "--record", "2", "--state", str(state))
    assert result.returncode == 0, result.stderr
    assert "where: feed.jsonl:2" in result.stdout and f"duplicates of earlier records: {first['id']}" in result.stdout
    assert cli("explain", str(feed), "--record", "3").returncode == 2, "there is no third document"
