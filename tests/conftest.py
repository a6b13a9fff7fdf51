"""Shared fixtures: small corpora the tests write themselves, and the project's seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
EXAMPLES = ROOT / "examples"

STORY = [
    "The regional water authority said on Monday that reservoir levels had fallen to their lowest point in "
    "thirty years after the driest summer on record.",
    "Engineers have started pumping water from two disused quarries into the main reservoir, a measure last "
    "used during the drought of 1995.",
    "Households in the northern districts have been asked to cut their use by a fifth, and a ban on watering "
    "gardens with hoses will start next week.",
    "Farmers said the restrictions came too late for this year's maize harvest, which they expect to be half "
    "its usual size.",
    "The authority will publish new figures on Friday and said a decision on further limits would follow.",
]


@pytest.fixture
def run_cli():
    """Invoke ``newsclean`` in-process; returns (exit code, stdout records, stderr)."""

    def run(*args: str, input: str | None = None):
        result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
        records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        return result.exit_code, records, result.stderr

    return run


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def html_page(title: str, paragraphs: list[str], chrome: str = "") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>{title}</h1>{body}</article>"
            f"{chrome}<footer>© 2026 Example Media. All rights reserved.</footer></body></html>")


@pytest.fixture(scope="session")
def scheduler():
    """One two-worker Dask cluster on 127.0.0.1 for every test of a test process; tests join it by its
    address (one cluster, not one per module: starting one costs seconds)."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask.dataframe")
    import logging

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
