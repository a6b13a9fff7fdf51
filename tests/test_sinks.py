"""Partitioned and Parquet outputs: the same records as the JSONL file, and never a half directory."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from corpus.outputs import sinks
from tests.conftest import EXAMPLES, STORY, html_page, write


def run(*args: str):
    return CliRunner().invoke(main, ["ingest", *args, "-q", "--workers", "1"], catch_exceptions=False)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sinks") / "crawl"
    shutil.copytree(EXAMPLES, folder)
    feed = [{"id": "c-1", "url": "https://example.org/a", "section": {"name": "world", "rank": [1, 2]},
             "html": html_page("Reservoirs fall", STORY)},
            {"id": "c-2", "text": "\n".join(reversed(STORY)), "tags": ["water"]}]
    write(folder / "feed.jsonl", "".join(json.dumps(r) + "\n" for r in feed))
    return folder


@pytest.fixture(scope="module")
def jsonl(crawl, tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("ref") / "out.jsonl"
    assert run(str(crawl), "-o", str(out)).exit_code == 0
    return out.read_bytes()


def test_a_directory_gets_parts_a_manifest_and_success(crawl, jsonl, tmp_path):
    target = tmp_path / "clean"
    assert run(str(crawl), "-o", f"{target}/").exit_code == 0
    assert sorted(p.name for p in target.iterdir()) == ["_SUCCESS", "manifest.json", "part-00000.jsonl.gz"]
    assert gzip.decompress((target / "part-00000.jsonl.gz").read_bytes()) == jsonl
    assert json.loads((target / "manifest.json").read_text())["totals"]["records"] == jsonl.count(b"\n")
    assert run(str(crawl), "-o", str(target)).exit_code == 0  # an existing output folder is replaced whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean"]


def test_records_are_cut_into_parts_in_order(crawl, jsonl, tmp_path, monkeypatch):
    monkeypatch.setattr(sinks, "PART_RECORDS", 2)
    monkeypatch.setattr(sinks.PartitionedDirectory.__init__, "__defaults__", ("jsonl", 2))
    assert run(str(crawl), "-o", f"{tmp_path}/out/").exit_code == 0
    parts = sorted((tmp_path / "out").glob("part-*.jsonl.gz"))
    assert len(parts) == 3
    assert b"".join(gzip.decompress(p.read_bytes()) for p in parts) == jsonl


def test_a_failure_mid_write_leaves_no_directory(crawl, tmp_path, monkeypatch):
    written = []
    real = sinks.PartitionedDirectory.write

    def fail_on_third(self, record):
        written.append(record)
        if len(written) == 3:
            raise OSError("disk full")
        real(self, record)

    monkeypatch.setattr(sinks.PartitionedDirectory, "write", fail_on_third)
    result = run(str(crawl), "-o", f"{tmp_path}/out/")
    assert result.exit_code == 1 and "disk full" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_folder_of_other_files_is_not_replaced(crawl, tmp_path):
    write(tmp_path / "mine" / "notes.txt", "keep me")
    result = run(str(crawl), "-o", str(tmp_path / "mine"))
    assert result.exit_code == 2 and "not a newsclean output" in result.stderr  # a usage error, found first
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("target", ["out.parquet", "out/"])
def test_parquet_reads_back_as_the_jsonl_records(crawl, jsonl, tmp_path, target):
    pq = pytest.importorskip("pyarrow.parquet")
    assert run(str(crawl), "-o", f"{tmp_path}/{target}", "--format", "parquet").exit_code == 0
    table = pq.read_table(tmp_path / target / "part-00000.parquet" if target.endswith("/") else tmp_path / target)
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert table.column_names == list(records[0])
    assert [sinks.record_from_row(row) for row in table.to_pylist()] == records
    assert any(r["meta"] for r in records) and any(r["provenance"].get("line") for r in records)


def test_parquet_to_stdout_is_refused(crawl):
    result = run(str(crawl), "--format", "parquet")
    assert result.exit_code == 2 and "-o FILE.parquet" in result.stderr
