"""``newsclean ingest`` as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, SEEDS, STORY, html_page, write

# Where each seed's boilerplate starts (the truth about these five files, used only here).
SEED_BOILERPLATE_STARTS = {
    "000": None,
    "001": "About catrine jounine",
    "002": "Edited by:",
    "003": "Join ST's Telegram channel",
    "004": None,
}
_SENTENCE = re.compile(r"(?<=[.!?…])[\"”’']?\s+")


def split_seed(text: str, marker: str | None) -> tuple[list[str], list[str]]:
    lines = text.splitlines()
    cut = next((i for i, line in enumerate(lines) if marker and line.startswith(marker)), len(lines))
    story = [line for line in lines[:cut] if line.strip()]
    tail = [line.strip() for line in lines[cut:] if line.strip()]
    return story, tail


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the project")
def test_seeds_keep_every_story_sentence_and_lose_all_boilerplate(run_cli):
    code, records, _ = run_cli("ingest", str(SEEDS), "--workers", "1")
    assert code == 0 and len(records) == 5
    by_prefix = {r["provenance"]["path"][:3]: r for r in records}
    for seed in sorted(SEEDS.glob("*.txt")):
        prefix = seed.name[:3]
        record = by_prefix[prefix]
        output = (record["title"] or "") + "\n" + record["text"]
        story, tail = split_seed(seed.read_text(encoding="utf-8"), SEED_BOILERPLATE_STARTS[prefix])
        for paragraph in story:
            for sentence in _SENTENCE.split(paragraph):
                assert sentence.strip(" ”\"'") in output, f"{seed.name}: lost {sentence!r}"
        output_lines = {line.strip() for line in output.splitlines()}
        for line in tail:
            assert line not in output_lines, f"{seed.name}: kept boilerplate {line!r}"
            assert len(line) < 40 or line not in output, f"{seed.name}: kept boilerplate {line[:60]!r}"
        removed = "\n".join(r["text"] for r in record["provenance"]["removed"])
        for line in tail:
            assert line in removed, f"{seed.name}: {line[:50]!r} removed without a record"
        if tail:
            assert len(record["text"]) < len(seed.read_text(encoding="utf-8"))


def test_html_page_and_plain_text_copy_are_duplicates_but_other_story_is_not(tmp_path, run_cli):
    chrome = "<section><h2>Related Articles</h2><ul><li><a href='/x'>Heatwave warning issued</a></li></ul></section>"
    write(tmp_path / "site-a" / "drought.html", html_page("Reservoirs at thirty-year low", STORY, chrome))
    write(tmp_path / "site-b" / "drought.txt",
          "Reservoirs hit thirty-year low as drought bites\n\n" + "\n\n".join(STORY)
          + "\n\nFollow us on Telegram for more news\nAbout Lena Ortiz\n"
          "Lena Ortiz is a reporter covering the environment.")
    write(tmp_path / "site-c" / "council.txt",
          "Council votes on emergency water pipeline\n\n"
          "Reservoir levels in the region have dropped to a thirty-year low, the water authority announced, prompting "
          "an emergency meeting of the regional council on Tuesday evening.\n\nCouncil members voted to fund new "
          "pipelines from the southern lakes, a project that engineers say would take at least four years.")
    code, records, stderr = run_cli("ingest", str(tmp_path), "--keep-duplicates", "--workers", "1")
    assert code == 0
    by_path = {r["provenance"]["path"]: r for r in records}
    html, txt, other = by_path["site-a/drought.html"], by_path["site-b/drought.txt"], by_path["site-c/council.txt"]
    kept, copy = (html, txt) if html["duplicate_of"] is None else (txt, html)
    assert copy["duplicate_of"] == kept["id"] and kept["duplicate_of"] is None
    assert other["duplicate_of"] is None
    assert html["text_hash"] == txt["text_hash"], "same story, same normalised clean text"
    code, records, _ = run_cli("ingest", str(tmp_path), "--workers", "1")
    assert len(records) == 2 and {r["id"] for r in records} == {kept["id"], other["id"]}


def test_record_schema_and_provenance(tmp_path, run_cli):
    write(tmp_path / "in" / "story.txt", "Reservoirs at thirty-year low\n" + "\n".join(STORY) + "\n\n5 minutes ago")
    code, (record,), _ = run_cli("ingest", str(tmp_path / "in"), "--workers", "1")
    assert code == 0
    for key in ("id", "text_hash", "text", "title", "author", "date", "url", "lang", "lang_prob", "duplicate_of"):
        assert key in record
    prov = record["provenance"]
    assert prov["path"] == "story.txt" and prov["format"] == "text" and len(prov["sha256"]) == 64
    assert prov["bytes"] == (tmp_path / "in" / "story.txt").stat().st_size
    assert prov["extractor"] == "plain-text" and prov["newsclean_version"]
    assert prov["removed"] == [{"rule": "relative-time", "text": "5 minutes ago"}]
    assert record["lang"] == "en" and record["title"] == "Reservoirs at thirty-year low"


def test_output_is_byte_identical_across_runs_and_worker_counts(tmp_path):
    out = []
    for workers in ("1", "2", "2"):
        target = tmp_path / f"out-{len(out)}.jsonl"
        result = subprocess.run([sys.executable, "-m", "cli", "ingest", str(EXAMPLES), "-o", str(target),
                                 "--workers", workers, "-q"], capture_output=True, text=True, check=True)
        assert result.stdout == "" and result.stderr == ""
        out.append(target.read_bytes())
    assert out[0] == out[1] == out[2] and out[0].count(b"\n") == 4


def test_language_filter(run_cli):
    code, records, stderr = run_cli("ingest", str(EXAMPLES), "--lang", "de", "--workers", "1")
    assert code == 0 and [r["lang"] for r in records] == ["de"]
    assert "other languages" in stderr


def test_paths_from_stdin(tmp_path, run_cli):
    a = write(tmp_path / "a.txt", "\n".join(STORY))
    write(tmp_path / "b.txt", "Another text that is not listed on stdin at all.")
    code, records, _ = run_cli("ingest", "-", "--workers", "1", input=f"{a}\n")
    # a path listed on stdin is shown as given (outside the working folder: absolute)
    assert code == 0 and [r["provenance"]["path"] for r in records] == [a.as_posix()]


def test_usage_errors_exit_2_before_any_work(tmp_path, run_cli):
    code, records, stderr = run_cli("ingest", str(tmp_path / "missing"))
    assert code == 2 and "no such file" in stderr
    code, records, stderr = run_cli("ingest", str(EXAMPLES), "-o", str(tmp_path / "no" / "dir" / "out.jsonl"))
    assert code == 2 and records == []


def test_summary_goes_to_stderr_and_only_json_to_stdout(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cli", "ingest", str(EXAMPLES), "--workers", "1"],
                            capture_output=True, text=True, check=True)
    assert all(json.loads(line) for line in result.stdout.splitlines())
    assert "records written" in result.stderr and "duplicates" in result.stderr


def test_head_closes_the_pipe_quietly():
    cmd = f"{sys.executable} -m cli ingest {EXAMPLES} --workers 1 -q | head -n 1"
    result = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd}"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
    assert len(result.stdout.splitlines()) == 1


def test_repeated_chrome_line_across_stories_is_removed(tmp_path, run_cli):
    chrome = "Listen to this story on Courier Audio"
    topics = ["harbour", "budget", "school", "hospital", "railway"]
    for i, topic in enumerate(topics):
        paras = [f"The {topic} project {w} reached a new stage this week, officials in district {i} said on Monday."
                 for w in ("unexpectedly", "finally", "quietly")]
        paras.append(f"Residents near the {topic} will be consulted on {i + 3} further proposals before autumn.")
        write(tmp_path / f"{topic}.txt", f"{chrome}\n\n" + "\n\n".join(paras))
    code, records, stderr = run_cli("ingest", str(tmp_path), "--workers", "1")
    assert code == 0 and len(records) == 5
    for record in records:
        assert chrome not in record["text"]
        assert {"rule": "repeated-line", "text": chrome} in record["provenance"]["removed"]
    code, records, _ = run_cli("ingest", str(tmp_path), "--workers", "1", "--min-repeat", "0")
    assert all(chrome in (r["title"] or "") + r["text"] for r in records)


def test_version_and_help_have_examples(run_cli):
    from corpus import __version__

    result = subprocess.run([sys.executable, "-m", "cli", "--version"], capture_output=True, text=True, check=True)
    assert __version__ in result.stdout
    for args in (["--help"], ["ingest", "--help"]):
        result = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, check=True)
        assert "Example" in result.stdout


def test_stream_mode_writes_as_it_goes_and_keeps_the_first_copy(tmp_path):
    write(tmp_path / "a-copy.txt", "Reservoirs hit thirty-year low\n\n" + "\n\n".join(STORY[:-1]))
    write(tmp_path / "b-full.txt", "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY))
    outputs = []
    for workers in ("1", "2"):
        result = subprocess.run([sys.executable, "-m", "cli", "ingest", str(tmp_path), "--stream",
                                 "--keep-duplicates", "--workers", workers, "-q"],
                                capture_output=True, text=True, check=True)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    first, second = (json.loads(line) for line in outputs[0].splitlines())
    assert first["duplicate_of"] is None and second["duplicate_of"] == first["id"], "first in input order is kept"
    batch = subprocess.run([sys.executable, "-m", "cli", "ingest", str(tmp_path), "--keep-duplicates", "-q"],
                           capture_output=True, text=True, check=True).stdout
    kept = [json.loads(line) for line in batch.splitlines() if json.loads(line)["duplicate_of"] is None]
    assert [r["provenance"]["path"] for r in kept] == ["b-full.txt"], "batch mode keeps the most complete"

    # Records come out before the input ends: paths on a pipe that stays open.
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", "-", "--stream", "--workers", "1", "-q"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    proc.stdin.write(f"{tmp_path / 'b-full.txt'}\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    proc.stdin.close()
    proc.wait(timeout=30)
    assert json.loads(line)["provenance"]["path"] == (tmp_path / "b-full.txt").as_posix()


def test_warm_up_runs_once_per_process_and_detector(monkeypatch):
    """Loading the libraries' lazy parts is done once per process; a second run in it starts at once."""
    import corpus.run.process as process

    seen: list[str] = []
    real = process.extract
    monkeypatch.setattr(process, "_warmed", set())
    monkeypatch.setattr(process, "extract", lambda raw: seen.append(raw.id) or real(raw))
    process.warm_up()
    process.warm_up()
    assert seen == ["warm-up"]


