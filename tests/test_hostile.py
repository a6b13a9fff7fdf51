"""Hostile input: nothing crashes a run, nothing is lost without a word."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.clean.cleaner import clean_text
from corpus.dedup.minhash import MinHashParams
from corpus.document import Document, Reject
from corpus.inputs.files import RawInput, read_file
from corpus.run.process import process_safely
from tests.conftest import STORY, html_page, write

STORY_TEXT = "\n\n".join(STORY)


def hostile_folder(root: Path) -> int:
    """Every kind of bad input a nightly job meets; returns how many files the walk will see."""
    write(root / "binary.html", os.urandom(6000))
    write(root / "image.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    write(root / "empty.txt", b"")
    write(root / "blank.html", b"  \n\t\n")
    write(root / "latin1.txt", ("Zürich café. " + STORY_TEXT).encode("latin-1"))
    write(root / "utf16.txt", ("Grüße aus München. " + STORY_TEXT).encode("utf-16"))
    write(root / "utf16-nobom.txt", ("Grüße aus München. " + STORY_TEXT).encode("utf-16-le"))
    write(root / "nul.txt", STORY_TEXT[:200].encode() + b"\x00" + STORY_TEXT[200:].encode())
    data = gzip.compress(STORY_TEXT.encode() * 40)
    write(root / "truncated.txt.gz", data[: len(data) // 2])
    write(root / "malformed.html", "<html><body><p>" + STORY_TEXT + "<div><span></p></div></table>" * 5 + "<p>open")
    write(root / "deep.html", "<html><body>" + "<div>" * 3000 + f"<p>{STORY[0]}</p>" + "</div>" * 3000)
    write(root / "huge-line.txt", "word " * 6_000_000)  # 30 MB on one line
    write(root / "ok.html", html_page("Reservoirs at a thirty-year low", STORY))
    write(root / ".hidden.txt", STORY_TEXT)
    write(root / "notes.docx", b"PK\x03\x04 not news")
    os.symlink("loop-b.txt", root / "loop-a.txt")
    os.symlink("loop-a.txt", root / "loop-b.txt")
    os.symlink("missing.txt", root / "dangling.txt")
    (root / "sub").mkdir()
    os.symlink("..", root / "sub" / "up")  # a folder loop
    write(root / "sub" / "copy.txt", STORY_TEXT)
    return 19


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, **kw)


def test_hostile_folder_completes_and_accounts_for_every_file(tmp_path):
    files = hostile_folder(tmp_path / "in")
    rejects = tmp_path / "rejects.jsonl"
    result = run("ingest", str(tmp_path / "in"), "--keep-duplicates", "--rejects", str(rejects), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    rejected = [json.loads(line) for line in rejects.read_text().splitlines()]
    seen = [r["provenance"]["path"] for r in records] + [r["path"] for r in rejected]
    assert len(seen) == len(set(seen)) == files, sorted(seen)
    reasons = {r["path"]: r["reason"] for r in rejected}
    assert reasons["image.html"] == "binary" and reasons["binary.html"] == "binary"
    assert reasons["empty.txt"] == reasons["blank.html"] == "empty"
    assert reasons["truncated.txt.gz"] == "decode-error"
    assert reasons["loop-a.txt"] == reasons["dangling.txt"] == "unreadable"
    assert reasons[".hidden.txt"] == "hidden" and reasons["notes.docx"] == "unsupported-type"
    assert all(r["message"] for r in rejected)
    texts = {r["provenance"]["path"]: (r["title"] or "") + r["text"] for r in records}
    assert "Zürich café" in texts["latin1.txt"]
    assert "Grüße aus München" in texts["utf16.txt"] and "Grüße aus München" in texts["utf16-nobom.txt"]
    assert STORY[0] in texts["nul.txt"] and STORY[0] in texts["malformed.html"]
    assert len(texts["huge-line.txt"]) > 20_000_000
    assert "rejected" in result.stderr


def test_strict_exits_3_on_rejects_but_not_on_skips(tmp_path):
    write(tmp_path / "a" / "ok.txt", STORY_TEXT)
    write(tmp_path / "a" / ".hidden", "x")
    assert run("ingest", str(tmp_path / "a"), "--strict", "-q").returncode == 0
    write(tmp_path / "a" / "empty.txt", "")
    result = run("ingest", str(tmp_path / "a"), "--strict", "-q")
    assert result.returncode == 3 and len(result.stdout.splitlines()) == 1


def test_a_document_over_the_time_limit_is_a_reject(tmp_path):
    write(tmp_path / "in" / "page.html", html_page("Reservoirs", STORY * 50))
    rejects = tmp_path / "rejects.jsonl"
    result = run("ingest", str(tmp_path / "in"), "--timeout", "0.001", "--rejects", str(rejects), "--workers", "1")
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(rejects.read_text())["reason"] == "timeout"


def test_run_failure_is_one_line_and_exit_1(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli.main import main

    def explode(self, paths, base=None):
        raise RuntimeError("disk full")
        yield  # pragma: no cover

    monkeypatch.setattr("corpus.run.pipeline.Ingest.records", explode)
    write(tmp_path / "a.txt", STORY_TEXT)
    result = CliRunner().invoke(main, ["ingest", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "newsclean: error: disk full"


def test_ctrl_c_stops_promptly_and_keeps_the_old_output(tmp_path):
    for i in range(40):
        write(tmp_path / "in" / f"{i:04d}.html", html_page(f"Story number {i}", [f"{s} ({i})" for s in STORY * 4]))
    out = tmp_path / "out.jsonl"
    out.write_text("last night's output\n")
    # Paths come on stdin and the pipe stays open: the run is surely half-way when Ctrl-C comes.
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", "-", "-o", str(out), "--workers", "2"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write("".join(f"{p}\n" for p in sorted((tmp_path / "in").iterdir())))
    proc.stdin.flush()
    time.sleep(2.0)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert out.read_text() == "last night's output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.jsonl"], "no temp file left behind"


# Property-based: random bytes and random text -------------------------------------------

NAMES = st.sampled_from(["a.html", "a.htm", "a.txt", "a.txt.gz", "a.html.gz", "a.xhtml", "a.bin"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000), name=NAMES)
def test_reader_and_processing_never_raise_on_random_bytes(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data)
    item = read_file(path, tmp_path)
    assert isinstance(item, (RawInput, Reject))
    if isinstance(item, Reject):
        assert item.reason and item.message
        return
    result = process_safely(item, MinHashParams(), timeout=10)
    if isinstance(result, Reject):
        assert result.reason in {"timeout", "malformed", "error"}
        assert result.reason != "error", result.message
    else:
        text = Document.from_spooled(result.spool).text
        assert isinstance(text, str) and result.empty == (not text.strip())


LINES = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["Related Articles", "Leave a Reply", "About Jo Smith", "Jo Smith is a reporter.", "Comments",
                     "Follow us on Telegram", "© 2024 Site", "12 minutes ago", "Share", "Read more: x", "DON'T MISS",
                     "Edited by: Jo", "jo@site.example", "", "Tags: a, b"]),
    st.sampled_from(STORY),
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LINES, max_size=25), sep=st.sampled_from(["\n", "\n\n", " "]))
def test_cleaner_never_raises_and_every_removed_word_is_recorded(lines, sep):
    text = sep.join(line.replace("\r", " ") for line in lines)
    cleaned, removed = clean_text(text)
    kept_words = Counter(cleaned.split())
    removed_words = Counter(w for r in removed for w in r.text.split())
    assert kept_words + removed_words == Counter(text.split())
    assert all(r.rule for r in removed)
