"""Batch dedup on a Dask cluster: the local executor's groups, kept records and ids, found by shuffles.

1. The client routes the documents' summaries exactly as a local run does (rejects, languages,
   ids, the run fingerprint); the documents themselves stay on the workers.
2. Each partition emits one row per LSH band, (band key, document index); every document sharing a key
   in one place (one task for a run of up to ``DOCS_PER_PARTITION`` documents, else a shuffle on the key)
   gives the candidate pairs, as the local band index proposes them (:mod:`corpus.run.dask_pairs`).
   Candidate pairs are joined with the signatures and confirmed with :func:`corpus.dedup.minhash.is_match`.
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
from corpus.dedup.deduplicator import band_keys32
from corpus.dedup.minhash import (
    Earlier,
    MinHashParams,
    Signature,
    UnionFind,
    confirmed,
    is_match,
    join,
)
from corpus.dedup.state import band_keys
from corpus.run.dask_pairs import (
    DOCS_PER_PARTITION,
    candidate_pairs,
    dedup_partitions,
    judged,
    on_cluster,
    row_signature,
    with_signatures,
)
from corpus.run.dask_wait import result, scattered
from corpus.run.process import Processed

Chosen = list[tuple[int, str, Processed]]  # a partition's documents that go on: (index, id, processed)
EDGE_COLUMNS = {"a": "int32", "b": "int32", "words_a": "int32", "words_b": "int32", "jaccard": "float64"}  # a run's
# indices and word counts fit 32 bits: 24 bytes a confirmed pair, fetched whole by the client and walked
BUCKETS = {"key": "int64", "doc": "int64", "same": "uint64"}
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


def _confirm(pairs: pd.DataFrame, params: MinHashParams) -> pd.DataFrame:
    """Candidate pairs joined with both signatures → the pairs :func:`is_match` confirms."""
    keep, similar = [], []
    for _, a, b, jaccard in judged(pairs):
        keep.append(confirmed(b, a, jaccard, params))
        similar.append(jaccard)
    hit = np.array(keep, dtype=bool)
    found = pairs[hit] if len(pairs) else pairs
    return pd.DataFrame({"a": found.a.to_numpy(np.int32), "b": found.b.to_numpy(np.int32),
                         "words_a": found.words_a.to_numpy(np.int32), "words_b": found.words_b.to_numpy(np.int32),
                         "jaccard": np.array(similar, dtype=np.float64)[hit] if len(pairs) else np.empty(0)})


def _confirm_earlier(pairs: pd.DataFrame, params: MinHashParams) -> pd.DataFrame:
    keep = [is_match(row_signature(r.hv, r.shingles, r.words, r.tags), row_signature(r.hv_s, r.shingles_s, r.words_s),
                     params) for r in pairs.itertuples(index=False)]
    hit = pairs[np.array(keep, dtype=bool)] if len(pairs) else pairs
    return pd.DataFrame({"doc": hit.doc.to_numpy(np.int64), "first_seen": hit.first_seen.astype(object),
                         "id": hit.id.astype(object), "run": hit.run.to_numpy(np.int64)})


def confirmed_edges(parts: list[Future], params: MinHashParams, docs: int,
                    per_partition: int = DOCS_PER_PARTITION) -> tuple[dd.DataFrame, dd.DataFrame]:
    """(confirmed pairs a < b with both word counts, the signature table) as dask dataframes, in partitions of
    about ``per_partition`` of the ``docs`` documents (the cluster's partitions are far smaller)."""
    size = dedup_partitions(docs, per_partition)
    rows = frame_of(parts, band_rows, BUCKETS, params)
    sigs = frame_of(parts, signature_rows, SIGNATURE_COLUMNS).repartition(npartitions=min(size, len(parts) or 1))
    sigs = sigs.persist()
    edges = with_signatures(candidate_pairs(rows, sigs, params, size), sigs).map_partitions(
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


class Representatives:
    """Signatures of the documents the grouping rule asks for (groups' first documents, when a document matches
    several groups), fetched from the cluster's signature table as needed and kept."""

    def __init__(self, sigs: dd.DataFrame) -> None:
        self._sigs = sigs
        # kept as their table rows (the bytes as they came), a Signature made when asked: ~400 bytes less each
        self._known: dict[int, tuple[bytes, int, int, bytes | None] | None] = {}

    def fetch(self, docs: Iterable[int]) -> None:
        wanted = sorted({int(d) for d in docs} - self._known.keys())
        if not wanted:
            return
        rows = on_cluster(self._sigs[self._sigs.doc.isin(wanted)], "grouping copies")
        for r in rows.itertuples(index=False):
            self._known[int(r.doc)] = (r.hv, int(r.shingles), int(r.words), r.tags)
        self._known.update((d, None) for d in wanted if d not in self._known)

    def __call__(self, doc: int) -> Signature | None:
        if doc not in self._known:
            self.fetch([doc])
        row = self._known[doc]
        return None if row is None else row_signature(*row)


WALK_ROWS = 4096  # confirmed pairs made Python objects at a time (a tuple and three numbers each, ~150 bytes)


class WordCounts:
    """Each grouped document's word count, from the pairs' columns: two sorted arrays (16 bytes a document), not
    a dict of Python ints (~100)."""

    def __init__(self, docs: list[np.ndarray], words: list[np.ndarray]) -> None:
        every = np.concatenate(docs) if docs else np.empty(0, np.int64)
        self._docs, first = np.unique(every, return_index=True)
        self._words = (np.concatenate(words) if words else np.empty(0, np.int64))[first]

    def get(self, doc: int, default: int = 0) -> int:
        at = int(np.searchsorted(self._docs, doc))
        return int(self._words[at]) if at < len(self._docs) and self._docs[at] == doc else default


def walked(frames: Iterable[pd.DataFrame], sigs: dd.DataFrame, params: MinHashParams
           ) -> tuple[UnionFind, WordCounts]:
    """(the groups, each grouped document's word count) from confirmed pairs in input order (frames ordered by
    (b, a): :func:`corpus.dedup.cluster_graph.in_order`): each later document meets its earlier matches as in
    the local Deduplicator, through the same :func:`corpus.dedup.minhash.join`; a *covered* document stays out
    of the band index there, so it is no match for the documents after it here either. The pairs become Python
    objects :data:`WALK_ROWS` at a time, so the client's peak does not grow with the run's pairs."""
    groups, covered = UnionFind(), set()
    docs: list[np.ndarray] = []
    words: list[np.ndarray] = []
    signature_of = Representatives(sigs)
    for frame in frames:
        docs += [frame.a.to_numpy(np.int64), frame.b.to_numpy(np.int64)]
        words += [frame.words_a.to_numpy(np.int64), frame.words_b.to_numpy(np.int64)]
        for chunk in _by_later(frame, WALK_ROWS):
            rows = list(zip(chunk.b.tolist(), chunk.a.tolist(), chunk.jaccard.tolist(), strict=True))
            signature_of.fetch(_representatives(rows, groups, covered))  # one call for most of them
            for b, pairs in itertools.groupby(rows, key=lambda row: row[0]):
                matches = [(jaccard, a) for _, a, jaccard in pairs if a not in covered]
                if join(groups, b, matches, signature_of, params)[1]:
                    covered.add(b)
    return groups, WordCounts(docs, words)


def _representatives(rows: list[tuple[int, int, float]], groups: UnionFind, covered: set[int]) -> set[int]:
    """The groups' first documents whose signatures :func:`join` will likely ask for: those of later documents
    that match documents of several groups, counting only matches before the chunk (their groups stand; one of
    the chunk's own is still a group of its own here, though the walk will most often have joined it to its
    story's group by then: counted, it fetched thousands of signatures no join asked for). The others are
    fetched when asked."""
    first = rows[0][0] if rows else 0
    wanted: set[int] = set()
    for _, pairs in itertools.groupby(rows, key=lambda row: row[0]):
        roots = {groups.find(a) for _, a, _ in pairs if a < first and a not in covered}
        if len(roots) > 1:
            wanted |= roots
    return wanted


def _by_later(frame: pd.DataFrame, most: int) -> Iterator[pd.DataFrame]:
    """Slices of ``frame`` (ordered by b) of about ``most`` rows, each later document's pairs in one slice."""
    later = frame.b.to_numpy()
    start = 0
    while start < len(later):
        end = min(start + most, len(later))
        if end < len(later):  # on to the end of the last document's pairs
            end = int(np.searchsorted(later, later[end - 1], side="right"))
        yield frame.iloc[start:end]
        start = end

