"""Batch dedup on a Dask cluster: the local executor's groups, kept records and ids, found by shuffles.

1. The client routes the documents' summaries exactly as a local run does (rejects, languages,
   ids, the run fingerprint); the documents themselves stay on the workers.
2. Each partition emits one row per LSH band, (band key, document index); a shuffle on the key
   brings every document sharing a key to one place: those are the candidate pairs, as the local
   band index proposes them. Candidate pairs are joined with the signatures and confirmed with
   :func:`corpus.dedup.minhash.is_match`.
3. The groups: the client walks the confirmed pairs in input order (all at once while they are few, else
   sorted on the cluster and fetched a partition at a time: :func:`corpus.dedup.cluster_graph.in_order`)
   through the local Deduplicator's own rule, :func:`corpus.dedup.minhash.join` (no chaining through a
   roundup; a covered copy stays out of the band index), so the groups are the local run's.
4. Each group keeps its most complete text (:func:`corpus.dedup.minhash.decide_groups`, shared with the
   local executor); earlier nights (``--state``) are joined on their 64-bit band keys the same way.
5. Lines repeated across stories, run-wide and per site, are counted on the cluster, one vote per group;
   the client adds the earlier nights' counts (``--state``) as the local executor does.
6. As the local executor does, the corpus-level rules are applied then (on the workers), what they
   changed is signed again, and the final groups are found the same way on the new signatures, with
   the earlier nights; the workers then finish and write the records (:mod:`corpus.run.dask_write`).
"""

from __future__ import annotations

import collections
import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import xxhash
from distributed import Future

from corpus.clean.repeated import Counts, LineEvidence, votes
from corpus.dedup.cluster_graph import frame_of, meta_of
from corpus.dedup.minhash import (
    COVERED_JACCARD,
    Earlier,
    MinHashParams,
    Signature,
    UnionFind,
    band_keys32,
    confirmed,
    estimated_jaccard,
    is_match,
    join,
)
from corpus.dedup.state import band_keys
from corpus.run.dask_wait import computed, result, scattered
from corpus.run.process import Processed

Chosen = list[tuple[int, str, Processed]]  # a partition's documents that go on: (index, id, processed)
EDGE_COLUMNS = {"a": "int64", "b": "int64", "words_a": "int64", "words_b": "int64", "jaccard": "float64"}
SIGNATURE_COLUMNS = {"doc": "int64", "hv": "object", "shingles": "int64", "words": "int64", "tags": "object"}


def select(results: list[Any], start: int, positions: Sequence[int], renamed: dict[int, str]) -> Chosen:
    """On a worker: the documents of a partition the client kept (at ``positions``), with their run index (from
    ``start``, in order) and run id (their own, unless ``renamed``: a second byte-identical copy's)."""
    at = positions.tolist() if isinstance(positions, np.ndarray) else positions
    return [(start + k, renamed.get(pos, results[pos].id), results[pos]) for k, pos in enumerate(at)]


def band_rows(part: Chosen, params: MinHashParams, wide: bool = False) -> pd.DataFrame:
    """(key, doc) for every LSH band of every signed document: 32-bit keys within the run (as the
    local band index), 64-bit ones (``wide``) to meet the state's. Within the run a third column, ``same``:
    a hash of the whole signature (values, line tags, shingle count), equal for byte-identical texts."""
    signed = [(index, done.signature) for index, _, done in part if done.signature is not None]
    keys = [np.asarray(band_keys(s.hashvalues, params) if wide else band_keys32(s.hashvalues, params), dtype=np.int64)
            for _, s in signed]
    docs = np.repeat(np.array([i for i, _ in signed], dtype=np.int64), params.bands)
    frame = {"key": np.concatenate(keys) if keys else np.empty(0, np.int64), "doc": docs}
    if not wide:
        frame["same"] = np.repeat(np.array([_whole(s) for _, s in signed], dtype=np.uint64), params.bands)
    return pd.DataFrame(frame)


def _whole(sig: Signature) -> int:
    """A 64-bit hash of everything a pair's confirmation reads of ``sig``: equal signatures, equal hashes."""
    tags = b"" if sig.tags is None else b"t" + np.asarray(sig.tags, np.uint8).tobytes()
    return xxhash.xxh3_64_intdigest(np.asarray(sig.hashvalues, np.uint32).tobytes() + tags + str(sig.shingles).encode())


