"""Shingle hashes and their MinHash values, computed with numpy: no Python call per shingle.

A signature is datasketch's ``affine32`` MinHash of a text's word shingles (``tests/test_dedup.py`` compares
bit for bit): each word hashed once (xxh32), the words of every window mixed together, then the
MurmurHash3 finaliser and one affine permutation per row, and the minimum of each row.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import xxhash

BATCH = 50_000  # shingles per step of a signature: bounds the (shingles x permutations) array

_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xBF58476D1CE4E5B9)


def word_hashes(words: Sequence[bytes]) -> np.ndarray:
    """xxh32 of each word's UTF-8, hashed afresh: a dictionary of the words already hashed answered in 70 ns
    a word when its entries sat in the cache, but 210 us for a document's 900 words inside a run (two cache
    misses a word, and the new string's own hash), against 93 us for the encode and the hash from C. The
    words come encoded (:func:`corpus.dedup.minhash.word_bytes`): an encode a word was a third of this."""
    return np.fromiter(map(xxhash.xxh32_intdigest, words), dtype=np.uint64, count=len(words))


def shingle_hashes(words: Sequence[bytes], size: int) -> np.ndarray:
    """Distinct 32-bit hashes of the ``size``-word shingles: each word hashed once (xxh32), then
    the words of every window mixed together with numpy, instead of one string per shingle."""
    return np.unique(window_hashes(words, size))


def window_hashes(words: Sequence[bytes], size: int) -> np.ndarray:
    """The 32-bit hash of the shingle starting at each word (see :func:`shingle_hashes`)."""
    if not words:
        return np.empty(0, dtype=np.uint32)
    hashed = word_hashes(words)
    width = min(size, len(words))
    count = len(words) - width + 1
    h = np.zeros(count, dtype=np.uint64)
    for j in range(width):  # whole-array integer arithmetic wraps without a warning: no np.errstate (6 us)
        h = (h ^ hashed[j: j + count]) * _P1
    h ^= h >> np.uint64(31)
    h *= _P2
    h ^= h >> np.uint64(29)
    return (h >> np.uint64(32)).astype(np.uint32)


def distinct_count(values: np.ndarray) -> int:
    """How many distinct values (a signature's shingles, for the containment estimate): a sort and a comparison
    of neighbours, 5 us a text where the stable sort that also gave each value's first place took 34."""
    ordered = np.sort(values)
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + bool(len(ordered))


_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_NO_HASH = np.uint32(0xFFFFFFFF)


def min_hashes(grams: np.ndarray, permutations: np.ndarray) -> np.ndarray:
    """The hash values datasketch's ``affine32`` MinHash holds after ``update_batch(grams)``, computed
    without its Python call per value: the MurmurHash3 finaliser on each value, then ``a * h + b``
    (mod 2**32) per permutation, the minimum per permutation (``tests/test_dedup.py`` compares)."""
    return min_hashes_at(grams, permutations)[0]


def min_hashes_at(grams: np.ndarray, permutations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`min_hashes`, the index in ``grams`` of each permutation's minimum). The values are laid out a
    row per permutation: the minimum's position is then found along contiguous memory (2.4 times faster).
    They are computed in place in a buffer kept per thread: a fresh (permutations x shingles) array for each
    document cost page faults on every call, two thirds of a signature's time."""
    a, b = (np.asarray(p, dtype=np.uint32).reshape(-1, 1) for p in permutations)  # as they are: no copy
    if 0 < len(grams) <= BATCH:  # one step (a news story): its minima are the answer
        return _batch_minima(grams, a, b)
    lowest = np.full(len(a), _NO_HASH, dtype=np.uint32)
    at = np.zeros(len(a), dtype=np.int64)
    for start in range(0, len(grams), BATCH):
        best, where = _batch_minima(grams[start: start + BATCH], a, b)
        better = best < lowest
        lowest = np.where(better, best, lowest)
        at = np.where(better, where + start, at)
    return lowest, at


def _batch_minima(grams: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each permutation's minimum over ``grams``, its index in ``grams``)."""
    s1, m1, s2, m2, s3 = _FMIX32
    hv = grams.astype(np.uint32)
    hv ^= hv >> s1
    hv *= m1
    hv ^= hv >> s2
    hv *= m2
    hv ^= hv >> s3
    values = _scratch(len(a) * len(hv)).reshape(len(a), len(hv))  # (permutations, shingles of the batch)
    np.multiply(hv, a, out=values)
    values += b
    where = values.argmin(axis=1)
    return values[_rows(len(a)), where], where


@lru_cache(maxsize=4)
def _rows(count: int) -> np.ndarray:
    return np.arange(count)


SCRATCH_KEPT_VALUES = 1 << 20  # a thread keeps a buffer of up to 4 MiB; a larger document's is its own


def _scratch(size: int) -> np.ndarray:
    """A uint32 buffer of ``size`` values for this thread (Dask runs documents in threads)."""
    kept = getattr(_SCRATCH, "values", None)
    if kept is not None and len(kept) >= size:
        return kept[:size]
    values = np.empty(size, dtype=np.uint32)
    if size <= SCRATCH_KEPT_VALUES:
        _SCRATCH.values = values
    return values


_SCRATCH = threading.local()
