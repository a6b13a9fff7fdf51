"""The Dask workers read their own inputs and write their own outputs, against the moto S3 server on 127.0.0.1
(started here) and a local folder: the records are the local run's, byte for byte; the client never holds a text."""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from tests import test_object_storage as store
from tests.conftest import STORY
from tests.test_inputs import MARKET
from tests.test_object_storage import BUCKET, jsonl, newsclean

s3, corpus, on_disk = store.s3, store.corpus, store.on_disk  # the moto server, its corpus and the local run's records

distributed = pytest.importorskip("distributed")


RUNNING: list = []  # the module's cluster, for the test that kills one of its workers


@pytest.fixture(scope="module")
def cluster(s3):
    """Two Dask workers that know the store only from the standard environment (AWS_*), as on a cluster."""
    _, env = s3
    made = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None, silence_logs=logging.ERROR,
                                    env={k: v for k, v in env.items() if k.startswith("AWS_")})  # a restarted one too
    RUNNING[:] = [made]
    yield made.scheduler_address
    made.close()


def wait_for(condition, what: str, timeout: float = 120.0):  # noqa: ANN001, ANN201
    """Poll ``condition`` (a scheduler's state read from this thread) until it gives something true; no fixed sleeps:
    under load a run takes longer to start, and on an idle machine the test need not wait."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            found = condition()
        except RuntimeError:  # the scheduler's loop changed a dict while this thread read it: read again
            found = None
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout:.0f}s for {what}")


def parts(fs, prefix: str) -> bytes:
    names = sorted(n for n in fs.ls(prefix, detail=False) if n.rsplit("/", 1)[-1].startswith("part-"))
    return b"".join(gzip.decompress(fs.cat(n)) for n in names)


def names(fs, prefix: str) -> set[str]:
    fs.invalidate_cache()
    return {n.rsplit("/", 1)[-1] for n in fs.ls(prefix, detail=False)}


def staging_left(fs) -> list[str]:
    fs.invalidate_cache()
    return [n for n in fs.ls(BUCKET, detail=False) if n.endswith(".part")]


def test_workers_read_the_bucket_and_write_partitioned_output_to_it(s3, cluster, on_disk):
    fs, env = s3
    dask = ("--executor", "dask", "--scheduler", cluster)
    result = newsclean(env, "ingest", f"s3://{BUCKET}/corpus/", "--keep-duplicates", "-o", f"s3://{BUCKET}/parts/",
                       "--rejects", f"s3://{BUCKET}/parts.rejects.jsonl", *dask)
    assert parts(fs, f"{BUCKET}/parts") == on_disk["records"], "ids, texts, paths, hashes and duplicates alike"
    assert fs.cat(f"{BUCKET}/parts.rejects.jsonl") == on_disk["rejects"]
    assert {"_SUCCESS", "manifest.json", "part-00000.jsonl.gz"} <= names(fs, f"{BUCKET}/parts")
    inputs = json.loads(fs.cat(f"{BUCKET}/parts/manifest.json"))["inputs"]
    assert [{k: v for k, v in entry.items() if k != "url"} for entry in inputs] == on_disk["manifest"]["inputs"], \
        "the hashes the workers computed where they read, the outcomes the client counted"
    unstamped = functools.partial(re.sub, r"(?m)^\S+ \[[0-9a-f]{8}\] ", "")
    assert unstamped(result.stderr) == unstamped(on_disk["stderr"]), "the same summary"
    assert staging_left(fs) == []

    # the next night into the same prefix (its parts written by the client this time) replaces it whole
    newsclean(env, "ingest", f"s3://{BUCKET}/corpus/feeds/", "--keep-duplicates", "-o", f"s3://{BUCKET}/parts/")
    alone = newsclean(env, "ingest", f"s3://{BUCKET}/corpus/feeds/", "--keep-duplicates").stdout.encode()
    assert parts(fs, f"{BUCKET}/parts") == alone and names(fs, f"{BUCKET}/parts") == {
        "_SUCCESS", "manifest.json", "part-00000.jsonl.gz"}
    assert staging_left(fs) == []


def test_a_failed_run_leaves_last_nights_output_and_no_staging_prefix(s3, cluster, corpus, tmp_path):
    fs, env = s3
    target = f"s3://{BUCKET}/night/"
    newsclean(env, "ingest", f"s3://{BUCKET}/corpus/feeds/", "-o", target, "--executor", "dask", "--scheduler", cluster)
    before = {n: fs.cat(f"{BUCKET}/night/{n}") for n in names(fs, f"{BUCKET}/night")}
    # SIGTERM while the run is reading (its records on stdin never end): once it has joined the scheduler
    scheduler = RUNNING[0].scheduler
    known = set(scheduler.clients)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(corpus), "-", "--stdin-format", "jsonl",
                             "-o", target, "--executor", "dask", "--scheduler", cluster], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    wait_for(lambda: set(scheduler.clients) - known or proc.poll() is not None, "the run to join the scheduler")
    assert proc.poll() is None, proc.communicate()[1]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    # a run that fails once the workers have written their parts: the client discards them
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        os.environ[name] = env[name]
    try:
        from corpus.outputs.sinks import RemotePartitioned

        sink = RemotePartitioned(target)
        sink.write({"id": "x", "text": "half a night"})
        sink.finish()
        assert staging_left(fs), "the part is staged under the run's own prefix"
        sink.discard()
    finally:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
            os.environ.pop(name, None)
    assert {n: fs.cat(f"{BUCKET}/night/{n}") for n in names(fs, f"{BUCKET}/night")} == before
    assert staging_left(fs) == []


def big_feed(path: Path) -> Path:
    """A JSONL feed of many lines: stories, blank lines, a line that is not JSON, one over --max-bytes."""
    lines = []
    for n in range(40):
        paragraphs = (STORY if n % 2 else MARKET)[n % 3:] + [f"Update number {n} of the day's reporting on this."]
        lines.append(json.dumps({"id": f"f{n}", "url": f"https://n{n % 5}.example/story/{n}",
                                 "text": "\n".join(paragraphs)}))
        if n % 9 == 0:
            lines.append("")
        if n == 17:
            lines.append("{not json")
        if n == 23:
            lines.append(json.dumps({"text": "x" * 9000}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored(fs, make, path: Path, kind: str, compression: str | None):  # noqa: ANN001, ANN201
    """A container made at ``path`` (in a folder of its own), copied to the bucket under that folder's name, and
    its work description."""
    from corpus.inputs import work

    path.parent.mkdir()
    make(path)
    fs.put_file(str(path), f"{BUCKET}/{path.parent.name}/{path.name}")
    return path, work.Container(str(path), path.name, str(path), kind, compression, path.stat().st_size)


def test_a_large_jsonl_is_read_in_line_aligned_ranges_by_the_workers(s3, cluster, tmp_path, monkeypatch):
    from corpus.inputs import work
    from corpus.inputs.units import ranges, scan_jsonl

    fs, env = s3
    feed, unit = stored(fs, big_feed, tmp_path / "feed" / "big.jsonl", "jsonl", None)
    identity, starts = scan_jsonl(unit, 4000)
    data = feed.read_bytes()
    assert len(starts) >= 4 and all(s == 0 or data[s - 1:s] == b"\n" for s, _ in starts)
    assert all(data[:s].count(b"\n") == before for s, before in starts)
    assert b"".join(data[r.start:r.end] for r in ranges(unit, identity, starts)) == data

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setattr(work, "RANGE_BYTES", 4000)
    runner = CliRunner()
    for where in (str(tmp_path / "feed"), f"s3://{BUCKET}/feed/"):
        args = ["ingest", where, "-q", "--keep-duplicates", "--max-bytes", "8000", "--rejects"]
        local = runner.invoke(main, [*args, str(tmp_path / "local.rejects"), "--workers", "1"], catch_exceptions=False)
        out = tmp_path / "out" / ""
        dask = runner.invoke(main, [*args, str(tmp_path / "dask.rejects"), "--executor", "dask", "--scheduler",
                                    cluster, "-o", f"{out}/", "--format", "jsonl"], catch_exceptions=False)
        assert local.exit_code == dask.exit_code == 0, dask.stderr
        records = b"".join(gzip.decompress(p.read_bytes()) for p in sorted(out.glob("part-*.jsonl.gz")))
        assert records == local.stdout_bytes and len(jsonl(records)) == 40
        assert (tmp_path / "local.rejects").read_bytes() == (tmp_path / "dask.rejects").read_bytes()
        assert {r["reason"] for r in jsonl((tmp_path / "dask.rejects").read_text())} == {"malformed", "too-large"}


def big_warc(path: Path) -> Path:
    """A .warc.gz of one gzip member a record: stories, a 404, an image, one over --max-bytes."""
    import io

    from warcio.warcwriter import WARCWriter

    from tests.conftest import html_page
    from tests.test_inputs import response

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for n in range(30):
        paragraphs = (STORY if n % 2 else MARKET)[n % 3:] + [f"Update number {n} of the day's reporting on this."]
        response(writer, f"https://n{n % 5}.example/story/{n}", html_page(f"Story {n}", paragraphs).encode())
        if n == 11:
            response(writer, "https://n1.example/gone", b"<html>gone</html>", "404 Not Found")
        if n == 19:
            response(writer, "https://n1.example/logo.png", b"\x89PNG", "200 OK", "image/png")
        if n == 23:
            response(writer, "https://n1.example/huge", html_page("Huge", ["word " * 3000]).encode())
    path.write_bytes(buffer.getvalue())
    return path


def test_a_large_warc_gz_is_read_in_ranges_of_gzip_members_by_the_workers(s3, cluster, tmp_path, monkeypatch):
    from corpus.inputs import work
    from corpus.inputs.units import ranges, scan_warc_gz

    fs, env = s3
    warc, unit = stored(fs, big_warc, tmp_path / "crawl" / "big.warc.gz", "warc", "gz")
    identity, starts = scan_warc_gz(unit, 4000)
    data = warc.read_bytes()
    assert len(starts) >= 4 and all(data[s:s + 2] == b"\x1f\x8b" for s, _ in starts)
    inflated = gzip.decompress(data)
    assert all(inflated[u:u + 5] == b"WARC/" for _, u in starts), "each range begins a record"
    assert b"".join(data[r.start:r.end] for r in ranges(unit, identity, starts)) == data
    one_stream = tmp_path / "one.warc.gz"
    one_stream.write_bytes(gzip.compress(inflated))
    assert len(scan_warc_gz(work.Container(str(one_stream), "one", str(one_stream), "warc", "gz"), 4000)[1]) == 1
    from corpus.inputs.units import read_units

    whole = list(read_units([unit], 8000, False))
    assert list(read_units(ranges(unit, identity, starts), 8000, False)) == whole, \
        "the ranges' records (offsets, provenance), skips and rejects are the whole file's"
    assert sum(type(i).__name__ == "RawInput" for i in whole) == 30 and len(whole) == 33

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setattr(work, "RANGE_BYTES", 4000)
    assert unit.splittable, "the Dask client has it read in ranges"
    runner = CliRunner()
    for where in (str(tmp_path / "crawl"), f"s3://{BUCKET}/crawl/"):
        args = ["ingest", where, "-q", "--keep-duplicates", "--max-bytes", "8000", "--rejects"]
        local = runner.invoke(main, [*args, str(tmp_path / "local.rejects"), "--workers", "1", "--manifest",
                                     str(tmp_path / "local.json")], catch_exceptions=False)
        dask = runner.invoke(main, [*args, str(tmp_path / "dask.rejects"), "--executor", "dask", "--scheduler",
                                    cluster, "--manifest", str(tmp_path / "dask.json")], catch_exceptions=False)
        assert local.exit_code == dask.exit_code == 0, dask.stderr
        assert dask.stdout_bytes == local.stdout_bytes and len(jsonl(local.stdout_bytes)) == 30
        assert (tmp_path / "local.rejects").read_bytes() == (tmp_path / "dask.rejects").read_bytes()
        assert {r["reason"] for r in jsonl((tmp_path / "dask.rejects").read_text())} == {"too-large"}
        manifests = [json.loads((tmp_path / f"{n}.json").read_text())["inputs"] for n in ("local", "dask")]
        assert manifests[0] == manifests[1] and manifests[0][0]["sha256"], "the same hash and outcomes (skips too)"


def test_a_worker_killed_mid_run_is_replaced_and_the_records_are_the_same(s3, cluster, tmp_path):
    """SIGKILL to a Dask worker while the run reads from and writes to the bucket: Dask runs its tasks again
    elsewhere (the parts are written whole or not at all), and the run publishes the local run's records."""
    fs, env = s3
    for n in range(240):
        paragraphs = [f"Item {n}: {line}" for line in (STORY if n % 2 else MARKET)]
        text = f"Headline number {n}\n" + "\n".join(paragraphs)
        fs.pipe_file(f"{BUCKET}/many/{n // 60}/{n:04d}.txt", text.encode())
    local = newsclean(env, "ingest", f"s3://{BUCKET}/many/", "--keep-duplicates", "-q").stdout.encode()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ingest", f"s3://{BUCKET}/many/", "--keep-duplicates", "-q",
                             "-o", f"s3://{BUCKET}/killed/", "--executor", "dask", "--scheduler", cluster],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    scheduler = RUNNING[0].scheduler
    busy = wait_for(lambda: proc.poll() is not None or [w.address for w in list(scheduler.workers.values())
                                                        if w.processing], "a worker to be running the run's tasks")
    assert proc.poll() is None, proc.communicate()[1]
    victim = next(n.pid for n in RUNNING[0].workers.values() if n.worker_address in busy)  # killed mid-task
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert parts(fs, f"{BUCKET}/killed") == local and len(jsonl(local)) == 240
    assert staging_left(fs) == []
