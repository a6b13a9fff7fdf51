"""Rough edges a new user met: leftovers of killed runs, wrong option names, messages, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, html_page, write
from tests.test_report_inputs import story

NEWSCLEAN = [sys.executable, "-m", "cli"]


def env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCLEAN_")}
    return {**clean, "PYTHONPATH": str(ROOT), **extra}


def cli(*args: str, stdin: str | None = None, cwd: Path = ROOT, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*NEWSCLEAN, *args], capture_output=True, text=True, cwd=cwd, env=env(**extra),
                          input=stdin, timeout=120)


@pytest.fixture
def crawl(tmp_path) -> Path:
    for i in range(3):
        write(tmp_path / "crawl" / f"story{i}.html", html_page(f"Story {i}", story(i)))
    return tmp_path / "crawl"


def parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def started_and_waiting(out: Path, *extra: str) -> subprocess.Popen:
    """A run that has opened its outputs and waits for its path list on stdin (a pipe kept open)."""
    run = subprocess.Popen([*NEWSCLEAN, "ingest", "-", "-o", str(out), "-q", "--workers", "1", *extra],
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env(),
                           cwd=ROOT)
    before = set(parts(out.parent))
    deadline = time.monotonic() + 60
    while not set(parts(out.parent)) - before and time.monotonic() < deadline:
        assert run.poll() is None, run.stderr.read()
        time.sleep(0.05)
    assert set(parts(out.parent)) - before
    return run


def test_the_next_run_removes_what_killed_runs_left_and_only_that(crawl, tmp_path):
    out = tmp_path / "out.jsonl"
    killed = started_and_waiting(out)
    left = parts(tmp_path)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert parts(tmp_path) == left, "SIGKILL leaves the temporary file"
    live = started_and_waiting(out)  # the next run on the same output, still going
    mine = set(parts(tmp_path)) - set(left)
    assert len(mine) == 1 and not set(left) & set(parts(tmp_path)), "the killed run's part is gone"
    try:
        done = cli("ingest", str(crawl), "-o", str(out), "-q")  # and another, while that one runs
        assert done.returncode == 0, done.stderr
        assert len(out.read_text().splitlines()) == 3
        assert parts(tmp_path) == sorted(mine), "the live run's part is never removed"
    finally:
        live.stdin.close()  # no paths: the live run ends (with no input) and publishes
        live.wait(timeout=60)
    assert parts(tmp_path) == []


def test_a_partitioned_output_killed_mid_run_is_cleaned_up_by_the_next(crawl, tmp_path):
    out = tmp_path / "parts"
    killed = started_and_waiting(Path(str(out)), "--rejects", str(tmp_path / "rejects.jsonl"))
    killed.kill()
    killed.wait()
    killed_parts = parts(tmp_path)
    assert killed_parts  # the records folder (and the rejects file) under temporary names
    done = cli("ingest", str(crawl), "-o", f"{out}/", "--rejects", str(tmp_path / "rejects.jsonl"), "-q")
    assert done.returncode == 0, done.stderr
    assert parts(tmp_path) == [] and (out / "_SUCCESS").exists()


def test_a_mistaken_state_leaves_no_lock_file(crawl, tmp_path):
    out = tmp_path / "out.jsonl"
    assert cli("ingest", str(crawl), "-o", str(out), "-q").returncode == 0
    before = out.read_bytes()
    result = cli("ingest", str(crawl), "--state", str(out), "-q")
    assert result.returncode == 1 and "state" in result.stderr
    assert not Path(f"{out}.lock").exists()
    assert out.read_bytes() == before
    state = tmp_path / "nightly.db"  # a real state keeps its lock file, as ever
    assert cli("ingest", str(crawl), "--state", str(state), "-q").returncode == 0
    assert Path(f"{state}.lock").exists()


def without(tmp_path: Path, *modules: str) -> str:
    """A PYTHONPATH on which these optional extras fail to import, as if they were not installed."""
    blocker = tmp_path / "not-installed"
    for module in modules:
        write(blocker / module / "__init__.py", f"raise ImportError('no module named {module}')\n")
    return f"{blocker}{os.pathsep}{ROOT}"


def test_messages_name_the_option_at_fault(crawl, tmp_path):
    state = cli("ingest", str(crawl), "--state", f"{tmp_path}/state/", PYTHONPATH=without(tmp_path, "pyarrow"))
    assert state.returncode == 2
    assert "--state" in state.stderr and "--format" not in state.stderr and "pyarrow" in state.stderr
    zst = cli("ingest", str(crawl), "-o", str(tmp_path / "out.jsonl.zst"), PYTHONPATH=without(tmp_path, "zstandard"))
    assert zst.returncode == 2
    assert "Invalid value for -o:" in zst.stderr and "zstd" in zst.stderr
    parquet = cli("ingest", str(crawl), "-o", str(tmp_path / "out.parquet"), PYTHONPATH=without(tmp_path, "pyarrow"))
    assert parquet.returncode == 2 and "Invalid value for -o:" in parquet.stderr
    rejects = cli("ingest", str(crawl), "--rejects", str(tmp_path / "no" / "rejects.jsonl"))
    assert rejects.returncode == 2 and "Invalid value for --rejects:" in rejects.stderr


def test_every_error_has_one_prefix(crawl, tmp_path):
    """Usage errors, failed runs and state errors: `newsclean: error: …`, never click's bare `Error: …`."""
    not_a_state = write(tmp_path / "notes.txt", "not a state\n")
    errors = [cli("ingest", str(tmp_path / "missing")),  # usage: no such PATH
              cli("ingest", str(crawl), "--state", str(not_a_state), "-q"),  # the run fails
              cli("state", "info", str(not_a_state)),  # a state command
              cli("state", "import", str(crawl), str(not_a_state)),  # a ClickException
              cli("report", str(not_a_state))]  # report on what is not an output
    for result in errors:
        assert result.returncode in (1, 2), result.stderr
        lines = result.stderr.splitlines()
        assert any(line.startswith("newsclean: error: ") for line in lines), result.stderr
        assert not any(line.startswith("Error:") for line in lines), result.stderr