def _eight_threads_at_once(monkeypatch, warm) -> tuple[list[float], list[float]]:  # noqa: ANN001 - a function
    """(when each slow warm-up extraction started, when each thread went on) for eight threads calling ``warm``
    at once, each extraction taking 50 ms: every thread has asked by the time the first is done."""
    import threading
    import time

    import corpus.run.process as process

    warming: list[float] = []
    real = process.extract

    def slow_extract(raw):  # noqa: ANN001, ANN202 - a RawInput; what extract gives
        warming.append(time.monotonic())
        time.sleep(0.05)
        return real(raw)

    monkeypatch.setattr(process, "extract", slow_extract)
    start, went_on = threading.Barrier(8), []

    def first_document() -> None:
        start.wait()
        warm()
        went_on.append(time.monotonic())

    threads = [threading.Thread(target=first_document) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return warming, went_on


def test_threads_starting_together_warm_up_once(monkeypatch):
    """A Dask worker's threads start together: one warms the detector and the rules up, the others wait."""
    import corpus.run.process as process

    monkeypatch.setattr(process, "_warmed", set())
    warming, went_on = _eight_threads_at_once(monkeypatch, process.warm_up)
    assert len(warming) == 1 and len(went_on) == 8 and min(went_on) >= warming[0] + 0.05


def test_threads_at_their_first_pages_warm_the_extractor_once(monkeypatch):
    """A Dask worker's threads reach their first pages together: one loads the extractor (and swaps in its
    cheaper XPaths) while the others wait for it, and none goes on before it is done."""
    import corpus.run.process as process

    monkeypatch.setattr(process, "_extractor_warm", False)
    warming, went_on = _eight_threads_at_once(monkeypatch, process.warm_extractor)
    assert len(warming) == 1 and len(went_on) == 8
    assert min(went_on) >= warming[0] + 0.05  # no thread went on while the extractor was still loading


_FIRST_PAGE_UNDER_A_TIMER = """
import sys
from corpus.dedup.minhash import MinHashParams
from corpus.document import Document, Source
from corpus.inputs.files import RawInput
from corpus.run.process import process_safely, warm_up

def raw(kind, data):
    return RawInput("x", Source("x." + kind, "", None, None, kind), data, kind)

import signal
armed_with_extractor = []
real_setitimer = signal.setitimer
def setitimer(which, seconds, *rest):
    if seconds:
        armed_with_extractor.append("trafilatura" in sys.modules)
    return real_setitimer(which, seconds, *rest)
signal.setitimer = setitimer

warm_up()
text = raw("text", ("The council voted on Tuesday to repair the old bridge before the winter floods. " * 4).encode())
assert process_safely(text, MinHashParams(), 0).lang == "en"
print("trafilatura after plain text:", "trafilatura" in sys.modules)
page = raw("html", b"<html><head><title>Bridge vote</title></head><body><article><p>"
           + b"The council voted on Tuesday to repair the old bridge before the winter floods. " * 6
           + b"</p></article></body></html>")
outcomes = [process_safely(page, MinHashParams(), 1e-6) for _ in range(20)]
print("every timer armed with the extractor loaded:", all(armed_with_extractor), len(armed_with_extractor))
print("timeouts:", sum(getattr(o, "reason", None) == "timeout" for o in outcomes))
done = process_safely(page, MinHashParams(), 0)
print("text:", Document.from_spooled(done.spool).text.count("repair the old bridge"))
"""


def test_plain_text_never_loads_the_extractor_and_a_first_page_loads_it_before_its_timer():
    """A run of plain text does without trafilatura's modules; the first page loads them before its timer
    starts, so that timeouts from the very first page on leave the extractor whole (a fresh process: this
    one has loaded them already)."""
    result = subprocess.run([sys.executable, "-c", _FIRST_PAGE_UNDER_A_TIMER], capture_output=True, text=True,
                            check=True, timeout=120)
    lines = result.stdout.splitlines()
    assert lines[0] == "trafilatura after plain text: False"
    assert lines[1] == "every timer armed with the extractor loaded: True 20"
    assert int(lines[2].split(": ")[1]) > 0  # the timer fired on the pages
    assert int(lines[3].split(": ")[1]) >= 1  # and the extractor works after them