def signature_rows(part: Chosen) -> pd.DataFrame:
    signed = [(index, done.signature) for index, _, done in part if done.signature is not None]
    return pd.DataFrame({"doc": np.array([i for i, _ in signed], dtype=np.int64),
                         "hv": pd.Series([np.asarray(s.hashvalues, np.uint32).tobytes() for _, s in signed],
                                         dtype=object),
                         "shingles": np.array([s.shingles for _, s in signed], dtype=np.int64),
                         "words": np.array([s.words for _, s in signed], dtype=np.int64),
                         "tags": pd.Series([None if s.tags is None else np.asarray(s.tags, np.uint8).tobytes()
                                            for _, s in signed], dtype=object)})


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


def _covering(pairs: pd.DataFrame, params: MinHashParams, not_kept: np.ndarray) -> pd.DataFrame:
    """The later documents of ``pairs`` that are surely covered in the local walk: matched at
    :data:`COVERED_JACCARD` by a document known to be in the band index (any ``a`` not in ``not_kept``), or
    an equal signature of an earlier document (whatever that one's fate: it matches all that one matched)."""
    equal, strong = [], []
    for r in pairs.itertuples(index=False):
        a = _signature(r.hv_a, r.shingles_a, r.words_a, r.tags_a)
        b = _signature(r.hv_b, r.shingles_b, r.words_b, r.tags_b)
        jaccard = estimated_jaccard(b, a)
        match = confirmed(b, a, jaccard, params)
        equal.append(match and r.hv_a == r.hv_b and r.tags_a == r.tags_b and r.shingles_a == r.shingles_b)
        strong.append(match and jaccard >= COVERED_JACCARD)
    kept = ~np.isin(pairs.a.to_numpy(np.int64), not_kept)
    covered = np.array(equal, dtype=bool) | (np.array(strong, dtype=bool) & kept)
    return pd.DataFrame({"doc": pairs.b.to_numpy(np.int64)[covered] if len(pairs) else np.empty(0, np.int64)})


DOCS = {"doc": "int64"}
PAIRS = {"a": "int64", "b": "int64"}
BUCKETS = {"key": "int64", "doc": "int64", "same": "uint64"}
DOCS_PER_PARTITION = 50_000  # documents a dedup partition holds: 42 band rows (24 B) and a signature row (~700 B)
# each, ~85 MB; the tasks on tiny frames of the cluster's partitions (64 documents) cost more than their rows
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
        found = _with_signatures(pairs, self.sigs).map_partitions(_covering, self.params, not_kept, meta=meta_of(DOCS))
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
        return np.unique(_covering(_with_signatures(pairs, self.sigs), self.params, not_kept).doc.to_numpy(np.int64))


def _pairs_in_one(rows: pd.DataFrame, sigs: pd.DataFrame, params: MinHashParams) -> pd.DataFrame:
    """On a worker: :func:`candidate_pairs` for band rows and signatures that fit one partition."""
    return _pairs(rows, _covered(_Together(rows, sigs, params)))


def _signature(hv: bytes, shingles: int, words: int, tags: bytes | None = None) -> Signature:
    """A signature from its table row; ``tags``: its lines' tags (a run's own; an earlier night's have none),
    so that the cluster refuses the pairs a shared block glues, as the local run does."""
    return Signature(np.frombuffer(hv, dtype=np.uint32), int(shingles), int(words),
                     None if tags is None else np.frombuffer(tags, dtype=np.uint8))


def _confirm(pairs: pd.DataFrame, params: MinHashParams) -> pd.DataFrame:
    """Candidate pairs joined with both signatures → the pairs :func:`is_match` confirms."""
    keep, similar = [], []
    for r in pairs.itertuples(index=False):
        a = _signature(r.hv_a, r.shingles_a, r.words_a, r.tags_a)
        b = _signature(r.hv_b, r.shingles_b, r.words_b, r.tags_b)
        jaccard = estimated_jaccard(b, a)  # as the local Deduplicator meets the pair: the later one first
        keep.append(confirmed(b, a, jaccard, params))
        similar.append(jaccard)
    hit = np.array(keep, dtype=bool)
    found = pairs[hit] if len(pairs) else pairs
    return pd.DataFrame({"a": found.a.to_numpy(np.int64), "b": found.b.to_numpy(np.int64),
                         "words_a": found.words_a.to_numpy(np.int64), "words_b": found.words_b.to_numpy(np.int64),
                         "jaccard": np.array(similar, dtype=np.float64)[hit] if len(pairs) else np.empty(0)})


