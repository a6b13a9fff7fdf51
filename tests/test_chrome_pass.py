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

    def upper(spool: str) -> tuple[str, None]:
        if spool == "dies" and os.getpid() != parent:
            os._exit(1)  # the worker process dies on this document; here it goes through
        return spool.upper(), None

    def upper_batch(jobs, evidence):  # noqa: ANN001, ANN202 - run_batch's place (a job's run is a batch of one)
        return [None if j is None else upper(j.spool) for j in jobs]

    monkeypatch.setattr(chrome_pass, "run_batch", upper_batch)  # forked workers inherit it
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


def test_a_batch_of_second_passes_gives_what_each_alone_gives():
    """``run_batch`` takes the chrome out of every document, then signs the changed ones again: the same spools
    and signatures as each job's own ``run``, for documents it changes, leaves alone, and None."""
    import numpy as np

    from corpus.clean.line_keys import line_key
    from corpus.dedup.story import hash_and_sign
    from corpus.document import Document, Source

    story = ["The council voted on Tuesday to repair the old bridge before the winter floods arrive in town.",
             "Engineers said the work would take two years and cost the town some twelve million euro in all.",
             "Residents who cross the river each day to reach the market will have to take the ferry instead."]
    chrome = "Follow us on every network for more"
    params = MinHashParams()
    evidence = Evidence({line_key(chrome)}, None, frozenset(), params)

    def rewrite(lines: list[str], i: int) -> Rewrite:
        text = "\n".join(lines)
        doc = Document(f"d{i}", Source(f"d{i}.txt", "", None, None, "text"), text=text, title=f"Bridge {i}")
        doc.text_hash, signed, key, _, _ = hash_and_sign(text, params)
        return Rewrite(doc.spooled(), True, set(), key, signed)

    jobs = [rewrite(story + [chrome], 0), None, rewrite(story[:2], 1), rewrite([chrome, *story[1:]], 2),
            rewrite(story[::-1], 3)]
    together = chrome_pass.run_batch(jobs, evidence)
    alone = [None if j is None else j.run(evidence) for j in jobs]
    assert [None if r is None else r[0] for r in together] == [None if r is None else r[0] for r in alone]
    assert all(chrome not in Document.from_spooled(together[i][0]).text for i in (0, 3))  # the pass took the line
    assert chrome in Document.from_spooled(jobs[0].spool).text
    for mine, its in zip(together, alone, strict=True):
        if mine is not None:
            assert np.array_equal(mine[1].hashvalues, its[1].hashvalues)


def test_the_second_pass_takes_the_same_lines_with_the_first_passs_keys_as_without():
    """The second pass reads each line's run-wide and site keys, and whether it is story text, from the first pass
    (``keys_in_order``) rather than working them out again: the same lines go, under the same rules, with the
    site's chrome and the run's repeated lines both set or one of them, with a headline repeated in the text
    (keyed apart as a title), with every template learned as chrome or nothing learned, and with a title that
    goes as chrome itself (a short line naming two of its names was story text only beside it)."""
    import random

    import numpy as np

    from corpus.clean.document_keys import SiteLines, doc_keys, keys_by_text_line
    from corpus.clean.learned import Learned
    from corpus.clean.repeated import remove_corpus_chrome
    from corpus.document import Document, Source
    from tests.conftest import STORY

    rng = random.Random(11)
    chrome = ["Follow us on every network", "Sign up for the morning briefing", "Share this story", "Advertisement",
              "  Indented line of the footer", "© 2026 The Paper", "Jo Smith meets Ann Lee"]
    everywhere = Learned(lambda keys: np.full(len(keys), 100), lambda key: False)
    went_with_title = 0
    for trial in range(80):
        lines = rng.sample(STORY + chrome, rng.randrange(4, len(STORY) + len(chrome))) + ["Jo Smith and Ann Lee"]
        title = rng.choice([None, "Reservoirs hit a thirty-year low", lines[0], "Jo Smith meets Ann Lee"])
        url = rng.choice([None, "https://news.example.com/a/1"])

        def doc(lines: list[str] = lines, title: str | None = title, url: str | None = url) -> Document:
            return Document("d", Source("d.txt", "", None, None, "text"), text="\n".join(lines), title=title, url=url)

        keys = doc_keys(doc())[-1]
        site = SiteLines(url, title)
        site_chrome = {site.key(line) for line in chrome if rng.random() < 0.5} - {None}
        repeated = {site.line_key(line) for line in chrome if rng.random() < 0.5} - {None}
        for chosen in ((site_chrome, repeated), (site_chrome, set()), (set(), repeated)):
            for learned in (None, everywhere):
                fresh, reused = doc(), doc()
                remove_corpus_chrome(fresh, *chosen, learned)
                remove_corpus_chrome(reused, *chosen, learned, known=keys_by_text_line(reused.text, keys))
                assert (reused.text, reused.title, reused.removed) == (fresh.text, fresh.title, fresh.removed), trial
                went_with_title += title == "Jo Smith meets Ann Lee" and fresh.title is None and learned is not None
    assert went_with_title  # the case where the first pass's story text no longer holds did come
    assert keys_by_text_line("one\ntwo", keys[:2]) is None  # keys of other lines are not used
