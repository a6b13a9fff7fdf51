"""Hostile input, round two: no single input may kill a run, hang it, or vanish without a word."""

from __future__ import annotations

import gzip
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, STORY, html_page, write

TEXT = "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY)
DUTCH = ("De gemeenteraad heeft dinsdagavond besloten dat de nieuwe brug over de rivier volgend voorjaar wordt "
         "geopend, na jaren van vertraging en stijgende kosten voor de bouw.")
ARABIC = ("قال المجلس البلدي إن الجسر الجديد فوق النهر سيفتح في الربيع المقبل بعد سنوات من التأخير وارتفاع "
          "تكاليف البناء في المدينة.")


def cli(*args: str, stdin: bytes | str | None = None, env: dict | None = None, timeout: float = 120,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "cli", *args], input=data, capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT)


def records(result: subprocess.CompletedProcess) -> list[dict]:
    def strict(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return [json.loads(line, parse_constant=strict) for line in result.stdout.decode().splitlines()]


def rejects_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def warc_record(url: str, body: bytes, length: int | None = None, extra_header: bytes = b"") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    size = len(http) if length is None else length
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: " + url.encode() +
            b"\r\nWARC-Record-ID: <urn:uuid:" + url.encode()[-8:] + b">\r\n" + extra_header +
            (b"Content-Length: %d\r\n" % size if length != -1 else b"") + b"\r\n")
    return head + http + b"\r\n\r\n"


PAGES = [(f"https://site.example/{i}", html_page(f"Story number {i} of the night",
                                                 [f"{s} ({i})" for s in STORY]).encode()) for i in range(4)]


def urls(result: subprocess.CompletedProcess) -> list[str]:
    return [r["url"] for r in records(result)]


# --- the whole run must not die ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["C", "C.UTF-8"])
def test_a_file_name_that_is_not_utf8(tmp_path, lang):
    folder = tmp_path / "in"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"bad\xff.txt"), "w") as handle:
        handle.write(TEXT)
    result = cli("ingest", str(folder), env={"LANG": lang, "LC_ALL": lang})
    assert result.returncode == 0, result.stderr
    assert [r["provenance"]["path"] for r in records(result)] == ["bad\\xff.txt"]
    listed = cli("ingest", "-", stdin=os.path.join(os.fsencode(folder), b"bad\xff.txt") + b"\n",
                 env={"LANG": lang, "LC_ALL": lang})
    assert listed.returncode == 0 and records(listed)[0]["provenance"]["path"].endswith("bad\\xff.txt")


def test_jsonl_lines_that_break_parsers_are_one_reject_each(tmp_path):
    good = json.dumps({"text": TEXT, "title": "Reservoirs"})
    lines = ['{"text": "lone \\ud800 surrogate in a story that is long enough to keep around", "title": "x"}',
             '{"text": "a number", "n": ' + "9" * 5000 + "}",
             "[" * 100_000 + "]" * 100_000,
             '{"text": "' + TEXT.replace("\n", "\\n") + '", "score": NaN, "max": Infinity}',
             good]
    write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    result = cli("ingest", str(tmp_path / "feed.jsonl"), "--rejects", str(rejects), "-q", "--keep-duplicates")
    assert result.returncode == 0, result.stderr
    got = records(result)  # strict JSON: no bare NaN
    assert got[0]["text"].startswith("lone \ufffd surrogate")
    assert {r["provenance"]["line"] for r in got} == {1, 4, 5}
    assert got[1]["meta"] == {"score": None, "max": None}, "NaN and Infinity become null"
    assert {r["path"]: r["reason"] for r in rejects_of(rejects)} == {"feed.jsonl:2": "malformed",
                                                                      "feed.jsonl:3": "malformed"}