def _confirm_earlier(pairs: pd.DataFrame, params: MinHashParams) -> pd.DataFrame:
    keep = [is_match(_signature(r.hv, r.shingles, r.words, r.tags), _signature(r.hv_s, r.shingles_s, r.words_s), params)
            for r in pairs.itertuples(index=False)]
    hit = pairs[np.array(keep, dtype=bool)] if len(pairs) else pairs
    return pd.DataFrame({"doc": hit.doc.to_numpy(np.int64), "first_seen": hit.first_seen.astype(object),
                         "id": hit.id.astype(object), "run": hit.run.to_numpy(np.int64)})


def _with_signatures(pairs: dd.DataFrame, sigs: dd.DataFrame) -> dd.DataFrame:
    a = sigs.rename(columns={c: f"{c}_a" for c in sigs.columns})
    b = sigs.rename(columns={c: f"{c}_b" for c in sigs.columns})
    return pairs.merge(a, left_on="a", right_on="doc_a").merge(b, left_on="b", right_on="doc_b")


def confirmed_edges(parts: list[Future], params: MinHashParams, docs: int,
                    per_partition: int = DOCS_PER_PARTITION) -> tuple[dd.DataFrame, dd.DataFrame]:
    """(confirmed pairs a < b with both word counts, the signature table) as dask dataframes, in partitions of
    about ``per_partition`` of the ``docs`` documents (the cluster's partitions are far smaller)."""
    size = dedup_partitions(docs, per_partition)
    rows = frame_of(parts, band_rows, BUCKETS, params)
    sigs = frame_of(parts, signature_rows, SIGNATURE_COLUMNS).repartition(npartitions=min(size, len(parts) or 1))
    sigs = sigs.persist()
    edges = _with_signatures(candidate_pairs(rows, sigs, params, size), sigs).map_partitions(
        _confirm, params, meta=meta_of(EDGE_COLUMNS))
    return edges, sigs


def earlier_matches(parts: list[Future], sigs: dd.DataFrame, state: Any, params: MinHashParams,  # noqa: ANN401
                    ) -> dict[int, list[Earlier]]:
    """Documents of this run that copy a record an earlier run stored: joined on 64-bit band keys.

    The state is never whole on a worker: the run's band keys (a sorted array, kept on the cluster) go to each
    chunk of stored records (:func:`state_chunks`), which keeps only its records that share a key with the run
    (:func:`_stored_candidates`) and is let go; at most ``STATE_WINDOW`` chunks (or one a worker) are on the
    cluster at a time. The few candidates are then joined with the run's documents and confirmed with
    :func:`is_match`."""
    from distributed import default_client

    client = default_client()
    rows = frame_of(parts, band_rows, {"key": "int64", "doc": "int64"}, params, True).persist()
    keys = client.compute(dask.delayed(_unique_keys)(rows.to_delayed()))
    found: list[pd.DataFrame] = []
    pending: collections.deque[Future] = collections.deque()
    window = max(STATE_WINDOW, len(client.scheduler_info().get("workers", {})))
    for chunk in state_chunks(state, client):
        pending.append(client.compute(dask.delayed(_stored_candidates)(chunk, keys, params)))
        del chunk  # the task holds it now; let go when it is done
        if len(pending) >= window:
            found.append(result(client, pending.popleft(), MATCHING))
    found += [result(client, future, MATCHING) for future in pending]
    del pending, keys
    candidates = pd.concat(found, ignore_index=True) if found else meta_of(CANDIDATE_COLUMNS)
    joined = dd.from_pandas(candidates, npartitions=1).merge(rows, on="key").drop(columns="key")
    joined = joined.drop_duplicates(subset=["doc", "row"]).merge(sigs, on="doc")
    confirmed_rows = on_cluster(joined.map_partitions(_confirm_earlier, params, meta=meta_of(
        {"doc": "int64", "first_seen": "object", "id": "object", "run": "int64"})), MATCHING)
    matches: dict[int, list[Earlier]] = {}
    for doc, seen, stored_id, run in confirmed_rows.itertuples(index=False):
        matches.setdefault(int(doc), []).append((seen, stored_id, int(run)))
    return matches


