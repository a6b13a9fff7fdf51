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
