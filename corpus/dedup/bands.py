"""The in-memory LSH band index of one run: which earlier documents share a band key with a new one."""

from __future__ import annotations

from functools import lru_cache
from itertools import chain, repeat
from typing import Protocol

import numpy as np


class Banding(Protocol):
    """What the band keys need of :class:`corpus.dedup.minhash.MinHashParams`."""

    bands: int
    rows: int

_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_keys32(hashvalues: np.ndarray, params: Banding) -> np.ndarray:
    """One 32-bit key per LSH band, in memory. Two documents share a key when their rows in
    that band are equal; a rare accidental collision only adds a candidate to confirm. (Whole-array
    integer arithmetic wraps without a warning: no ``np.errstate`` needed, whose set-up cost a third.)"""
    rows = hashvalues[: params.bands * params.rows].astype(np.uint64).reshape(params.bands, params.rows)
    h = _band_seeds(params.bands).copy()
    for r in range(params.rows):
        h ^= rows[:, r]
        h *= _MIX
        h ^= h >> np.uint64(29)
    return (h >> np.uint64(32)).astype(np.uint32)


def band_keys32_many(hashvalues: np.ndarray, params: Banding) -> np.ndarray:
    """:func:`band_keys32` of each row of ``hashvalues`` (documents x permutations), for all at once: the same
    dozen array operations for a batch of documents as for one (9 us a document, one at a time)."""
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
        self._asked: tuple[np.ndarray, list[int], set[int], set[int]] | None = None  # the last query, for add
        self.flushes = 0  # times the buffer became a run: what :meth:`in_runs` found before then is out of date

    def query(self, keys: np.ndarray, in_runs: set[int] | None = None) -> set[int]:
        """The documents that share a key with ``keys``. The buffer's are found by set intersections, from C (a
        Python test per key cost 19 us a document); ``in_runs``: those of the sorted runs, if the caller found them
        (:meth:`in_runs`). What it found in the buffer waits for :meth:`add` of the same keys (a document is
        looked up, then added)."""
        listed = keys.tolist()
        single, shared = self._single, self._shared
        in_single, in_shared = single.keys() & listed, shared.keys() & listed
        self._asked = (keys, listed, in_single, in_shared)
        found = {single[key] for key in in_single}
        for key in in_shared:
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
        document); a key another document of the buffer has (a few in a hundred) joins the shared ones. The keys
        just queried are not looked up again (the buffer has not changed since)."""
        single, shared = self._single, self._shared
        asked, self._asked = self._asked, None
        if asked is not None and asked[0] is keys:
            _, listed, in_single, in_shared = asked
        else:
            listed = keys.tolist()
            in_single, in_shared = single.keys() & listed, shared.keys() & listed
        if in_single:
            for key in in_single:
                shared[key] = [single.pop(key), doc]
        if in_shared:
            for key in in_shared:
                shared[key].append(doc)
        if in_single or in_shared:
            listed = [key for key in listed if key not in in_single and key not in in_shared]
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
