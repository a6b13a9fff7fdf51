"""WARC, crawler JSONL, the clean and dedup commands, and the run manifest."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import STORY, html_page, write

CINEMA = [
    "The city's oldest cinema will close at the end of the month after its owners failed to find a buyer, "
    "ending ninety years of screenings on the high street.",
    "Staff said attendance had never recovered after the pandemic, and replacing the projector and the "
    "heating would cost more than the building could earn back.",
    "A group of residents has started a campaign to buy the cinema and run it as a community venue.",
]
MARKET = [
    "The covered market will open on Sundays from next month, the council said, after traders asked for a "
    "seventh day to make up for a quiet winter.",
    "Stallholders will pay no extra rent for the Sunday opening during a six-month trial, and the car park "
    "next to the market will be free after noon.",
    "The council will decide in the autumn whether to keep the extra day, based on footfall counts.",
]


def response(writer: WARCWriter, url: str, body: bytes, status: str = "200 OK", ctype: str = "text/html") -> None:
    http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                  http_headers=http))


def build_warc(path, corrupt_middle: bool = False) -> list[int]:
    """drought page, a PNG, a 404, cinema page, market page; returns each record's start offset."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    offsets = []
    pages = [("https://a.example/drought", html_page("Reservoirs at a thirty-year low", STORY).encode(), "200 OK",
              "text/html; charset=utf-8"),
             ("https://a.example/logo.png", b"\x89PNG fake image", "200 OK", "image/png"),
             ("https://a.example/gone", b"<html><body>gone</body></html>", "404 Not Found", "text/html"),
             ("https://b.example/cinema", html_page("Oldest cinema to close", CINEMA).encode(), "200 OK", "text/html"),
             ("https://b.example/market", html_page("Market opens on Sundays", MARKET).encode(), "200 OK",
              "text/html")]
    for url, body, status, ctype in pages:
        offsets.append(buffer.tell())
        response(writer, url, body, status, ctype)
    data = bytearray(buffer.getvalue())
    if corrupt_middle:  # garble the compressed body of the cinema record
        start = offsets[3] + 40
        data[start: start + 200] = b"\x00" * 200
    write(path, bytes(data))
    return offsets