MATCHING = "matching earlier nights"
SENDING = "sending the state to the cluster"
STATE_CHUNK = 5_000  # stored records read from a SQLite state, sent to the cluster and let go, at a time: about
# 3 MB a scatter; 20,000 left about 550 B a stored record on the client (malloc keeping the large buffers)
STATE_WINDOW = 2  # chunks of the state on the cluster at a time: one being matched, the next one sent (or one a
# worker, when there are more workers)
DOC_COLUMNS = {"row": "int64", "id": "object", "first_seen": "object", "run": "int64", "shingles": "int64",
               "words": "int64", "hv": "object"}
CANDIDATE_COLUMNS = {"key": "int64", "row": "int64", "id": "object", "first_seen": "object", "run": "int64",
                     "shingles_s": "int64", "words_s": "int64", "hv_s": "object"}


def state_chunks(state: Any, client: Any) -> Iterator[Any]:  # noqa: ANN401
    """The earlier nights' records a chunk at a time, as the cluster will read them: a Parquet state's parts
    (delayed reads: the workers read them), or a SQLite state read here a chunk at a time, each chunk sent to
    the cluster as it is read (the client never holds more than one)."""
    if hasattr(state, "docs_frame"):
        yield from state.docs_frame().to_delayed()
        return
    rows = state.stored_docs()
    while chunk := list(itertools.islice(rows, STATE_CHUNK)):
        future = scattered(client, _doc_frame(chunk), SENDING)
        del chunk
        yield future


def _unique_keys(frames: list[pd.DataFrame]) -> np.ndarray:
    """On a worker: the run's distinct 64-bit band keys, sorted."""
    return np.unique(np.concatenate([f.key.to_numpy(np.int64) for f in frames] or [np.empty(0, np.int64)]))


def _doc_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame({"row": np.array([r[0] for r in rows], dtype=np.int64),
                         "id": pd.Series([r[1] for r in rows], dtype=object),
                         "first_seen": pd.Series([r[3] for r in rows], dtype=object),
                         "run": np.array([r[4] for r in rows], dtype=np.int64),
                         "shingles": np.array([r[5] for r in rows], dtype=np.int64),
                         "words": np.array([r[6] for r in rows], dtype=np.int64),
                         "hv": pd.Series([bytes(r[7]) for r in rows], dtype=object)})


def _stored_candidates(docs: pd.DataFrame, keys: np.ndarray, params: MinHashParams) -> pd.DataFrame:
    """On a worker: the stored records of a chunk that share a 64-bit band key (as ``StateIndex.stored_bands``
    gives them) with the run's ``keys``, one row per shared key; the keys of ``STATE_CHUNK`` records at a time
    (a Parquet state's chunk is a night's part, which may be large)."""
    found = [meta_of(CANDIDATE_COLUMNS)]
    for start in range(0, len(docs), STATE_CHUNK):
        some = docs.iloc[start:start + STATE_CHUNK]
        stored = np.array([band_keys(np.frombuffer(hv, dtype=np.uint32), params) for hv in some.hv], dtype=np.int64)
        hit = np.isin(stored, keys)
        at, band = np.nonzero(hit)
        if not len(at):
            continue
        chosen = some.iloc[at]
        found.append(pd.DataFrame({
            "key": stored[at, band], "row": chosen.row.to_numpy(np.int64), "id": chosen.id.to_numpy(object),
            "first_seen": chosen.first_seen.to_numpy(object), "run": chosen.run.to_numpy(np.int64),
            "shingles_s": chosen.shingles.to_numpy(np.int64), "words_s": chosen.words.to_numpy(np.int64),
            "hv_s": chosen.hv.to_numpy(object)}))
    return pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]


def line_rows(part: Chosen, voters: tuple[set[int], set[int]], run_wide: bool) -> pd.DataFrame:
    """The keys a partition's documents vote with: all of a group's first (``voters[0]``: those that do not
    speak for their group), only its site keys for a copy on another site (``voters[1]``), as the local count."""
    followers, site_only = voters
    no_keys = np.empty(0, dtype=np.uint64)
    keys = [votes(done.line_keys, done.site_keys, run_wide) if index not in followers else
            votes(no_keys, done.site_keys, run_wide) for index, _, done in part
            if index not in followers or index in site_only]
    return pd.DataFrame({"key": np.concatenate(keys) if keys else np.empty(0, dtype=np.uint64)})


