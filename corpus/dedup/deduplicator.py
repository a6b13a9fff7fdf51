"""The run's deduplicator: documents added in input order, candidates found through an in-memory LSH band index
(which earlier documents share a band key with a new one), grouped as they come, each group's kept record chosen
once the run is seen (the matching and grouping rules are :mod:`corpus.dedup.minhash`'s)."""

from __future__ import annotations

from functools import lru_cache
from itertools import chain, repeat
from typing import Protocol

import numpy as np

from corpus.dedup.minhash import (
    Earlier,
    EarlierIndex,
    MinHashParams,
    Signature,
    SignatureStore,
    UnionFind,
    confirmed,
    decide_groups,
    estimated_jaccard,
    is_match,
    join,
    settle_earlier,
)
from corpus.identity import is_content_id


class Banding(Protocol):
    """What the band keys need of :class:`corpus.dedup.minhash.MinHashParams`."""

    bands: int
    rows: int

_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_keys32(hashvalues: np.ndarray, params: Banding) -> np.ndarray:
    """One 32-bit key per LSH band, in memory. Two documents share a key when their rows in
    that band are equal; a rare accidental collision only adds a candidate to confirm."""
    return band_keys32_many(hashvalues[None], params)[0]


def band_keys32_many(hashvalues: np.ndarray, params: Banding) -> np.ndarray:
    """:func:`band_keys32` of each row of ``hashvalues`` (documents x permutations), for all at once: the same
    dozen array operations for a batch of documents as for one (9 us a document, one at a time). (Whole-array
    integer arithmetic wraps without a warning: no ``np.errstate`` needed, whose set-up cost a third.)"""
    count = len(hashvalues)
    rows = hashvalues[:, : params.bands * params.rows].astype(np.uint64).reshape(count, params.bands, params.rows)
    h = np.broadcast_to(_band_seeds(params.bands), (count, params.bands)).copy()
    for r in range(params.rows):
        h ^= rows[:, :, r]
        h *= _MIX
        h ^= h >> np.uint64(29)
    return (h >> np.uint64(32)).astype(np.uint32)


@lru_cache(maxsize=8)
def _band_seeds(bands: int) -> np.ndarray:
    return np.arange(1, bands + 1, dtype=np.uint64) * _MIX