def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "cli", *args], input=stdin, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def records(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_warc_responses_become_documents_with_exact_provenance(tmp_path):
    offsets = build_warc(tmp_path / "in" / "CC-NEWS-test.warc.gz")
    result = run("ingest", str(tmp_path / "in"), "--workers", "2")
    got = records(result)
    assert [r["url"] for r in got] == ["https://a.example/drought", "https://b.example/cinema",
                                       "https://b.example/market"], "the target URI stands in for a missing url"
    for record, offset in zip(got, (offsets[0], offsets[3], offsets[4]), strict=True):
        prov = record["provenance"]
        assert prov["path"] == "CC-NEWS-test.warc.gz" and prov["format"] == "warc.gz"
        assert prov["offset"] == offset and prov["warc_record_id"].startswith("<urn:uuid:")
        assert prov["warc_target_uri"] == record["url"] and prov["warc_date"]
    with open(tmp_path / "in" / "CC-NEWS-test.warc.gz", "rb") as handle:  # the offset points at the record
        handle.seek(got[1]["provenance"]["offset"])
        assert b"b.example/cinema" in gzip.GzipFile(fileobj=handle).read(2000)
    assert "warc-not-html 1" in result.stderr and "warc-not-200 1" in result.stderr


def test_a_corrupt_warc_record_is_a_reject_and_the_rest_goes_through(tmp_path):
    offsets = build_warc(tmp_path / "bad.warc.gz", corrupt_middle=True)
    rejects = tmp_path / "rejects.jsonl"
    got = records(run("ingest", str(tmp_path / "bad.warc.gz"), "--rejects", str(rejects), "--workers", "1", "-q"))
    urls = [r["url"] for r in got]
    assert "https://a.example/drought" in urls and "https://b.example/market" in urls
    assert "https://b.example/cinema" not in urls
    (reject,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["reason"] == "decode-error" and reject["file"] == "bad.warc.gz"
    assert reject["path"] == f"bad.warc.gz@{offsets[3]}"


def test_jsonl_input_keeps_fields_passes_meta_and_rejects_broken_lines(tmp_path):
    lines = [
        json.dumps({"id": "crawl-1", "url": "https://c.example/drought", "title": "Reservoirs low",
                    "date": "2026-11-23", "text": "\n".join(STORY), "source": "crawler-7", "lang_hint": "en"}),
        "{not json",
        json.dumps({"url": "https://c.example/nothing"}),
        json.dumps({"html": html_page("Oldest cinema to close", CINEMA), "id": "crawl-2"}),
    ]
    write(tmp_path / "feed.jsonl.gz", gzip.compress(("\n".join(lines) + "\n").encode()))
    rejects = tmp_path / "rejects.jsonl"
    got = records(run("ingest", str(tmp_path / "feed.jsonl.gz"), "--rejects", str(rejects), "-q"))
    assert [r["source_id"] for r in got] == ["crawl-1", "crawl-2"], "the crawler's id is kept, as source_id"
    assert len({r["id"] for r in got}) == 2 and not {r["id"] for r in got} & {"crawl-1", "crawl-2"}
    first = got[0]
    assert first["title"] == "Reservoirs low" and first["date"] == "2026-11-23"
    assert first["url"] == "https://c.example/drought" and first["meta"] == {"source": "crawler-7", "lang_hint": "en"}
    assert first["provenance"]["line"] == 1 and first["provenance"]["format"] == "jsonl.gz"
    assert got[1]["title"] == "Oldest cinema to close" and CINEMA[0] in got[1]["text"]
    found = {r["path"]: r["reason"] for r in map(json.loads, rejects.read_text().splitlines())}
    assert found == {"feed.jsonl.gz:2": "malformed", "feed.jsonl.gz:3": "malformed"}


def test_zstd_input(tmp_path):
    zstandard = pytest.importorskip("zstandard")
    line = json.dumps({"text": "\n".join(CINEMA), "title": "Cinema"}) + "\n"
    write(tmp_path / "feed.jsonl.zst", zstandard.ZstdCompressor().compress(line.encode()))
    write(tmp_path / "page.html.zst", zstandard.ZstdCompressor().compress(html_page("Market", MARKET).encode()))
    got = records(run("ingest", str(tmp_path), "-q"))
    assert [r["provenance"]["format"] for r in got] == ["jsonl.zst", "html.zst"]


def test_one_stream_across_warc_jsonl_and_pages_with_stdin_records(tmp_path):
    build_warc(tmp_path / "cc.warc.gz")
    write(tmp_path / "pages" / "drought-copy.txt", "Reservoirs hit thirty-year low\n\n" + "\n\n".join(STORY))
    feed = json.dumps({"url": "https://d.example/market", "text": "\n".join(MARKET)}) + "\n"
    got = records(run("ingest", str(tmp_path / "cc.warc.gz"), "-", str(tmp_path / "pages"), "--stdin-format",
                      "jsonl", "--keep-duplicates", "-q", stdin=feed))
    paths = [r["provenance"]["path"] for r in got]
    assert paths == ["cc.warc.gz"] * 3 + ["<stdin>", "pages/drought-copy.txt"], "relative to the arguments' folder"
    by_url = {r["url"]: r for r in got}
    assert by_url["https://d.example/market"]["duplicate_of"] == by_url["https://b.example/market"]["id"]
    copy = next(r for r in got if r["provenance"]["path"] == "pages/drought-copy.txt")
    assert copy["duplicate_of"] == by_url["https://a.example/drought"]["id"], "WARC page and text copy meet"


def test_clean_then_dedup_gives_what_ingest_gives(tmp_path):
    lines = [json.dumps({"id": f"n{i}", "html": html_page(title, body)}) for i, (title, body) in
             enumerate([("Reservoirs low", STORY), ("Cinema to close", CINEMA), ("Reservoirs low again", STORY[:-1]),
                        ("Market on Sundays", MARKET)])]
    feed = tmp_path / "feed.jsonl"
    write(feed, "\n".join(lines) + "\n")
    state_a, state_b = tmp_path / "a.db", tmp_path / "b.db"
    ingested = run("ingest", str(feed), "--keep-duplicates", "--state", str(state_a), "-q").stdout
    pipe = (f"{sys.executable} -m cli clean - -q < {feed} | "
            f"{sys.executable} -m cli dedup - --keep-duplicates --state {state_b} -q")
    piped = subprocess.run(["bash", "-o", "pipefail", "-c", pipe], capture_output=True, text=True, check=True).stdout
    file_level = ("path", "sha256", "bytes")  # a file, then stdin (which has no file hash)
    strip = [{**r, "provenance": {k: v for k, v in r["provenance"].items() if k not in file_level}}
             for r in map(json.loads, ingested.splitlines())]
    strip_piped = [{**r, "provenance": {k: v for k, v in r["provenance"].items() if k not in file_level}}
                   for r in map(json.loads, piped.splitlines())]
    assert strip == strip_piped, "only the input's name and file hash differ; ids are the same"
    assert sum(r["duplicate_of"] is not None for r in strip) == 1
    cleaned = records(run("clean", str(feed), "-q"))
    assert all(r["duplicate_of"] is None for r in cleaned) and len(cleaned) == 4


def test_manifest_says_what_became_of_every_input(tmp_path):
    build_warc(tmp_path / "in" / "cc.warc.gz")
    write(tmp_path / "in" / "copy.txt", "Reservoirs hit thirty-year low\n\n" + "\n\n".join(STORY))
    write(tmp_path / "in" / "empty.txt", "")
    manifest = tmp_path / "run.json"
    out = tmp_path / "out.jsonl"
    run("ingest", str(tmp_path / "in"), "-o", str(out), "--manifest", str(manifest), "-q")
    doc = json.loads(manifest.read_text())
    assert doc["started"] <= doc["finished"] and doc["libraries"]["trafilatura"]
    assert doc["rules_fingerprint"] and doc["minhash"]["num_perm"] == 128
    inputs = {i["path"]: i for i in doc["inputs"]}
    assert inputs["cc.warc.gz"]["outcomes"] == {"records": 3, "warc-not-200": 1, "warc-not-html": 1}
    assert inputs["copy.txt"]["outcomes"] == {"duplicates": 1}
    assert inputs["empty.txt"]["outcomes"] == {"empty": 1}, "rejects are counted by reason"
    assert len(inputs["copy.txt"]["sha256"]) == 64
    assert doc["started"] not in out.read_text() and doc["finished"] not in out.read_text(), "no run time in records"


def test_a_warc_cut_off_inside_its_last_gzip_member_keeps_the_records_before(tmp_path):
    offsets = build_warc(tmp_path / "full.warc.gz")
    data = (tmp_path / "full.warc.gz").read_bytes()
    write(tmp_path / "in" / "cut.warc.gz", data[: offsets[4] + 120])  # the market record ends early
    rejects = tmp_path / "rejects.jsonl"
    got = records(run("ingest", str(tmp_path / "in"), "--rejects", str(rejects), "--workers", "1", "-q"))
    assert [r["url"] for r in got] == ["https://a.example/drought", "https://b.example/cinema"]
    (reject,) = [json.loads(line) for line in rejects.read_text().split("\n") if line]
    assert reject["reason"] == "decode-error" and reject["path"] == f"cut.warc.gz@{offsets[4]}"


def test_a_warc_record_over_the_time_limit_is_named_by_its_offset(tmp_path):
    offsets = build_warc(tmp_path / "cc.warc.gz")
    rejects = tmp_path / "rejects.jsonl"
    run("ingest", str(tmp_path / "cc.warc.gz"), "--timeout", "0.001", "--rejects", str(rejects), "--workers", "1",
        "-q")
    found = [json.loads(line) for line in rejects.read_text().split("\n") if line]
    assert [(r["path"], r["reason"], r["file"]) for r in found] == [
        (f"cc.warc.gz@{offset}", "timeout", "cc.warc.gz") for offset in (offsets[0], offsets[3], offsets[4])]


def test_a_records_path_relative_to_its_root_is_pathlibs_own(tmp_path, monkeypatch):
    """``relative_path`` compares normalised strings where pathlib compared parts: the same path shown, for
    files under the root, the root itself, files outside it, relative and absolute spellings, "..", ".",
    doubled and trailing slashes, the file system's root and names that are not UTF-8."""
    import itertools
    import os
    from pathlib import Path

    from corpus.inputs.files import relative_path, shown

    def pathlibs(path: Path, root: Path) -> str:
        try:
            rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            rel = path.as_posix()
        return shown(path.name if rel == "." else rel)

    monkeypatch.chdir(tmp_path)
    spellings = ["a/b.txt", "a/c/d.html", "./a/b.txt", "a//c/./d.html", "a/c/../b.txt", "b.txt", "../x.txt", "a",
                 "a/", ".", "/", "/etc/hosts", str(tmp_path / "a" / "b.txt"), str(tmp_path) + "//a/b.txt",
                 "a/b\udcff.txt", "ab/c.txt", "//srv/x.txt"]
    roots = ["a", "a/", "./a", "a/c", "ab", ".", "..", "/", str(tmp_path), str(tmp_path / "a"), "//srv"]
    for path, root in itertools.product(spellings, roots):
        assert relative_path(Path(path), Path(root)) == pathlibs(Path(path), Path(root)), (path, root)
