"""Corpus-level evidence: lines that recur across many different stories of one run.

Counting every distinct line of a large run exactly would cost memory per document.
So counting takes two passes over the spooled documents: a count-min sketch of fixed
size (16 MiB) finds the lines that may reach the threshold, then those candidates,
and only those, are counted exactly. The answer is exact; the memory is bounded by
the sketch plus the (few) lines that really repeat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from corpus.clean import line_keys

SKETCH_WIDTH = 1 << 22  # slots per row
SKETCH_DEPTH = 2


def keys_of(text: str, title: str | None) -> np.ndarray:
    """The line keys one document votes with, as an array (computed where the document is)."""
    return np.fromiter(line_keys(text, title), dtype=np.uint64)


class RepeatedLines:
    """Feed line keys twice (:meth:`sketch`, then :meth:`count`), then ask :meth:`repeated`.

    The sketch may see every document, duplicates included (it only proposes candidates);
    the exact count must see one document per story.
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._sketch = np.zeros((SKETCH_DEPTH, SKETCH_WIDTH), dtype=np.uint16)
        self._exact: Counter[int] = Counter()

    @staticmethod
    def _slots(keys: np.ndarray) -> list[np.ndarray]:
        return [(keys >> np.uint64(20 * row)) & np.uint64(SKETCH_WIDTH - 1) for row in range(SKETCH_DEPTH)]

    def sketch(self, keys: np.ndarray) -> None:
        for row, slots in enumerate(self._slots(keys)):
            counts = self._sketch[row]
            np.add.at(counts, slots, 1)
            counts[slots] = np.minimum(counts[slots], 60000)  # saturate the touched slots, never wrap

    def _candidates(self, keys: np.ndarray) -> np.ndarray:
        estimate = np.min([self._sketch[row][slots] for row, slots in enumerate(self._slots(keys))], axis=0)
        return keys[estimate >= self.threshold]

    def count(self, keys: np.ndarray) -> None:
        if len(keys):
            self._exact.update(self._candidates(keys).tolist())

    def repeated(self) -> set[int]:
        return {key for key, n in self._exact.items() if n >= self.threshold}


def repeated_lines(stories: Iterable[tuple[str, str | None]], threshold: int) -> set[int]:
    """The line keys found in at least ``threshold`` of ``stories`` ((text, title) pairs, one per story)."""
    keys = [keys_of(text, title) for text, title in stories]
    counter = RepeatedLines(threshold)
    for k in keys:
        counter.sketch(k)
    for k in keys:
        counter.count(k)
    return counter.repeated()
