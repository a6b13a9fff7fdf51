"""A batch run's second pass: the corpus-level chrome out of each document, and its story signed again.

It can only start once the whole run is counted (which lines repeat, what the templates are), and
then the pool's workers are idle while the main process, alone, parsed every document again, took
the chrome out and signed what changed: two thirds of its time on HTML with two workers, and a
ceiling on what more workers could give. With more than one worker it runs on a pool forked at
that moment, so that each worker starts with what the run learned (nothing is sent but the
documents), and the results come back in input order; the Dask executor runs the same function on
its workers (:mod:`corpus.run.dask_write`).
"""

from __future__ import annotations

import functools
import os
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from corpus.clean.document_keys import NO_KEYS, keys_by_text_line
from corpus.clean.learned import Learned
from corpus.clean.repeated import remove_corpus_chrome
from corpus.dedup.minhash import MinHashParams, Signature
from corpus.dedup.story import earlier_words, hash_and_sign
from corpus.document import Document
from corpus.run.process import BATCH_DOCUMENTS
from corpus.run.workers import OrderedPool, chunks
from corpus.text import forget_word_counts

CHUNK = 8
"""Documents a message carries to a worker: a document's second pass is about half a millisecond."""


def cleaned_of_chrome(spool: bytes, chrome: set[int], repeated: set[int], learned: Learned | None,
                      skip: frozenset[str], params: MinHashParams, story_key: int, signed: Signature | None,
                      doc_id: str | None = None) -> tuple[bytes, Signature | None]:
    """A spooled document with the corpus-level rules applied (:func:`remove_corpus_chrome`): (its spool,
    its signature), the given ones when the rules took nothing. A changed text is signed again on its story
    (the signature stands if its story lines did not change); ``doc_id``: the id its spool is to carry."""
    forget_word_counts()
    return _signed_again(_chrome_taken(spool, chrome, repeated, learned, skip, doc_id), params, story_key, signed)


@dataclass
class _Taken:
    """A document whose corpus-level chrome is gone, and what it was before (to tell what changed)."""

    spool: bytes
    doc: Document
    before: str
    removals: int


def _chrome_taken(spool: bytes, chrome: set[int], repeated: set[int], learned: Learned | None,
                  skip: frozenset[str], doc_id: str | None = None, keys_by_line: np.ndarray = NO_KEYS) -> _Taken:
    doc = Document.from_spooled(spool)
    if doc_id is not None:
        doc.id = doc_id
    taken = _Taken(spool, doc, doc.text, len(doc.removed))
    remove_corpus_chrome(doc, chrome, repeated, learned, skip, keys_by_text_line(doc.text, keys_by_line))
    return taken


def _signed_again(taken: _Taken, params: MinHashParams, story_key: int, signed: Signature | None,
                  line_words: bytes = b"", line_marks: bytes = b"") -> tuple[bytes, Signature | None]:
    """``line_words`` and ``line_marks``: the words and story marks of the lines before (the first pass's
    ``Hashed.words`` and ``Hashed.marks``), if it sent them."""
    doc, spool = taken.doc, taken.spool
    if doc.text != taken.before:
        earlier = earlier_words(taken.before, line_words, array("Q", line_marks).tolist())
        hashed = hash_and_sign(doc.text, params, (story_key, signed), earlier)
        doc.text_hash, signed = hashed.text_hash, hashed.signature
    if len(doc.removed) != taken.removals:  # its title may have gone with its text unchanged
        spool = doc.spooled()
    return spool, signed


@dataclass(frozen=True)
class Evidence:
    """What every document's second pass reads: the same for all, a worker's from the moment it starts."""

    repeated: set[int]  # the run-wide repeated line keys
    learned: Learned | None
    skip: frozenset[str]
    params: MinHashParams


@dataclass
class Rewrite:
    """One document's second pass: its spool (``Document.spooled``) and what only it needs."""

    spool: bytes
    repeats: bool  # one of its line keys is a repeated line (else the repeated keys need not be looked at)
    chrome: set[int]  # its site's chrome
    story_key: int
    signed: Signature | None
    line_words: bytes = b""  # its lines' words as the first pass worked them out (corpus.dedup.story.Hashed.words)
    line_marks: bytes = b""  # ...and their story marks (Hashed.marks, an array("Q"))
    keys_by_line: np.ndarray = field(default_factory=lambda: NO_KEYS)  # its lines' keys (document_keys.keys_in_order)

    def run(self, evidence: Evidence) -> tuple[bytes, Signature | None]:
        return run_batch([self], evidence)[0]  # type: ignore[return-value] - a job gives a result

    def taken(self, evidence: Evidence) -> _Taken:
        return _chrome_taken(self.spool, self.chrome, evidence.repeated if self.repeats else set(),
                             evidence.learned, evidence.skip, keys_by_line=self.keys_by_line)


def run_batch(jobs: list[Rewrite | None], evidence: Evidence) -> list[tuple[bytes, Signature | None] | None]:
    """``job.run(evidence)`` for each job (None for None), a stage at a time over all of them: the chrome out of
    every document, then each changed one signed again (see ``corpus.run.process.BATCH_DOCUMENTS``)."""
    forget_word_counts()
    taken = [None if job is None else job.taken(evidence) for job in jobs]
    return [None if job is None or done is None
            else _signed_again(done, evidence.params, job.story_key, job.signed, job.line_words, job.line_marks)
            for job, done in zip(jobs, taken, strict=True)]


_held: Evidence | None = None  # a worker's evidence, given once as it starts


def _hold(evidence: Evidence) -> None:
    global _held
    _held = evidence


def _run_held(job: Rewrite | None) -> tuple[bytes, Signature | None] | None:
    assert _held is not None, "a second-pass worker starts with the run's evidence"
    return None if job is None else job.run(_held)


def _run_held_batch(jobs: list[Rewrite | None]) -> list[tuple[bytes, Signature | None] | None]:
    assert _held is not None, "a second-pass worker starts with the run's evidence"
    return run_batch(jobs, _held)


def rewritten(jobs: Iterable[Rewrite | None], evidence: Evidence, workers: int = 1,
              ) -> Iterator[tuple[bytes, Signature | None] | None]:
    """``job.run(evidence)`` for each job, in order (None for None: a document the pass leaves alone, which
    keeps its place), on ``workers`` processes forked when the first document needs the pass; here with
    one worker, or where processes cannot be forked (a spawned worker would need the evidence pickled). A
    job whose worker died or failed runs again here, where a failure is the run's, as without workers."""
    def here(job: Rewrite | None, _error: BaseException | None = None) -> tuple[bytes, Signature | None] | None:
        return None if job is None else job.run(evidence)

    if workers <= 1 or os.name != "posix":
        for batch in chunks(jobs, BATCH_DOCUMENTS):
            yield from run_batch(batch, evidence)
        return
    pending = iter(jobs)
    for job in pending:  # no pool until a document needs the pass (none may: a run with no chrome to learn)
        if job is not None:
            break
        yield None
    else:
        return
    pool = OrderedPool(workers, functools.partial(_hold, evidence), chunk=CHUNK)
    yield from pool.map(_run_held, chain([job], pending), on_death=here, on_error=here, many=_run_held_batch)