def test_a_warc_gzipped_as_one_stream_with_a_corrupt_record(tmp_path):
    body = b"".join(warc_record(url, page) for url, page in PAGES[:2])
    body += warc_record(PAGES[2][0], PAGES[2][1], length=10)  # a length that is a lie
    body += b"".join(warc_record(url, page) for url, page in PAGES[3:])
    write(tmp_path / "whole.warc.gz", gzip.compress(body))
    rejects = tmp_path / "rejects.jsonl"
    result = cli("ingest", str(tmp_path / "whole.warc.gz"), "--rejects", str(rejects), "-q", "--keep-duplicates")
    assert result.returncode == 0, result.stderr
    assert urls(result) == [PAGES[0][0], PAGES[1][0], PAGES[3][0]]
    assert [r["reason"] for r in rejects_of(rejects)] == ["decode-error"]


# --- documents must not vanish -------------------------------------------------------------------------------------

def test_every_gzip_member_and_zstd_frame_is_read(tmp_path):
    half = len(STORY) // 2
    first = "Reservoirs at a thirty-year low\n\n" + "\n\n".join(STORY[:half]) + "\n\n"
    second = "\n\n".join(STORY[half:])
    write(tmp_path / "in" / "a.txt.gz", gzip.compress(first.encode()) + gzip.compress(second.encode()))
    zstandard = pytest.importorskip("zstandard")
    z = zstandard.ZstdCompressor()
    write(tmp_path / "in" / "b.txt.zst", z.compress(first.encode()) + z.compress(second.encode()))
    write(tmp_path / "in" / "c.jsonl.zst", z.compress((json.dumps({"text": first}) + "\n").encode())
          + z.compress((json.dumps({"text": second}) + "\n").encode()))
    got = records(cli("ingest", str(tmp_path / "in"), "-q", "--keep-duplicates"))
    assert got[0]["text"].split("\n") == STORY and got[1]["text"].split("\n") == STORY
    assert [r["provenance"]["line"] for r in got[2:]] == [1, 2], "both frames of the feed"


