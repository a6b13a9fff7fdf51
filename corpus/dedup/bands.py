"""The in-memory LSH band index of one run: which earlier documents share a band key with a new one."""

from __future__ import annotations

from functools import lru_cache
from itertools import chain
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

    Recent documents sit in a dict; every ``BUFFER_DOCS`` they are sorted into a numpy
    run (4 bytes of key and 4 of document per band), and small runs merge up to
    ``MAX_RUN_DOCS``. About 340 bytes per document for 42 bands, with no per-key objects.
    """

    BUFFER_DOCS = 2048
    MAX_RUN_DOCS = 1 << 16

    def __init__(self) -> None:
        self._buffer: dict[int, list[int]] = {}
        self._buffered = 0
        self._runs: list[tuple[np.ndarray, np.ndarray, int]] = []  # (sorted keys, their documents, documents)

    def query(self, keys: np.ndarray) -> set[int]:
        """The documents that share a key with ``keys``. Most keys are in no run: one search per run finds where
        each key would stand, and only the keys found there are searched for their ends and read."""
        found: set[int] = set()
        buffer = self._buffer
        for key in keys.tolist():
            if key in buffer:
                found.update(buffer[key])
        for run_keys, run_docs, _ in self._runs:
            lo = np.searchsorted(run_keys, keys, "left")
            hits = np.flatnonzero(run_keys.take(lo, mode="clip") == keys)  # past the end: the last key, smaller
            if len(hits):
                hi = np.searchsorted(run_keys, keys[hits], "right")
                for a, b in zip(lo[hits].tolist(), hi.tolist(), strict=True):
                    found.update(run_docs[a:b].tolist())
        return found

    def add(self, doc: int, keys: np.ndarray) -> None:
        for key in keys.tolist():
            self._buffer.setdefault(key, []).append(doc)
        self._buffered += 1
        if self._buffered >= self.BUFFER_DOCS:
            self._flush()

    def _flush(self) -> None:
        """The buffer as a sorted run: its keys, each repeated for its documents, and the documents in the
        buffer's order, made from C (a slice assignment per key cost 40 us a document, amortised)."""
        sizes = np.fromiter(map(len, self._buffer.values()), dtype=np.int64, count=len(self._buffer))
        keys = np.repeat(np.fromiter(self._buffer, dtype=np.uint32, count=len(self._buffer)), sizes)
        docs = np.fromiter(chain.from_iterable(self._buffer.values()), dtype=np.int32, count=int(sizes.sum()))
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], docs[order], self._buffered))
        self._buffer.clear()
        self._buffered = 0
        while len(self._runs) >= 2 and self._runs[-2][2] <= self._runs[-1][2] \
                and self._runs[-2][2] + self._runs[-1][2] <= self.MAX_RUN_DOCS:
            (k1, d1, n1), (k2, d2, n2) = self._runs[-2], self._runs[-1]
            keys, docs = np.concatenate((k1, k2)), np.concatenate((d1, d2))
            order = np.argsort(keys, kind="stable")
            self._runs[-2:] = [(keys[order], docs[order], n1 + n2)]