def lines_on_cluster(parts: list[Future], indices: list[range], followers: set[int], site_only: set[int],
                     lines: LineEvidence) -> Counts:
    """The run's line counts (one vote per group), counted by the workers: the keys seen at least
    ``lines.floor`` times or known from earlier nights, as the local count keeps them."""
    voters = [({int(i) for i in c if i in followers}, {int(i) for i in c if i in site_only}) for c in indices]
    keys = frame_of(parts, line_rows, {"key": "uint64"}, lines.run_threshold > 0, per_part=voters)
    found = keys.key.value_counts().map_partitions(_wanted, lines.floor, lines.lines.earlier.keys,
                                                   meta=meta_of({"key": "uint64", "n": "int64"}))
    found = on_cluster(found, "counting repeated lines")
    order = np.argsort(found.key.to_numpy(np.uint64))
    return Counts(found.key.to_numpy(np.uint64)[order], found.n.to_numpy(np.int64)[order])


def _wanted(counts: pd.Series, floor: int, earlier: np.ndarray) -> pd.DataFrame:
    """Within a partition of the run's counts: the keys seen ``floor`` times, or known from earlier nights."""
    keys, n = counts.index.to_numpy(np.uint64), counts.to_numpy(np.int64)
    keep = (n >= floor) | np.isin(keys, earlier)
    return pd.DataFrame({"key": keys[keep], "n": n[keep]})


def on_cluster(collection: Any, what: str) -> Any:  # noqa: ANN401 - a dask collection
    """Computed by the run's client, waited for with its bounds (:mod:`corpus.run.dask_wait`)."""
    from distributed import default_client

    try:
        client = default_client()
    except ValueError:  # no client: dask's own scheduler in this process (a unit test)
        return collection.compute()
    return computed(client, collection, what)


class Representatives:
    """Signatures of the documents the grouping rule asks for (groups' first documents, when a document matches
    several groups), fetched from the cluster's signature table as needed and kept."""

    def __init__(self, sigs: dd.DataFrame) -> None:
        self._sigs = sigs
        self._known: dict[int, Signature | None] = {}

    def fetch(self, docs: Iterable[int]) -> None:
        wanted = sorted({int(d) for d in docs} - self._known.keys())
        if not wanted:
            return
        rows = on_cluster(self._sigs[self._sigs.doc.isin(wanted)], "grouping copies")
        for r in rows.itertuples(index=False):
            self._known[int(r.doc)] = _signature(r.hv, r.shingles, r.words, r.tags)
        self._known.update((d, None) for d in wanted if d not in self._known)

    def __call__(self, doc: int) -> Signature | None:
        if doc not in self._known:
            self.fetch([doc])
        return self._known[doc]


def walked(frames: Iterable[pd.DataFrame], sigs: dd.DataFrame, params: MinHashParams
           ) -> tuple[UnionFind, dict[int, int]]:
    """(the groups, each grouped document's word count) from confirmed pairs in input order (frames ordered by
    (b, a): :func:`corpus.dedup.cluster_graph.in_order`): each later document meets its earlier matches as in
    the local Deduplicator, through the same :func:`corpus.dedup.minhash.join`; a *covered* document stays out
    of the band index there, so it is no match for the documents after it here either."""
    groups, covered, words = UnionFind(), set(), {}
    signature_of = Representatives(sigs)
    for frame in frames:
        rows = list(zip(frame.b.tolist(), frame.a.tolist(), frame.jaccard.tolist(), strict=True))
        several = {b for b, n in zip(*np.unique(frame.b.to_numpy(), return_counts=True), strict=True) if n > 1}
        signature_of.fetch(groups.find(a) for b, a, _ in rows if b in several)  # one call for most of them
        words.update(zip(frame.a.tolist(), frame.words_a.tolist(), strict=True))
        words.update(zip(frame.b.tolist(), frame.words_b.tolist(), strict=True))
        for b, pairs in itertools.groupby(rows, key=lambda row: row[0]):
            matches = [(jaccard, a) for _, a, jaccard in pairs if a not in covered]
            if join(groups, b, matches, signature_of, params)[1]:
                covered.add(b)
    return groups, words

