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


class RepeatedLines:
    """Feed each story's lines twice (:meth:`sketch`, then :meth:`count`), then ask :meth:`repeated`."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._sketch = np.zeros((SKETCH_DEPTH, SKETCH_WIDTH), dtype=np.uint16)
        self._exact: Counter[int] = Counter()

    @staticmethod
    def _slots(keys: np.ndarray) -> list[np.ndarray]:
        return [(keys >> np.uint64(20 * row)) & np.uint64(SKETCH_WIDTH - 1) for row in range(SKETCH_DEPTH)]

    def sketch(self, text: str, title: str | None) -> None:
        keys = np.fromiter(line_keys(text, title), dtype=np.uint64)
        for row, slots in enumerate(self._slots(keys)):
            counts = self._sketch[row]
            np.add.at(counts, slots, 1)
            counts[slots] = np.minimum(counts[slots], 60000)  # saturate the touched slots, never wrap

    def _candidates(self, keys: np.ndarray) -> np.ndarray:
        estimate = np.min([self._sketch[row][slots] for row, slots in enumerate(self._slots(keys))], axis=0)
        return keys[estimate >= self.threshold]

    def count(self, text: str, title: str | None) -> None:
        keys = np.fromiter(line_keys(text, title), dtype=np.uint64)
        if len(keys):
            self._exact.update(self._candidates(keys).tolist())

    def repeated(self) -> set[int]:
        return {key for key, n in self._exact.items() if n >= self.threshold}


def repeated_lines(stories: Iterable[tuple[str, str | None]], again: Iterable[tuple[str, str | None]],
                   threshold: int) -> set[int]:
    """The line keys found in at least ``threshold`` stories; each iterable yields (text, title) once."""
    counter = RepeatedLines(threshold)
    for text, title in stories:
        counter.sketch(text, title)
    for text, title in again:
        counter.count(text, title)
    return counter.repeated()