class BandIndex:
    """Which earlier documents share an LSH band key with a new one.

    Recent documents sit in two dicts: a key one document has (nearly all) maps to it, a key several share to
    their list. Every ``BUFFER_DOCS`` they are sorted into a numpy run (4 bytes of key and 4 of document per
    band), and small runs merge up to ``MAX_RUN_DOCS``. About 340 bytes per document for 42 bands, with no
    per-key objects.
    """

    BUFFER_DOCS = 2048
    MAX_RUN_DOCS = 1 << 16

    def __init__(self) -> None:
        self._single: dict[int, int] = {}  # a key of the buffer's documents that one of them has: that document
        self._shared: dict[int, list[int]] = {}  # a key several of them have: those, in order
        self._buffered = 0
        self._runs: list[tuple[np.ndarray, np.ndarray, int]] = []  # (sorted keys, their documents, documents)
        self.flushes = 0  # times the buffer became a run: what :meth:`in_runs` found before then is out of date

    def query(self, keys: np.ndarray, in_runs: set[int] | None = None) -> set[int]:
        """The documents that share a key with ``keys``. The buffer's are found by set intersections, from C (a
        Python test per key cost 19 us a document); ``in_runs``: those of the sorted runs, if the caller found them
        (:meth:`in_runs`)."""
        listed = keys.tolist()
        single, shared = self._single, self._shared
        found = {single[key] for key in single.keys() & listed}
        for key in shared.keys() & listed:
            found.update(shared[key])
        found.update(self.in_runs(keys[None])[0] if in_runs is None else in_runs)
        return found

    def in_runs(self, keys: np.ndarray) -> list[set[int]]:
        """For each row of ``keys`` (documents x bands), the documents of the sorted runs that share a key with it.
        Most keys are in no run: one search per run finds where each key would stand, and only the keys found
        there are searched for their ends and read; the rows of a batch are searched together (8 us a document
        and run, one at a time)."""
        found: list[set[int]] = [set() for _ in range(len(keys))]
        flat, bands = keys.ravel(), keys.shape[1]
        for run_keys, run_docs, _ in self._runs:
            lo = np.searchsorted(run_keys, flat, "left")
            hits = np.flatnonzero(run_keys.take(lo, mode="clip") == flat)  # past the end: the last key, smaller
            if len(hits):
                hi = np.searchsorted(run_keys, flat[hits], "right")
                for at, a, b in zip(hits.tolist(), lo[hits].tolist(), hi.tolist(), strict=True):
                    found[at // bands].update(run_docs[a:b].tolist())
        return found

    def add(self, doc: int, keys: np.ndarray) -> None:
        """The document's new keys go in with one ``update`` from C (``setdefault`` and a list per key cost 36 us a
        document); a key another document of the buffer has (a few in a hundred) joins the shared ones."""
        listed = keys.tolist()
        single, shared = self._single, self._shared
        known = single.keys() & listed
        if known:
            for key in known:
                shared[key] = [single.pop(key), doc]
            listed = [key for key in listed if key not in known]
        known = shared.keys() & listed
        if known:
            for key in known:
                shared[key].append(doc)
            listed = [key for key in listed if key not in known]
        single.update(zip(listed, repeat(doc)))
        self._buffered += 1
        if self._buffered >= self.BUFFER_DOCS:
            self._flush()

    def _flush(self) -> None:
        """The buffer as a sorted run: its keys, each repeated for its documents, and the documents in the
        buffer's order, made from C (a slice assignment per key cost 40 us a document, amortised)."""
        single, shared = self._single, self._shared
        sizes = np.fromiter(map(len, shared.values()), dtype=np.int64, count=len(shared))
        keys = np.concatenate((np.fromiter(single, dtype=np.uint32, count=len(single)),
                               np.repeat(np.fromiter(shared, dtype=np.uint32, count=len(shared)), sizes)))
        docs = np.concatenate((np.fromiter(single.values(), dtype=np.int32, count=len(single)),
                               np.fromiter(chain.from_iterable(shared.values()), dtype=np.int32,
                                           count=int(sizes.sum()))))
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], docs[order], self._buffered))
        self.flushes += 1
        single.clear()
        shared.clear()
        self._buffered = 0
        while len(self._runs) >= 2 and self._runs[-2][2] <= self._runs[-1][2] \
                and self._runs[-2][2] + self._runs[-1][2] <= self.MAX_RUN_DOCS:
            (k1, d1, n1), (k2, d2, n2) = self._runs[-2], self._runs[-1]
            keys, docs = np.concatenate((k1, k2)), np.concatenate((d1, d2))
            order = np.argsort(keys, kind="stable")
            self._runs[-2:] = [(keys[order], docs[order], n1 + n2)]