def test_a_truncated_zstd_file_is_a_decode_error_not_empty(tmp_path):
    zstandard = pytest.importorskip("zstandard")
    data = zstandard.ZstdCompressor().compress((TEXT * 50).encode())
    write(tmp_path / "in" / "cut.txt.zst", data[: len(data) // 2])
    rejects = tmp_path / "rejects.jsonl"
    cli("ingest", str(tmp_path / "in"), "--rejects", str(rejects), "-q")
    assert [r["reason"] for r in rejects_of(rejects)] == ["decode-error"]


@pytest.mark.parametrize("case", ["no-length", "overlong", "junk-in-fake-gz", "huge-header-line"])
def test_warc_records_after_a_broken_one_are_kept(tmp_path, case):
    (u0, p0), (u1, p1), (u2, p2), (u3, p3) = PAGES
    broken = {
        "no-length": warc_record(u1, p1, length=-1),
        "overlong": warc_record(u1, p1, length=len(p1) + 200),
        "junk-in-fake-gz": b"\x00junk that is not a record\r\n" * 40,
        "huge-header-line": warc_record(u1, p1, extra_header=b"X-Long: " + b"x" * (2 * 1024 * 1024) + b"\r\n"),
    }[case]
    name = "fake.warc.gz" if case == "junk-in-fake-gz" else "crawl.warc"
    write(tmp_path / name, warc_record(u0, p0) + broken + warc_record(u2, p2) + warc_record(u3, p3))
    rejects = tmp_path / "rejects.jsonl"
    result = cli("ingest", str(tmp_path / name), "--rejects", str(rejects), "-q", "--keep-duplicates")
    assert result.returncode == 0, result.stderr
    assert urls(result) == [u0, u2, u3], "the records after the broken one are read"
    assert [r["reason"] for r in rejects_of(rejects)] == ["decode-error"], "and the broken one is said"


def test_what_a_path_list_names_is_never_an_unsupported_type(tmp_path):
    write(tmp_path / "a.txt", TEXT)
    listing = f"{tmp_path / 'a.txt'}\r\n{tmp_path / 'missing-folder'}\r\n".encode()
    rejects = tmp_path / "rejects.jsonl"
    result = cli("ingest", "-", "--rejects", str(rejects), "--strict", "-q", stdin=listing)
    assert result.returncode == 3 and len(records(result)) == 1, "CRLF lines read; the missing folder counts"
    (reject,) = rejects_of(rejects)
    assert reject["reason"] == "unreadable" and reject["path"].endswith("missing-folder")


@pytest.mark.parametrize("name,content", [("empty.jsonl", b""), ("empty.jsonl.gz", gzip.compress(b"", mtime=0)),
                                          ("empty.warc", b""), ("blank.jsonl", b"\n\n")])
def test_an_empty_container_is_an_empty_reject(tmp_path, name, content):
    write(tmp_path / "in" / name, content)
    rejects = tmp_path / "rejects.jsonl"
    cli("ingest", str(tmp_path / "in"), "--rejects", str(rejects), "-q")
    assert [(r["path"], r["reason"]) for r in rejects_of(rejects)] == [(name, "empty")]


def test_hidden_folders_are_counted(tmp_path):
    write(tmp_path / "in" / ".git" / "a.txt", TEXT)
    write(tmp_path / "in" / "story.txt", TEXT)
    rejects = tmp_path / "rejects.jsonl"
    cli("ingest", str(tmp_path / "in"), "--rejects", str(rejects), "-q")
    assert [(r["path"], r["reason"]) for r in rejects_of(rejects)] == [(".git", "hidden")]


def test_an_unreadable_folder_is_an_unreadable_reject(tmp_path):
    shared = tmp_path
    write(shared / "in" / "ok" / "a.txt", TEXT)
    locked = shared / "in" / "locked"
    write(locked / "b.txt", TEXT)
    locked.chmod(0)
    rejects = shared / "rejects.jsonl"
    result = _as_unprivileged(["ingest", str(shared / "in"), "--rejects", str(rejects), "--strict", "-q"])
    assert result.returncode == 3, result.stderr
    assert [(r["path"], r["reason"]) for r in rejects_of(rejects)] == [("locked", "unreadable")]


def test_a_timeout_never_breaks_the_language_detector():
    """Timers start only after the libraries are loaded; documents after many timeouts are right."""
    from corpus.dedup.minhash import MinHashParams
    from corpus.document import Source
    from corpus.inputs.files import RawInput
    from corpus.run.process import process_safely, warm_up

    def raw(text: str) -> RawInput:
        return RawInput("x", Source("x.txt", "", None, None, "text"), text.encode(), "text")

    warm_up()
    outcomes = [process_safely(raw(DUTCH), MinHashParams(), 1e-5) for _ in range(50)]
    assert any(getattr(o, "reason", None) == "timeout" for o in outcomes)
    for text, lang in ((DUTCH, "nl"), (ARABIC, "ar"), (TEXT, "en")):
        assert process_safely(raw(text), MinHashParams(), 0).lang == lang


# --- no hangs, bounded memory --------------------------------------------------------------------------------------

def test_a_fifo_and_a_device_with_manifest_do_not_hang(tmp_path):
    write(tmp_path / "in" / "a.txt", TEXT)
    os.mkfifo(tmp_path / "in" / "pipe.txt")
    rejects = tmp_path / "rejects.jsonl"
    result = cli("ingest", str(tmp_path / "in"), "/dev/zero", "--manifest", str(tmp_path / "m.json"),
                 "--rejects", str(rejects), "-q", timeout=60)
    assert result.returncode == 0 and len(records(result)) == 1
    reasons = {r["path"]: (r["reason"], r["message"]) for r in rejects_of(rejects)}
    (pipe,) = [key for key in reasons if key.endswith("in/pipe.txt")]
    assert reasons[pipe] == ("unreadable", "not a regular file (a FIFO)")
    assert [reason for path, (reason, _) in reasons.items() if path.endswith("dev/zero")] == ["unreadable"]


def measured_ingest(folder: Path, rejects: Path, *extra: str) -> tuple[int, int, int]:
    """`newsclean ingest FOLDER --workers 1`, run from a fresh interpreter so that its peak RSS is its own:
    (exit code, records written, peak RSS of the run in MiB)."""
    script = (f"import resource, subprocess, sys; r = subprocess.run([sys.executable, '-m', 'cli', 'ingest', "
              f"{str(folder)!r}, '--workers', '1', '--rejects', {str(rejects)!r}, '-q', *{list(extra)!r}], "
              "capture_output=True); print(r.returncode, len(r.stdout.splitlines()), "
              "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)")
    code, count, peak = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                                       timeout=120).stdout.split()
    return int(code), int(count), int(peak)


def test_endless_input_on_stdin_or_as_a_file_does_not_grow(tmp_path):
    with open("/dev/zero", "rb") as zero:
        result = subprocess.run([sys.executable, "-m", "cli", "ingest", "-", "--rejects", str(tmp_path / "r.jsonl"),
                                 "-q"], stdin=zero, capture_output=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0
    assert rejects_of(tmp_path / "r.jsonl")[0]["reason"] == "malformed", "not a list of paths: said, and left"
    zeros = tmp_path / "zeros"
    with open(zeros, "wb") as handle:  # 120 MB of NUL bytes and no newline: records on stdin that never end a line
        handle.truncate(120 << 20)
    with open(zeros, "rb") as stream:
        result = subprocess.run([sys.executable, "-m", "cli", "ingest", "-", "--stdin-format", "jsonl", "--rejects",
                                 str(tmp_path / "j.jsonl"), "-q"], stdin=stream, capture_output=True, timeout=60,
                                cwd=ROOT)
    assert result.returncode == 0 and rejects_of(tmp_path / "j.jsonl")[0]["reason"] == "too-large"
    result = cli("dedup", "/dev/zero", "--rejects", str(tmp_path / "d.jsonl"), "-q", timeout=60)
    assert result.returncode == 0 and rejects_of(tmp_path / "d.jsonl")[0]["reason"] == "unreadable"


def test_huge_lines_are_bounded_before_they_are_held(tmp_path):
    """A 200 MB line in a small .jsonl.gz, and a 200 MB WARC header line: each is one reject, memory stays low."""
    line = gzip.compress(b'{"text": "' + b"a" * (200 << 20) + b'"}\n', compresslevel=1)
    write(tmp_path / "in" / "feed.jsonl.gz", line + gzip.compress((json.dumps({"text": TEXT}) + "\n").encode()))
    (u0, p0), (u1, p1) = PAGES[:2]
    header = warc_record(u0, p0, extra_header=b"X-Long: " + b"x" * (200 << 20) + b"\r\n")
    write(tmp_path / "in" / "crawl.warc.gz", gzip.compress(header, compresslevel=1) + gzip.compress(
        warc_record(u1, p1)))
    code, count, peak = measured_ingest(tmp_path / "in", tmp_path / "r.jsonl", "--keep-duplicates")
    assert (code, count) == (0, 2), "the records after each huge line are read"
    assert sorted(r["reason"] for r in rejects_of(tmp_path / "r.jsonl")) == ["decode-error", "too-large"]
    assert peak < 600, f"peak {peak} MiB"


def test_a_large_page_stays_within_the_stated_worker_bound(tmp_path):
    """README: a worker stays under 1 GiB; a 47 MB page of inline data and scripts is read, and a page with more
    markup than may be parsed is rejected before it is."""
    filler = "<script>var x = '" + "a" * (20 << 20) + "';</script><img src='data:image/png;base64," + "QUJD" * (
        7 << 20) + "'>"
    write(tmp_path / "in" / "big.html", html_page("A very heavy page indeed", STORY, chrome=filler))
    write(tmp_path / "in" / "markup.html", html_page("Too much markup", ["<b>x</b>" * 2_000_000]))
    code, count, peak = measured_ingest(tmp_path / "in", tmp_path / "r.jsonl")
    assert (code, count) == (0, 1) and peak < 1024, f"peak {peak} MiB"
    assert [r["reason"] for r in rejects_of(tmp_path / "r.jsonl")] == ["too-large"]


def test_a_tiny_timeout_with_workers_never_hangs(tmp_path):
    for i in range(12):
        write(tmp_path / "in" / f"{i:02d}.txt", f"Story number {i} tonight\n\n" + "\n\n".join(STORY))
    rejects = tmp_path / "r.jsonl"
    result = cli("ingest", str(tmp_path / "in"), "--timeout", "1e-7", "--workers", "2", "--rejects", str(rejects),
                 "-q", "--keep-duplicates", timeout=120)
    assert result.returncode == 0
    assert len(records(result)) + len(rejects_of(rejects)) == 12


def test_a_worker_that_dies_is_replaced_and_its_document_rejected(tmp_path, monkeypatch):
    """A document whose processing kills its process (here: os._exit, as a segfault or the OOM killer would)."""
    from click.testing import CliRunner

    import corpus.run.process
    from cli.main import main

    first, *rest = corpus.run.process.STAGES

    def fragile(raw, *args):
        if b"poison" in raw.data:
            os._exit(1)
        return first(raw, *args)

    monkeypatch.setattr(corpus.run.process, "STAGES", (fragile, *rest))
    for i in range(6):
        write(tmp_path / "in" / f"{i}.txt", f"Story number {i} tonight\n\n" + "\n\n".join(STORY)
              + ("\n\npoison" if i == 2 else ""))
    rejects = tmp_path / "r.jsonl"
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "in"), "--workers", "2", "--rejects", str(rejects),
                                       "-q", "--keep-duplicates"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 5
    assert [(r["path"], r["reason"]) for r in rejects_of(rejects)] == [("2.txt", "crashed")]


# --- signals, files, messages --------------------------------------------------------------------------------------

def _slow_run(tmp_path: Path, out: Path) -> subprocess.Popen:
    """A run reading paths from a stdin that stays open: surely half-way when the signal comes."""
    write(tmp_path / "a.txt", TEXT)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", "-", "-o", str(out), "--rejects",
                             str(out.with_suffix(".rejects")), "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdin.write(f"{tmp_path / 'a.txt'}\n".encode())
    proc.stdin.flush()
    time.sleep(2)
    return proc


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_ends_the_run_cleanly(tmp_path, signum, code):
    out = tmp_path / "out" / "clean.jsonl"
    write(out, "last night\n")
    proc = _slow_run(tmp_path, out)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    assert len(err.decode().strip().splitlines()) == 1 and "interrupted" in err.decode()
    assert sorted(p.name for p in out.parent.iterdir()) == ["clean.jsonl"], "no temporary files left"
    assert out.read_text() == "last night\n"


def test_ctrl_c_during_start_up_is_one_line(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    # Start-up is newsclean's own: the libraries being loaded (lxml is among the first), not the
    # interpreter's own start, which no program can guard (a loaded machine can take seconds there).
    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + 30
    while maps.exists() and "lxml" not in maps.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode in (130, -signal.SIGINT), err  # never lost: a library's bare except swallowed it once
    assert b"Traceback" not in err and len(err.decode().strip().splitlines()) <= 1


def test_output_onto_links_fifos_and_devices(tmp_path):
    write(tmp_path / "in" / "a.txt", TEXT)
    target = write(tmp_path / "real.jsonl", "old\n")
    (tmp_path / "link.jsonl").symlink_to(target)
    assert cli("ingest", str(tmp_path / "in"), "-o", str(tmp_path / "link.jsonl"), "-q").returncode == 0
    assert (tmp_path / "link.jsonl").is_symlink() and json.loads(target.read_text())["title"]
    assert cli("ingest", str(tmp_path / "in"), "-o", "/dev/null", "-q").returncode == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(tmp_path / "in"), "-o", str(fifo), "-q"],
                            cwd=ROOT)
    with open(fifo) as reader:
        assert json.loads(reader.readline())["title"]
    assert proc.wait(timeout=60) == 0 and stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600)])
