"""`newsclean report` on an output in object storage (moto's S3 server on 127.0.0.1; see test_object_storage)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_object_storage import s3  # noqa: F401 - the fixture: a local S3 server
from tests.test_report_inputs import crawl  # noqa: F401 - the fixture: a small crawl


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT)}, timeout=120)


@pytest.mark.parametrize("name", ["report/out.jsonl.gz", "report/out.jsonl"])
def test_report_reads_an_output_at_a_url(s3, crawl, tmp_path, name):  # noqa: F811 - fixtures
    fs, env = s3
    local = tmp_path / "out.jsonl"
    assert cli("ingest", str(crawl), "--keep-duplicates", "-o", str(local), "-q", env=env).returncode == 0
    uploaded = cli("ingest", str(crawl), "--keep-duplicates", "-o", f"s3://news/{name}", "-q", env=env)
    assert uploaded.returncode == 0, uploaded.stderr
    expected = json.loads(cli("report", str(local), "--json", env=env).stdout)
    result = cli("report", f"s3://news/{name}", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected and expected["records"] == 5
    missing = cli("report", "s3://news/report/nothing.jsonl", env=env)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
