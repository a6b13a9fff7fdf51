"""`newsclean state info|check|prune` on both kinds of state: a SQLite file and a Parquet folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, html_page, write
from tests.test_report_inputs import story

pytest.importorskip("pyarrow")


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCLEAN_")}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT)}, timeout=120)


def state_cli(*args: str) -> subprocess.CompletedProcess:
    """``newsclean state ...`` in this process (no interpreter start per command); the same result fields as cli."""
    from click.testing import CliRunner

    from cli.main import main

    unset = {k: None for k in os.environ if k.startswith("NEWSCLEAN_")}
    result = CliRunner().invoke(main, ["state", *args], env=unset, catch_exceptions=False)
    return subprocess.CompletedProcess(["newsclean", "state", *args], result.exit_code, result.stdout, result.stderr)


def night(root: Path, seeds: range) -> Path:
    for i in seeds:
        write(root / f"story{i}.html", html_page(f"Story {i}", story(i)))
    return root


def test_state_commands_work_on_a_parquet_state_as_on_sqlite(tmp_path):
    """What tests/test_state.py asks of a SQLite file, asked of a Parquet folder."""
    state = str(tmp_path / "nightly") + "/"
    one, two = night(tmp_path / "n1", range(0, 3)), night(tmp_path / "n2", range(3, 5))
    assert cli("ingest", str(one), "--state", state, "-q", "-o", str(tmp_path / "o1.jsonl")).returncode == 0
    time.sleep(1.1)  # first-seen times are to the second: night 2 starts later
    assert cli("ingest", str(two), "--state", state, "-q", "-o", str(tmp_path / "o2.jsonl")).returncode == 0

    for path in (state, state.rstrip("/")):  # a folder with or without its slash
        info = state_cli("info", path)
        assert info.returncode == 0, info.stderr
        assert json.loads(info.stdout)["records"] == 5 and json.loads(info.stdout)["runs"] == 2
        check = state_cli("check", path)
        assert check.returncode == 0, check.stderr
        assert "5 records" in check.stdout

    newest = json.loads(state_cli("info", state).stdout)["newest"]
    refused = state_cli("prune", state, "--before", "2999-01-01")
    assert refused.returncode == 1 and "--all-ok" in refused.stderr
    pruned = state_cli("prune", state, "--before", newest)
    assert pruned.returncode == 0, pruned.stderr
    assert "removed 3 records" in pruned.stdout and "2 remain" in pruned.stdout
    assert json.loads(state_cli("info", state).stdout)["records"] == 2
    assert state_cli("check", state).returncode == 0
    assert not Path(state.rstrip("/"), ".lock").exists()  # the lock sits beside the state, as a run's does

    # the pruned state still works: night 1's stories are forgotten, night 2's still known
    both = tmp_path / "both"
    night(both, range(0, 5))
    result = cli("ingest", str(both), "--state", state, "-q", "--keep-duplicates")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["title"] for r in records if r["duplicate_of"] is None) == ["Story 0", "Story 1", "Story 2"]


def test_a_folder_that_is_not_a_state_is_refused(tmp_path):
    (tmp_path / "other").mkdir()
    for command in ("info", "check"):
        result = state_cli(command, str(tmp_path / "other"))
        assert result.returncode == 1 and re.search(r"not a newsclean (Parquet )?state", result.stderr), result.stderr
    assert not (tmp_path / "other" / "state.json").exists()