def test_new_outputs_follow_the_umask(tmp_path, umask, mode):
    write(tmp_path / "in" / "a.txt", TEXT)
    out = tmp_path / "out.jsonl"
    script = (f"import os, sys, runpy; os.umask({umask}); sys.argv = ['newsclean', 'ingest', "
              f"{str(tmp_path / 'in')!r}, '-o', {str(out)!r}, '-q']; from cli.entry import run; run()")
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=60)
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_a_lock_file_left_by_another_user(tmp_path):
    shared = tmp_path
    write(shared / "in" / "a.txt", TEXT)
    state = shared / "state.db"
    assert _as_unprivileged(["ingest", str(shared / "in"), "--state", str(state), "-q"]).returncode == 0
    lock = Path(f"{state}.lock")
    lock.chmod(0o444)  # as if made by another user with a umask that leaves it read-only to us
    result = _as_unprivileged(["ingest", str(shared / "in"), "--state", str(state), "-q"])
    assert result.returncode == 0, result.stderr


def test_messages_that_say_something(tmp_path):
    write(tmp_path / "in" / "a.txt", TEXT)
    closed = subprocess.run(f"{sys.executable} -m cli ingest {tmp_path / 'in'} >&-", shell=True, cwd=ROOT,
                            capture_output=True, timeout=60)
    assert closed.returncode == 2 and b"standard output is closed" in closed.stderr
    assert cli("ingest", str(tmp_path / "in"), "--timeout", "inf").returncode == 2
    write(tmp_path / "notastate.db", "this is not a database" * 100)
    bad_state = cli("ingest", str(tmp_path / "in"), "--state", str(tmp_path / "notastate.db"))
    assert bad_state.returncode == 1 and str(tmp_path / "notastate.db") in bad_state.stderr.decode()
    records_in = [json.dumps({"id": "x", "text": TEXT}), json.dumps({"id": "y", "text": TEXT, "provenance": {
        "path": "a.txt", "format": "text"}})]
    rejects = tmp_path / "r.jsonl"
    deduped = cli("dedup", "-", "--rejects", str(rejects), "-q", stdin="\n".join(records_in) + "\n")
    assert deduped.returncode == 0 and len(records(deduped)) == 1
    assert [(r["path"], r["reason"]) for r in rejects_of(rejects)] == [("<stdin>:1", "malformed")]
    write(tmp_path / "gz" / "a.txt.gz", gzip.compress(TEXT.encode()))
    huge = cli("ingest", str(tmp_path / "gz"), "--max-bytes", "99999999999999999999", "-q")
    assert huge.returncode == 0 and len(records(huge)) == 1


def test_an_error_without_words_still_says_what_it_is():
    from corpus.inputs.streams import describe

    assert describe(MemoryError()) == "ran out of memory (MemoryError)"
    assert describe(ValueError("bad")) == "ValueError: bad"


# --- helpers for running without root's power to read anything -----------------------------------------------------

def _drop_file_powers() -> None:
    """In the child, before exec: root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH obeys file modes."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_unprivileged(args: list[str]) -> subprocess.CompletedProcess:
    """Run newsclean so that file modes apply to it, as they do to every user but root."""
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, timeout=120, cwd=ROOT,
                          preexec_fn=_drop_file_powers if os.geteuid() == 0 else None)
