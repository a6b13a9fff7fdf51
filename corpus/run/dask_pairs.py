"""Candidate pairs on a Dask cluster: documents that share an LSH band key, less those the local run would
never compare, found from the band rows (key, doc) and the signature table of :mod:`corpus.run.dask_dedup`.

A story delivered N times costs about N pairs, not N squared: documents known to be *covered* before the walk
(:func:`_covered`) propose no pairs. A run of up to :data:`DOCS_PER_PARTITION` documents does it all in one task
on a worker (:class:`_Together`); a larger one shuffles the rows by key into partitions of that size and runs
each step of the rounds as a computation on them (:class:`_Shuffled`): the same functions either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from corpus.dedup.cluster_graph import meta_of
from corpus.dedup.minhash import COVERED_JACCARD, MinHashParams, Signature, confirmed, estimated_jaccard
from corpus.run.dask_wait import computed


def _later(rows: pd.DataFrame) -> pd.DataFrame:
    """Within a shuffled partition: the documents some bucket (band key) holds an earlier document beside."""
    doc = rows.doc.to_numpy()
    return pd.DataFrame({"doc": np.unique(doc[doc > rows.groupby("key").doc.transform("min").to_numpy()])})


def _first_pairs(rows: pd.DataFrame, later: np.ndarray) -> pd.DataFrame:
    """Within a shuffled partition: (first, other) in every bucket whose first document is a *head* (first in
    every bucket it is in, so no match of any earlier one), and (first copy, copy) for equal signatures."""
    doc = rows.doc.to_numpy()
    first = rows.groupby("key").doc.transform("min").to_numpy()
    head = (doc > first) & ~np.isin(first, later)
    copied = rows.groupby(["key", "same"]).doc.transform("min").to_numpy()
    copy = doc > copied
    return pd.DataFrame({"a": np.concatenate([first[head], copied[copy]]),
                         "b": np.concatenate([doc[head], doc[copy]])}).drop_duplicates()


def _pairs(rows: pd.DataFrame, covered: np.ndarray) -> pd.DataFrame:
    """Within a shuffled partition: every pair of documents sharing a key (a < b) whose earlier one is not
    known to be *covered* (out of the band index: no match of any later document, as in the local run)."""
    rows = rows[["key", "doc"]]
    both = rows[~np.isin(rows.doc.to_numpy(), covered)].merge(rows, on="key", suffixes=("_a", "_b"))
    both = both[both.doc_a < both.doc_b]
    return pd.DataFrame({"a": both.doc_a.to_numpy(), "b": both.doc_b.to_numpy()}).drop_duplicates()


def _open(rows: pd.DataFrame, later: np.ndarray, covered: np.ndarray, kept: np.ndarray) -> pd.DataFrame:
    """Within a shuffled partition: the documents not yet known to be covered or kept in the band index (a head,
    not in ``later``, or one of ``kept``), each with whether it waits: some bucket holds an earlier such one."""
    rows = rows.sort_values(["key", "doc"])
    doc = rows.doc.to_numpy()
    unknown = np.isin(doc, later) & ~np.isin(doc, covered) & ~np.isin(doc, kept)
    before = rows.assign(unknown=unknown).groupby("key").unknown.cumsum().to_numpy() - unknown
    found = pd.DataFrame({"doc": doc[unknown], "waits": before[unknown] > 0})
    return found.groupby("doc", as_index=False).waits.any()


def _from(rows: pd.DataFrame, kept: np.ndarray) -> pd.DataFrame:
    """Within a shuffled partition: (a, b) for every document ``a`` of ``kept`` and every later ``b`` beside it."""
    rows = rows[["key", "doc"]]
    both = rows[np.isin(rows.doc.to_numpy(), kept)].merge(rows, on="key", suffixes=("_a", "_b"))
    both = both[both.doc_a < both.doc_b]
    return pd.DataFrame({"a": both.doc_a.to_numpy(), "b": both.doc_b.to_numpy()}).drop_duplicates()


def judged(pairs: pd.DataFrame) -> Iterator[tuple[Any, Signature, Signature, float]]:
    """Each pair joined with both signatures (``hv_a``, ``hv_b``, ...): (its row, earlier, later, their estimated
    Jaccard), as the local Deduplicator meets the pair: the later one first."""
    for r in pairs.itertuples(index=False):
        a = row_signature(r.hv_a, r.shingles_a, r.words_a, r.tags_a)
        b = row_signature(r.hv_b, r.shingles_b, r.words_b, r.tags_b)
        yield r, a, b, estimated_jaccard(b, a)


def _covering(pairs: pd.DataFrame, params: MinHashParams, not_kept: np.ndarray) -> pd.DataFrame:
    """The later documents of ``pairs`` that are surely covered in the local walk: matched at
    :data:`COVERED_JACCARD` by a document known to be in the band index (any ``a`` not in ``not_kept``), or
    an equal signature of an earlier document (whatever that one's fate: it matches all that one matched)."""
    equal, strong = [], []
    for r, a, b, jaccard in judged(pairs):
        match = confirmed(b, a, jaccard, params)
        equal.append(match and r.hv_a == r.hv_b and r.tags_a == r.tags_b and r.shingles_a == r.shingles_b)
        strong.append(match and jaccard >= COVERED_JACCARD)
    kept = ~np.isin(pairs.a.to_numpy(np.int64), not_kept)
    covered = np.array(equal, dtype=bool) | (np.array(strong, dtype=bool) & kept)
    return pd.DataFrame({"doc": pairs.b.to_numpy(np.int64)[covered] if len(pairs) else np.empty(0, np.int64)})


DOCS = {"doc": "int64"}
PAIRS = {"a": "int64", "b": "int64"}
DOCS_PER_PARTITION = 50_000  # documents a dedup partition holds: 42 band rows (24 B) and a signature row (~700 B)
# each, ~85 MB; the tasks on tiny frames of the cluster's partitions (256 documents) cost more than their rows
ROUNDS = 12  # rounds that settle which documents are covered before the walk (each: two small computations)
log = logging.getLogger(__name__)


def dedup_partitions(docs: int, per_partition: int = DOCS_PER_PARTITION) -> int:
    """Partitions of the dedup's tables for a run of ``docs`` documents: each a task's worth of rows."""
    return max(1, -(-docs // per_partition))


def candidate_pairs(rows: dd.DataFrame, sigs: dd.DataFrame, params: MinHashParams, size: int | None = None
                    ) -> dd.DataFrame:
    """The pairs to confirm: documents sharing a band key, less those whose earlier document the local run
    would have kept out of its band index (*covered*: :data:`COVERED_JACCARD`) and that are known to be so
    before the walk. So a story delivered N times costs about N pairs, not N squared, and the walk meets the
    pairs it uses (a pair whose earlier document is covered is passed over there).

    ``size``: the partitions the band rows are shuffled into; one (a run of at most ``DOCS_PER_PARTITION``
    documents) is one task on a worker that holds all the rows, with the rounds inside it rather than two
    computations a round from the client."""
    if size == 1:
        task = dask.delayed(_pairs_in_one)(rows.repartition(npartitions=1).to_delayed()[0],
                                           sigs.repartition(npartitions=1).to_delayed()[0], params)
        return dd.from_delayed([task], meta=meta_of(PAIRS), verify_meta=False).persist()
    buckets = rows.shuffle("key", npartitions=size).persist()  # a key's rows in one partition
    covered = _covered(_Shuffled(buckets, sigs, params))
    pairs = buckets.map_partitions(_pairs, covered, meta=meta_of(PAIRS)).drop_duplicates().persist()
    del buckets
    if log.isEnabledFor(logging.DEBUG):  # len() computes the pairs
        log.debug("candidate pairs: %d (%d documents known to be covered)", len(pairs), len(covered))
    return pairs


def _covered(buckets: _Shuffled | _Together) -> np.ndarray:
    """The documents known, before the walk, to be covered, found in rounds: a *head* (no earlier document in
    any of its buckets) matches nothing earlier, so it is in the band index, and what it matches at 0.9 is
    covered; so is an equal signature of an earlier document. Then, each round, a document all of whose earlier
    bucket-mates are known (covered, or in the index and not matching it at 0.9) is in the index too, and what
    it matches at 0.9 is covered."""
    later = np.unique(buckets.frame(_later, DOCS).doc.to_numpy(np.int64))
    covered = buckets.covering(buckets.pairs(_first_pairs, later), later)
    kept = np.empty(0, np.int64)
    for _ in range(ROUNDS):
        unknown = buckets.frame(_open, {"doc": "int64", "waits": "bool"}, later, covered, kept)
        new = np.setdiff1d(unknown.doc.to_numpy(np.int64), unknown.doc[unknown.waits].to_numpy(np.int64))
        if not len(new):
            break
        kept = np.union1d(kept, new)
        covered = np.union1d(covered, buckets.covering(buckets.pairs(_from, new), np.empty(0, np.int64)))
    return covered


class _Shuffled:
    """Band rows shuffled on the cluster by key: each step of the rounds a computation from the client."""

    def __init__(self, buckets: dd.DataFrame, sigs: dd.DataFrame, params: MinHashParams) -> None:
        self.buckets, self.sigs, self.params = buckets, sigs, params

    def frame(self, fn: Any, columns: dict[str, str], *args: Any) -> pd.DataFrame:  # noqa: ANN401
        return on_cluster(self.buckets.map_partitions(fn, *args, meta=meta_of(columns)), "grouping copies")

    def pairs(self, fn: Any, *args: Any) -> dd.DataFrame:  # noqa: ANN401
        return self.buckets.map_partitions(fn, *args, meta=meta_of(PAIRS)).drop_duplicates()

    def covering(self, pairs: dd.DataFrame, not_kept: np.ndarray) -> np.ndarray:
        found = with_signatures(pairs, self.sigs).map_partitions(_covering, self.params, not_kept, meta=meta_of(DOCS))
        return np.unique(on_cluster(found, "grouping copies").doc.to_numpy(np.int64))


class _Together:
    """All band rows and signatures in one frame each, on one worker: the same steps, done where they are."""

    def __init__(self, rows: pd.DataFrame, sigs: pd.DataFrame, params: MinHashParams) -> None:
        self.rows, self.sigs, self.params = rows, sigs, params

    def frame(self, fn: Any, columns: dict[str, str], *args: Any) -> pd.DataFrame:  # noqa: ANN401
        return fn(self.rows, *args)

    def pairs(self, fn: Any, *args: Any) -> pd.DataFrame:  # noqa: ANN401
        return fn(self.rows, *args).drop_duplicates()

    def covering(self, pairs: pd.DataFrame, not_kept: np.ndarray) -> np.ndarray:
        return np.unique(_covering(with_signatures(pairs, self.sigs), self.params, not_kept).doc.to_numpy(np.int64))


def _pairs_in_one(rows: pd.DataFrame, sigs: pd.DataFrame, params: MinHashParams) -> pd.DataFrame:
    """On a worker: :func:`candidate_pairs` for band rows and signatures that fit one partition."""
    return _pairs(rows, _covered(_Together(rows, sigs, params)))


def row_signature(hv: bytes, shingles: int, words: int, tags: bytes | None = None) -> Signature:
    """A signature from its table row; ``tags``: its lines' tags (a run's own; an earlier night's have none),
    so that the cluster refuses the pairs a shared block glues, as the local run does."""
    return Signature(np.frombuffer(hv, dtype=np.uint32), int(shingles), int(words),
                     None if tags is None else np.frombuffer(tags, dtype=np.uint8))


def with_signatures(pairs: dd.DataFrame, sigs: dd.DataFrame) -> dd.DataFrame:
    a = sigs.rename(columns={c: f"{c}_a" for c in sigs.columns})
    b = sigs.rename(columns={c: f"{c}_b" for c in sigs.columns})
    return pairs.merge(a, left_on="a", right_on="doc_a").merge(b, left_on="b", right_on="doc_b")


def on_cluster(collection: Any, what: str) -> Any:  # noqa: ANN401 - a dask collection
    """Computed by the run's client, waited for with its bounds (:mod:`corpus.run.dask_wait`)."""
    from distributed import default_client

    try:
        client = default_client()
    except ValueError:  # no client: dask's own scheduler in this process (a unit test)
        return collection.compute()
    return computed(client, collection, what)