def test_counts_have_their_plurals(crawl, tmp_path):
    from corpus.dedup.state import SCHEMA_VERSION

    write(tmp_path / "one" / "story.html", html_page("Only story", story(9)))
    state = tmp_path / "nightly.db"
    assert cli("ingest", str(tmp_path / "one"), "--state", str(state), "-q").returncode == 0
    check = cli("state", "check", str(state))
    assert check.returncode == 0 and f"(schema {SCHEMA_VERSION}, 1 record, 1 run)" in check.stdout, check.stdout
    refused = cli("state", "prune", str(state), "--before", "2999-01-01")
    assert refused.returncode == 1 and "the only record was first seen" in refused.stderr
    pruned = cli("state", "prune", str(state), "--before", "2999-01-01", "--all-ok")
    assert "removed 1 record first seen" in pruned.stdout and "0 remain" in pruned.stdout


def test_an_output_folder_of_other_files_is_a_usage_error(crawl, tmp_path):
    other = tmp_path / "other"
    write(other / "notes.txt", "mine\n")
    result = cli("ingest", str(crawl), "-o", f"{other}/")
    assert result.returncode == 2, result.stderr
    assert "Invalid value for -o:" in result.stderr and "not a newsclean output" in result.stderr
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"] and parts(tmp_path) == []


def test_largest_groups_kept_on_an_earlier_night_show_a_title_not_an_id(tmp_path):
    write(tmp_path / "night1" / "story.html", html_page("Reservoirs at a low", story(1)))
    write(tmp_path / "night2" / "copy.html", html_page("Reservoirs at a low (wire copy)", story(1)).replace(
        "<footer>", "<p>Syndicated from the wire.</p><footer>"))
    write(tmp_path / "night2" / "other.html", html_page("Something else", story(2)))
    state, out = tmp_path / "nightly.db", tmp_path / "night2.jsonl"
    assert cli("ingest", str(tmp_path / "night1"), "--state", str(state), "-q").returncode == 0
    assert cli("ingest", str(tmp_path / "night2"), "--state", str(state), "--keep-duplicates", "-o", str(out),
               "-q").returncode == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    kept_earlier = next(r["duplicate_of"] for r in records if r["duplicate_of"])
    result = cli("report", str(out))
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("largest duplicate groups", 1)[1].split("\n\n", 1)[0]
    assert "Reservoirs at a low (wire copy) (kept on an earlier night)" in section
    assert kept_earlier not in section
    page = tmp_path / "report.html"
    assert cli("report", str(out), "--html", str(page)).returncode == 0
    assert "(wire copy) (kept on an earlier night)" in page.read_text()
    counted = json.loads(cli("report", str(out), "--json").stdout)
    assert counted["largest_groups"][0]["earlier"] is True


