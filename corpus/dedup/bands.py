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

    def query(self, keys: np.ndarray) -> set[int]:
        """The documents that share a key with ``keys``. The buffer's are found by set intersections, from C (a
        Python test per key cost 19 us a document). Most keys are in no run: one search per run finds where
        each key would stand, and only the keys found there are searched for their ends and read."""
        listed = keys.tolist()
        single, shared = self._single, self._shared
        found = {single[key] for key in single.keys() & listed}
        for key in shared.keys() & listed:
            found.update(shared[key])
        for run_keys, run_docs, _ in self._runs:
            lo = np.searchsorted(run_keys, keys, "left")
            hits = np.flatnonzero(run_keys.take(lo, mode="clip") == keys)  # past the end: the last key, smaller
            if len(hits):
                hi = np.searchsorted(run_keys, keys[hits], "right")
                for a, b in zip(lo[hits].tolist(), hi.tolist(), strict=True):
                    found.update(run_docs[a:b].tolist())
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
        single.clear()
        shared.clear()
        self._buffered = 0
        while len(self._runs) >= 2 and self._runs[-2][2] <= self._runs[-1][2] \
                and self._runs[-2][2] + self._runs[-1][2] <= self.MAX_RUN_DOCS:
            (k1, d1, n1), (k2, d2, n2) = self._runs[-2], self._runs[-1]
            keys, docs = np.concatenate((k1, k2)), np.concatenate((d1, d2))
            order = np.argsort(keys, kind="stable")
            self._runs[-2:] = [(keys[order], docs[order], n1 + n2)]
