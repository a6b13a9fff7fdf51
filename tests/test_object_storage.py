"""PATHs and outputs in object storage, against a local S3 server (moto's, on 127.0.0.1) started here.

What an S3 prefix gives must be what the same files on disk give: ids, texts, paths, hashes,
duplicates, rejects. Nothing here reaches a real cloud.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import zstandard

from tests.conftest import STORY, html_page, write
from tests.test_inputs import CINEMA, MARKET, build_warc

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

BUCKET = "news"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A moto S3 server on a free port of 127.0.0.1; yields (fs, environment for newsclean)."""
    import s3fs

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    nowhere = tmp_path_factory.mktemp("aws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_CONFIG_FILE=str(nowhere / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(nowhere / "credentials"), NO_COLOR="1")
    fs = s3fs.S3FileSystem(key="testing", secret="testing", skip_instance_cache=True,
                           client_kwargs={"endpoint_url": env["AWS_ENDPOINT_URL"]})
    if fs.exists(BUCKET):  # moto keeps its buckets per process: another module's server made it
        fs.rm(BUCKET, recursive=True)
    fs.mkdir(BUCKET)
    yield fs, env
    with contextlib.suppress(Exception):  # leave the next module's server an empty process
        fs.rm(BUCKET, recursive=True)
    server.stop()


@pytest.fixture(scope="module")
def corpus(s3, tmp_path_factory) -> Path:
    """Every kind of input, and files a walk skips or rejects, on disk and under s3://news/corpus/."""
    fs, _ = s3
    root = tmp_path_factory.mktemp("corpus")
    write(root / "pages" / "drought.html", html_page("Reservoirs at a thirty-year low", STORY))
    write(root / "pages" / "drought-copy.txt", "Reservoirs at a thirty-year low\n" + "\n".join(STORY))
    write(root / "pages" / "cinema.html.gz", gzip.compress(html_page("Oldest cinema to close", CINEMA).encode()))
    write(root / "pages" / "empty.txt", "  \n")
    write(root / "pages" / ".draft.html", html_page("Draft", MARKET))
    write(root / "pages" / ".git" / "config", "[core]\n")
    write(root / "pages" / "scan.pdf", b"%PDF-1.4 not read")
    write(root / "pages.txt", "\n".join(MARKET))  # sorts after the folder pages/, as a local walk has it
    build_warc(root / "cc" / "CC-NEWS-1.warc.gz")
    lines = [json.dumps({"id": "m1", "url": "https://c.example/market", "text": "\n".join(MARKET), "topic": "x"}),
             "{not json", json.dumps({"html": html_page("Oldest cinema to close", CINEMA)})]
    write(root / "feeds" / "crawl.jsonl", "\n".join(lines) + "\n")
    older = json.dumps({"id": "d1", "text": "Reservoirs at a thirty-year low\n" + "\n".join(STORY)}) + "\n"
    write(root / "feeds" / "older.jsonl.gz", gzip.compress(older.encode()))
    write(root / "feeds" / "oldest.jsonl.zst", zstandard.ZstdCompressor().compress(older.encode()))
    for path in sorted(root.rglob("*")):
        if path.is_file():
            fs.put_file(str(path), f"{BUCKET}/corpus/{path.relative_to(root).as_posix()}")
    return root


def newsclean(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    workers = [] if args[0] == "dedup" else ["--workers", "2"]
    result = subprocess.run([sys.executable, "-m", "cli", *args, *workers], capture_output=True, text=True, env=env,
                            timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def jsonl(text: str | bytes) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def on_disk(s3, corpus, tmp_path_factory) -> dict:
    """The run every object-storage run is compared with: the same files, read from disk, written to disk."""
    _, env = s3
    out = tmp_path_factory.mktemp("local")
    result = newsclean(env, "ingest", str(corpus), "--keep-duplicates", "-o", str(out / "x.jsonl.gz"),
                       "--rejects", str(out / "rejects.jsonl"), "--manifest", str(out / "run.json"))
    return {"records": gzip.decompress((out / "x.jsonl.gz").read_bytes()), "stderr": result.stderr,
            "rejects": (out / "rejects.jsonl").read_bytes(), "manifest": json.loads((out / "run.json").read_text())}


def test_s3_in_and_out_gives_the_records_rejects_and_manifest_of_the_same_files_on_disk(s3, on_disk):
    fs, env = s3
    out = f"s3://{BUCKET}/out"
    remote = newsclean(env, "ingest", f"s3://{BUCKET}/corpus/", "--keep-duplicates", "-o", f"{out}/x.jsonl.gz",
                       "--rejects", f"{out}/rejects.jsonl", "--manifest", f"{out}/run.json")
    written = gzip.decompress(fs.cat(f"{BUCKET}/out/x.jsonl.gz"))
    assert written == on_disk["records"], "ids, texts, paths, hashes and duplicates alike, byte for byte"
    records = jsonl(written)
    formats = {r["provenance"]["format"] for r in records}
    assert formats == {"html", "html.gz", "text", "warc.gz", "jsonl", "jsonl.gz", "jsonl.zst"}, formats
    assert any(r["duplicate_of"] for r in records), "the copies are marked as in the local run"
    warc = [r for r in records if r["provenance"]["format"] == "warc.gz"]
    assert warc and all(r["provenance"]["path"] == "cc/CC-NEWS-1.warc.gz" and r["provenance"]["sha256"]
                        for r in warc)
    rejects = fs.cat(f"{BUCKET}/out/rejects.jsonl")
    assert rejects == on_disk["rejects"]
    reasons = {(r["path"], r["reason"]) for r in jsonl(rejects)}
    assert {("pages/.draft.html", "hidden"), ("pages/.git", "hidden"), ("pages/scan.pdf", "unsupported-type"),
            ("pages/empty.txt", "empty"), ("feeds/crawl.jsonl:2", "malformed")} <= reasons
    unstamped = functools.partial(re.sub, r"(?m)^\S+ \[[0-9a-f]{8}\] ", "")  # each log line's time and run id
    assert unstamped(remote.stderr) == unstamped(on_disk["stderr"]), "the same summary"
    inputs = json.loads(fs.cat(f"{BUCKET}/out/run.json"))["inputs"]
    assert [{k: v for k, v in entry.items() if k != "url"} for entry in inputs] == on_disk["manifest"]["inputs"]
    by_path = {entry["path"]: entry for entry in inputs}
    assert by_path["cc/CC-NEWS-1.warc.gz"]["url"] == f"s3://{BUCKET}/corpus/cc/CC-NEWS-1.warc.gz"
    assert by_path["cc/CC-NEWS-1.warc.gz"]["sha256"] == warc[0]["provenance"]["sha256"]


def test_paths_are_relative_to_the_common_prefix_of_the_url_arguments(s3, on_disk):
    _, env = s3
    remote = newsclean(env, "ingest", f"s3://{BUCKET}/corpus/feeds/", f"s3://{BUCKET}/corpus/pages/drought.html",
                       "--keep-duplicates")
    def key(r: dict) -> tuple:  # not the id: a run gives a byte-identical second copy an id of its own
        return r["provenance"]["path"], r["provenance"]["sha256"], r["provenance"]["record_sha256"], r["text"]

    got = {key(r) for r in jsonl(remote.stdout)}
    local = {key(r) for r in jsonl(on_disk["records"])}
    assert {k[0] for k in got} == {"feeds/crawl.jsonl", "feeds/older.jsonl.gz", "feeds/oldest.jsonl.zst",
                                   "pages/drought.html"} and got <= local


def test_a_run_that_fails_leaves_nothing_at_the_url_nor_a_temporary_file(s3, corpus, tmp_path):
    """SIGTERM while the run is reading (its records on stdin never end): exit 143, no object, no staging file."""
    fs, env = s3
    staging = tmp_path / "tmp"
    staging.mkdir()
    target = f"s3://{BUCKET}/failed/x.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(corpus), "-", "--stdin-format", "jsonl",
                             "-o", target, "--workers", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**env, "TMPDIR": str(staging)})
    deadline = time.monotonic() + 60
    while not list(staging.glob(".newsclean-upload.*.part")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(staging.glob(".newsclean-upload.*.part")), "the output is staged in a local temporary file"
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert not fs.exists(target.removeprefix("s3://"))
    assert list(staging.iterdir()) == [], "the staging file is removed"


def test_a_missing_bucket_is_an_unreadable_reject_and_no_output_bucket_a_usage_error(s3, tmp_path, monkeypatch,
                                                                                    run_cli):
    _, env = s3
    rejects = tmp_path / "rejects.jsonl"
    result = newsclean(env, "ingest", "s3://no-such-bucket/corpus/", "--rejects", str(rejects), "--strict",
                       check=False)
    assert result.returncode == 3 and "Traceback" not in result.stderr, result.stderr
    (reject,) = jsonl(rejects.read_text())
    assert reject["reason"] == "unreadable" and "bucket" in reject["message"], reject
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(name, env[name])
    code, _, err = run_cli("ingest", f"s3://{BUCKET}/corpus/pages/", "-o", "s3://no-such-bucket/x.jsonl")
    assert code == 2 and "no such bucket" in err, "checked before any work"


def test_a_scheme_without_its_backend_is_a_usage_error_naming_the_extra(run_cli):
    try:
        import gcsfs  # noqa: F401
        pytest.skip("gcsfs is installed here")
    except ImportError:
        pass
    code, _, err = run_cli("ingest", "gs://bucket/corpus/")
    assert code == 2 and "pip install -e '.[gcs]' in the checkout" in err, err
    code, _, err = run_cli("ingest", "nosuch://bucket/corpus/")
    assert code == 2 and "no backend for nosuch://" in err
    code, _, err = run_cli("ingest", "gs://bucket/corpus/", "-o", "nosuch://b/x.jsonl")
    assert code == 2 and "gcs" in err


def test_a_single_file_over_http(s3, corpus, on_disk):
    """An https:// PATH is one file; served here over plain HTTP on 127.0.0.1 (the same fsspec backend)."""
    _, env = s3
    handler = functools.partial(QuietHandler, directory=str(corpus))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        remote = jsonl(newsclean(env, "ingest", f"http://{host}:{port}/cc/CC-NEWS-1.warc.gz").stdout)
    finally:
        server.shutdown()
    local = [r for r in jsonl(on_disk["records"]) if r["provenance"]["path"] == "cc/CC-NEWS-1.warc.gz"]
    for record in local:
        record["provenance"]["path"] = "CC-NEWS-1.warc.gz"  # the one file is its own folder
    assert remote == local and len(remote) == 3


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the name http.server gives it
        pass


def test_an_object_gone_since_the_listing_is_unreadable_and_the_others_are_read(s3, corpus, monkeypatch):
    """In-process: the reader's own view, with a plain URL string (as another executor would pass it)."""
    fs, env = s3
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(name, env[name])
    from corpus.inputs import objects as read_url

    for name, source in (("a.html", "drought.html"), ("b.txt", "drought-copy.txt"), ("c.html.gz", "cinema.html.gz")):
        fs.put_file(str(corpus / "pages" / source), f"{BUCKET}/gone/{name}")
    listed = read_url.walk_url

    def list_then_delete(url: str):
        entries = list(listed(url))
        fs.rm(f"{BUCKET}/gone/b.txt")
        return iter(entries)

    monkeypatch.setattr(read_url, "walk_url", list_then_delete)
    seen = []
    items = list(read_url.url_inputs(f"s3://{BUCKET}/gone/", 1 << 20, lambda rel, path: seen.append(rel)))
    assert [getattr(item, "reason", "read") for item in items] == ["read", "unreadable", "read"], items
    assert [item.source.path for item in (items[0], items[2])] == ["a.html", "c.html.gz"], "relative to the PATH"
    assert items[1].path == "b.txt" and seen == ["a.html", "b.txt", "c.html.gz"]
    assert items[0].source.abspath == f"s3://{BUCKET}/gone/a.html"


def test_clean_and_dedup_meet_in_the_bucket_and_give_what_ingest_gives(s3, on_disk):
    fs, env = s3
    cleaned = f"s3://{BUCKET}/halves/cleaned.jsonl.gz"
    newsclean(env, "clean", f"s3://{BUCKET}/corpus/", "-o", cleaned, "-q")
    deduplicated = newsclean(env, "dedup", cleaned, "--keep-duplicates", "-q")
    assert deduplicated.stdout.encode() == on_disk["records"]