def test_chart_labels_stay_inside_their_column():
    import re

    from corpus.report.html import bar_chart

    long_site = "the-daily-chronicle-of-the-northern-valleys-and-coast.example.co.uk"
    svg = bar_chart("Sites", [(long_site, 40), ("short.example", 3)])
    label = r"<text x='([-\d.]+)' y='[\d.]+' text-anchor='(\w+)'[^>]*>(?:<title>[^<]*</title>)?([^<]*)</text>"
    labels = re.findall(label, svg)
    assert len(labels) == 2
    width = int(re.search(r"<rect x='(\d+)'[^>]* fill=", svg).group(1))  # where the bars start
    for x, anchor, text in labels:
        start = float(x) - (7 * len(text) if anchor == "end" else 0)
        assert start >= 0, f"{text!r} starts left of the chart"
        assert start + 7 * len(text) <= width, f"{text!r} runs into the bars"
    assert labels[0][2].endswith("…") and labels[0][2].startswith("the-daily-chronicle")
    assert f"<title>{long_site}</title>" in svg  # the whole name on hover


def test_explain_does_not_call_a_stored_record_a_duplicate_of_itself(tmp_path):
    page = write(tmp_path / "crawl" / "story.html", html_page("Reservoirs at a low", story(1)))
    state = tmp_path / "nightly.db"
    records = cli("ingest", str(tmp_path / "crawl"), "--state", str(state), "-q").stdout.splitlines()
    stored_id = json.loads(records[0])["id"]
    result = cli("explain", str(page), "--state", str(state))
    assert result.returncode == 0, result.stderr
    assert "duplicates of earlier records: none" in result.stdout
    assert f"already stored: {stored_id}" in result.stdout and "re-delivery" in result.stdout
    copy = write(tmp_path / "copy" / "story.html", html_page("Reservoirs at a low, again", story(1)))
    again = cli("explain", str(copy), "--state", str(state))
    assert f"duplicates of earlier records: {stored_id}" in again.stdout and "already stored" not in again.stdout


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_records_piped_where_paths_are_expected_get_the_hint_once(tmp_path, verbose):
    feed = "".join(json.dumps({"url": f"https://example.com/{i}", "html": html_page(f"T{i}", story(i))}) + "\n"
                   for i in range(4))
    result = cli("ingest", "-", *verbose, stdin=feed, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.count("--stdin-format jsonl") == 1, result.stderr
    assert "rejected: 4" in result.stderr
    paths = cli("ingest", "-", stdin="", cwd=tmp_path)  # a list of paths (here, none) gets no hint
    assert "--stdin-format" not in paths.stderr


def test_log_lines_carry_the_time_and_the_run(crawl, tmp_path):
    """stderr a file (cron's >> log 2>&1): each line says when, and which run."""
    import re
    from datetime import datetime, timedelta, timezone

    log_line = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00) \[([0-9a-f]{8})\] newsclean ingest: ")
    runs = []
    for night in (1, 2):
        result = cli("ingest", str(crawl), "-o", str(tmp_path / f"out{night}.jsonl"))
        assert result.returncode == 0
        matches = [log_line.match(line) for line in result.stderr.splitlines()]
        assert matches and all(matches), result.stderr
        assert len({m.group(2) for m in matches}) == 1  # one run, one id
        when = datetime.fromisoformat(matches[0].group(1))
        assert abs(datetime.now(timezone.utc) - when) < timedelta(minutes=5)
        runs.append(matches[0].group(2))
    assert runs[0] != runs[1]
    assert "records written: 3" in result.stderr


@pytest.mark.parametrize("command", [["report", "OUT"], ["rules"], ["explain", "PAGE"]])
def test_a_reader_that_has_gone_ends_the_command_quietly_with_0(crawl, tmp_path, command):
    """`newsclean report OUT | head -1`: stdout's reader closes first; no message, exit 0 (was 1)."""
    out = tmp_path / "out.jsonl"
    assert cli("ingest", str(crawl), "-o", str(out), "-q").returncode == 0
    args = [{"OUT": str(out), "PAGE": str(crawl / "story0.html")}.get(arg, arg) for arg in command]
    proc = subprocess.Popen([*NEWSCLEAN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(),
                            cwd=ROOT)
    proc.stdout.close()  # the reader has gone before the first write
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert err == b""