class Deduplicator:
    """Groups near-duplicates among the documents of one run, and against earlier runs.

    Documents are added by index in input order. In memory per document: its signature,
    its line tags, its band keys and its 16-byte id (about 1 KB), never its text.
    """

    def __init__(self, params: MinHashParams | None = None, earlier: EarlierIndex | None = None) -> None:
        self.params = params or MinHashParams()
        self._bands = BandIndex()
        self._store = SignatureStore(self.params.num_perm)
        self._ids = bytearray()  # 16 bytes per document (our ids are 32 hex digits)
        self._other_ids: dict[int, str] = {}  # ids that are not (crawler ids from JSONL input)
        self._groups = UnionFind()
        self._renamed: dict[int, str] = {}  # re-deliveries of records an earlier run stored
        self._earlier_index = earlier
        self._earlier: dict[int, list[Earlier]] = {}  # index → the earlier-run records it matches

    def is_match(self, a: Signature, b: Signature) -> bool:
        return is_match(a, b, self.params)

    def id_of(self, index: int) -> str:
        return self._renamed.get(index) or self._other_ids.get(index) or self._ids[16 * index: 16 * index + 16].hex()

    def signature_of(self, index: int) -> Signature | None:
        return self._store.get(index)

    def finish_adding(self) -> None:
        """No document will be added (the groups are read; signatures and ids are still given): the band
        index goes, about 340 bytes a document and a buffer of recent documents' keys."""
        self._bands = BandIndex()

    def release_signatures_before(self, index: int) -> None:
        """After :meth:`finish_adding`: documents before ``index`` will not be asked for their signatures."""
        self._store.release_before(index)

    def add_many(self, documents: list[tuple[int, Signature | None, str]]) -> None:
        """:meth:`add` of consecutive documents (index, signature, id), with their band keys and their look-ups in
        the sorted runs made for all of them at once (a batch run's two passes add every document)."""
        signed = [row for row, (_, sig, _) in enumerate(documents) if sig is not None]
        if not signed:
            keys, in_runs = np.empty((0, self.params.bands), np.uint32), []
        else:
            keys = band_keys32_many(np.array([documents[row][1].hashvalues for row in signed]), self.params)
            in_runs = self._bands.in_runs(keys)
        at, flushes = {row: k for k, row in enumerate(signed)}, self._bands.flushes
        for row, (index, sig, doc_id) in enumerate(documents):
            if (k := at.get(row)) is None:
                self.add(index, sig, doc_id)
                continue
            if self._bands.flushes != flushes:  # the buffer became a run: the rest are looked up in it again
                in_runs[k:], flushes = self._bands.in_runs(keys[k:]), self._bands.flushes
            self.add(index, sig, doc_id, keys[k], in_runs[k])

    def add(self, index: int, sig: Signature | None, doc_id: str, keys: np.ndarray | None = None,
            in_runs: set[int] | None = None) -> list[int]:
        """Record a document (indices must come in order 0, 1, 2, ...); returns the earlier
        documents of this run it matches. ``keys`` and ``in_runs``: its band keys and the documents of the
        band index's sorted runs that share one, when :meth:`add_many` found them."""
        assert index == self._store.count, "documents must be added in input order"
        if is_content_id(doc_id):
            self._ids += bytes.fromhex(doc_id)
        else:
            self._ids += bytes(16)
            self._other_ids[index] = doc_id
        self._store.append(sig)
        if sig is None:
            return []
        if self._earlier_index is not None:
            matches = [(rec.first_seen, rec.id, rec.run) for rec in self._earlier_index.lookup(sig)
                       if self.is_match(sig, rec.signature)]
            if matches:
                self._earlier[index] = matches
        if keys is None:
            keys = band_keys32(sig.hashvalues, self.params)
        matches = []
        for other in sorted(self._bands.query(keys, in_runs)):
            other_sig = self._store.get(other)
            if other_sig is None:
                continue
            jaccard = estimated_jaccard(sig, other_sig)
            if confirmed(sig, other_sig, jaccard, self.params):
                matches.append((jaccard, other))
        matched, covered = join(self._groups, index, matches, self._store.get, self.params)
        if not covered:  # a near copy of one already in the index stands behind it (see COVERED_JACCARD)
            self._bands.add(index, keys)
        return matched

    def _settle_earlier(self, index: int, cutoff: int | None, run_key: str) -> None:
        """See :func:`settle_earlier`."""
        visible, own = settle_earlier(self._earlier.get(index, []), self.id_of(index), cutoff, run_key)
        if visible:
            self._earlier[index] = visible
        else:
            self._earlier.pop(index, None)
        if own != self.id_of(index):
            self._renamed[index] = own

    def _earlier_match(self, members: list[int]) -> str | None:
        """The earliest earlier-run record the group copies."""
        earlier = [m for i in members for m in self._earlier.get(i, [])]
        return min(earlier)[1] if earlier else None

    def decide(self, index: int, matched: list[int], cutoff: int | None = None, run_key: str = "") -> int | str:
        """Stream-and-decide: the kept record for a document just added, final at once.

        The first document of a group (in input order) is kept; a group that copies an
        earlier run's record points to it.
        """
        self._settle_earlier(index, cutoff, run_key)
        members = sorted({index, *matched, *(self._groups.find(m) for m in matched)})
        earlier = self._earlier_match(members)
        return earlier if earlier is not None else self._groups.find(index)

    def groups(self, cutoff: int | None = None, run_key: str = "") -> tuple[dict[int, int | str], set[int]]:
        """After the run: (kept, followers). ``kept`` maps each document of a group, or with an
        earlier-run match, to its group's kept index (the most complete text, ties to the earliest)
        or to the earlier record's id; documents not in it stand alone. ``followers`` are the
        documents that do not speak for their group (one vote per story for repeated lines).
        ``cutoff`` and ``run_key``: see :meth:`_settle_earlier`."""
        for index in list(self._earlier):
            self._settle_earlier(index, cutoff, run_key)
        return decide_groups(self._groups.groups(self._earlier), self._store.words,
                             lambda i: self._earlier.get(i, []))
