"""The second pass on a pool (corpus.run.chrome_pass): results in input order, and no document lost."""

from __future__ import annotations

import os

from corpus.dedup.minhash import MinHashParams
from corpus.run import chrome_pass
from corpus.run.chrome_pass import Evidence, Rewrite, rewritten

EVIDENCE = Evidence(set(), None, frozenset(), MinHashParams())


def job(spool: str) -> Rewrite:
    return Rewrite(spool, False, set(), 0, None)


def test_results_come_in_input_order_and_a_dead_workers_document_runs_here(monkeypatch):
    parent = os.getpid()

    def upper(spool, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - cleaned_of_chrome's place
        if spool == "dies" and os.getpid() != parent:
            os._exit(1)  # the worker process dies on this document; here it goes through
        return spool.upper(), None

    monkeypatch.setattr(chrome_pass, "cleaned_of_chrome", upper)  # forked workers inherit it
    jobs = [None, None, job("a"), None, job("dies"), job("b"), None] * 6 + [None]
    expected = [None if j is None else (j.spool.upper(), None) for j in jobs]
    assert list(rewritten(jobs, EVIDENCE, workers=1)) == expected
    assert list(rewritten(jobs, EVIDENCE, workers=2)) == expected
    assert list(rewritten([None] * 5, EVIDENCE, workers=2)) == [None] * 5  # nothing to do: no pool


def test_a_worker_whose_main_process_died_before_it_started_ends_at_once():
    """Forked while a SIGTERM stopped the main process, a worker asked for its parent's death signal too late
    and lived on, holding the run's stdout: ``| jq`` and a test's communicate() waited for ever."""
    import multiprocessing
    import signal

    from corpus.run.workers import _worker_start

    fork = multiprocessing.get_context("fork")
    orphan = fork.Process(target=_worker_start, args=(None, os.getpid() + 10_000_000))  # not its parent
    orphan.start()
    orphan.join(timeout=30)
    assert orphan.exitcode == -signal.SIGTERM
    child = fork.Process(target=_worker_start, args=(None, os.getpid()))  # its parent: starts as before
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0


def test_killing_jobs_close_together_never_break_the_pool_for_good():
    """A pool that broke while chunks were being submitted (another chunk's job had killed a worker) hands
    those chunks back as failed, to be recovered in their turn: it ended the whole run before."""
    from concurrent.futures.process import BrokenProcessPool

    from corpus.run.workers import OrderedPool

    pool = OrderedPool(2)

    class Broken:
        def submit(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise BrokenProcessPool("a worker died")

    pool._executor = Broken()  # type: ignore[assignment]
    failed = pool._submit(str.upper, ["a"])
    assert isinstance(failed.exception(), BrokenProcessPool)
    jobs = ["kill", "x", "kill", "y", "kill", "z"] * 4
    deaths = []

    def died(job: str) -> str:
        deaths.append(job)
        return _shout(job)

    out = list(OrderedPool(2, chunk=1).map(_shout, jobs, on_death=died, on_error=lambda job, err: 1 / 0))
    assert out == [word.upper() for word in jobs]
    assert deaths == ["kill"] * 12  # each killing job died in a worker, and alone, then went through here


_HERE = os.getpid()  # the test process (each xdist worker imports this module itself)


def _shout(word: str) -> str:
    if word == "kill" and os.getpid() != _HERE:
        os._exit(1)  # kills the worker process that runs it
    return word.upper()
