"""A Dask cluster that fails the run ends it with a message, in bounded time (issue 27): its only worker dies
mid-run, or a remote call does not answer within NEWSCLEAN_DASK_TIMEOUT. The `--state` lock is free after,
and last night's state is as it was.

The scheduler runs here (a LocalCluster on 127.0.0.1 with no worker of its own); the one worker is a process
of its own without a nanny (so nothing restarts it), with a preload that makes it die (os._exit) or hang on a
document that asks for it: what a crash or a wedged library does to a worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, STORY, write

distributed = pytest.importorskip("distributed")

PRELOAD = '''
import os, time
import corpus.run.dask_executor as executor

_real = executor.run_task


def run_task(jobs, *args, **kwargs):  # a partition's task, in the worker process itself
    if "KILL-THE-WORKER" in repr(jobs):
        os._exit(17)
    if "HOLD-THE-WORKER" in repr(jobs):
        time.sleep(600)
    return _real(jobs, *args, **kwargs)


executor.run_task = run_task
'''


@pytest.fixture(scope="module")
def bare_scheduler():
    import logging

    cluster = distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None,
                                       silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture
def one_worker(bare_scheduler, tmp_path):
    """One worker process, no nanny, with the preload; killed at the end of the test whatever it is doing."""
    preload = write(tmp_path / "poison.py", PRELOAD)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", bare_scheduler, "--no-nanny",
                               "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard", "--preload", str(preload)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with distributed.Client(bare_scheduler, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)
        with distributed.Client(bare_scheduler, timeout=30) as client:  # the next test starts with no worker
            deadline = time.monotonic() + 30
            while client.scheduler_info(n_workers=-1)["workers"] and time.monotonic() < deadline:
                time.sleep(0.2)


def cli(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **env})


def nights(tmp_path: Path, marker: str) -> tuple[Path, Path]:
    """Night 1: two stories; night 2: a story, then the one named with ``marker``, then more."""
    one, two = tmp_path / "night1", tmp_path / "night2"
    for n in range(2):
        write(one / f"story{n}.txt", f"Night one story {n}\n\n" + "\n\n".join(STORY[n:] + STORY[:n]))
    write(two / "a.txt", "A first story tonight\n\n" + "\n\n".join(reversed(STORY)))
    write(two / f"b-{marker}.txt", "The story that stops the worker\n\n" + "\n\n".join(STORY))
    for n in range(6):
        write(two / f"c{n}.txt", f"Later story {n}\n\n" + "\n\n".join(STORY[n % 3:]))
    return one, two


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _failed_in_time(result: subprocess.CompletedProcess, took: float, bound: float, *said: str) -> str:
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err, err
    for text in said:
        assert text in err, err
    assert took < bound, (took, err)
    return err


@pytest.mark.parametrize("kind", ["state.db", "state/"])
def test_the_only_worker_dying_mid_run_ends_the_run_with_a_message(tmp_path, bare_scheduler, one_worker, kind):
    if kind.endswith("/"):
        pytest.importorskip("pyarrow")
    one, two = nights(tmp_path, "KILL-THE-WORKER")
    state = tmp_path / kind
    result = cli("ingest", str(one), "--state", str(state), "-q", "--workers", "1", "-o", str(tmp_path / "n1.jsonl"),
                 env={})
    assert result.returncode == 0, result.stderr
    before = {p.name: digest(p) for p in sorted(Path(state).rglob("*") if state.is_dir() else [state]) if p.is_file()}
    started = time.monotonic()
    result = cli("ingest", str(two), "--state", str(state), "-q", "--executor", "dask", "--scheduler", bare_scheduler,
                 "-o", str(tmp_path / "n2.jsonl"), env={"NEWSCLEAN_DASK_NO_WORKERS": "3"})
    _failed_in_time(result, time.monotonic() - started, 120, "no worker left", "died")
    assert one_worker.wait(timeout=30) == 17  # it did die on the document
    assert not (tmp_path / "n2.jsonl").exists()
    after = {p.name: digest(p) for p in sorted(Path(state).rglob("*") if state.is_dir() else [state]) if p.is_file()}
    assert {k: v for k, v in after.items() if not k.endswith(".lock")} == \
        {k: v for k, v in before.items() if not k.endswith(".lock")}  # last night's state as it was
    again = cli("ingest", str(two), "--state", str(state), "-q", "--workers", "1", "--lock-wait", "0",
                "-o", str(tmp_path / "n2.jsonl"), env={})
    assert again.returncode == 0, again.stderr  # the lock is free, and the state still serves
    assert (tmp_path / "n2.jsonl").exists()


def test_a_remote_call_that_does_not_answer_ends_the_run_with_a_message(tmp_path, bare_scheduler, one_worker):
    _, two = nights(tmp_path, "HOLD-THE-WORKER")
    state = tmp_path / "state.db"
    started = time.monotonic()
    result = cli("ingest", str(two), "--state", str(state), "-q", "--executor", "dask", "--scheduler", bare_scheduler,
                 env={"NEWSCLEAN_DASK_TIMEOUT": "3"})
    err = _failed_in_time(result, time.monotonic() - started, 120, "did not answer within 3 s",
                          "NEWSCLEAN_DASK_TIMEOUT")
    assert result.stdout == b"", err
    again = cli("state", "info", str(state), env={})  # nothing half-made: no state, or an empty one
    assert again.returncode in (0, 1) and "Traceback" not in again.stderr.decode()


@pytest.mark.parametrize("value", ["0", "soon", "-5"])
def test_a_bad_dask_bound_is_refused_by_name(tmp_path, bare_scheduler, value):
    write(tmp_path / "in" / "story.txt", "A story\n\n" + "\n\n".join(STORY))
    result = cli("ingest", str(tmp_path / "in"), "-q", "--executor", "dask", "--scheduler", bare_scheduler,
                 env={"NEWSCLEAN_DASK_TIMEOUT": value}, timeout=120)
    err = result.stderr.decode()
    assert result.returncode in (1, 2) and "Traceback" not in err, err
    assert "NEWSCLEAN_DASK_TIMEOUT" in err and repr(value) in err, err
    assert json.loads(result.stdout or b"null") is None
