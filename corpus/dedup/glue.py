"""A block two texts print alike must not make them one story (issue 27).

Six different wire stories that each end with the agency's 70-word "about us" paragraph share most of
their shingles: their Jaccard similarity is about 0.66 on that block alone. What tells them apart is the
part that is not shared: each has its own body, and the bodies have nothing in common.

For every permutation of its MinHash, a signature keeps a one-byte tag of the line (paragraph) its
minimum came from: a hash of that line's words. For a pair, each permutation then says where the minimum
of the two texts together lies (a MinHash value is the minimum over a set, so the lower of the two
values is the union's):

- the same value from a line with the same tag in both: a line both print alike (a shared block);
- the same value from lines that differ: text both have outside identical lines (an edited paragraph);
- a lower value on one side: text only that side has.

A pair is *glued* when each text has a part of its own (``GLUE_OWN_SHARE`` of it or more), what the two
share lies in one or two identical lines (``GLUE_BLOCK_LINES``: a block, not a story's paragraphs), and
little of it (under ``GLUE_COMMON_SHARE``) lies outside them: the match rests on that block alone. Copies
of one story edited here and there share the edited paragraphs' other words; copies that each cut a
different paragraph share the story's other paragraphs (many lines); a copy cut short or with a line added
has no own part on one side: none of them is glued. Given up: two copies of a story of one or two long
paragraphs, printed identically, that each add a different paragraph of a tenth of their length or more
are judged as two stories (from the two texts alone they read exactly like two stories with a shared block).

Signatures without tags (an earlier night's, kept in a --state; the Dask executor's pairs) are judged by
Jaccard and containment alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import chain

import numpy as np
import xxhash

GLUE_OWN_SHARE = 0.1
"""Each text must have at least this share of its own (text the other does not have) to be judged glued."""
GLUE_MIN_PERMUTATIONS = 3
"""...and at least this many permutations must show it (fewer is too little evidence to undo a match)."""
GLUE_BLOCK_LINES = 2
"""Glued: what the two texts share lies in at most this many identical lines (as the tags tell them apart)..."""
GLUE_COMMON_SHARE = 0.2
"""...and less than this share of it lies outside those lines."""

_WORD = re.compile(r"\w+")


def lines_words(text: str) -> list[list[bytes]]:
    """Each line's words as :func:`corpus.dedup.minhash.normalise` gives them, in UTF-8 (what is hashed): the
    same NFKC and case folding, read line by line (a word never spans a line break, so the words are the same)."""
    return [[word.encode() for word in _WORD.findall(line)]
            for line in unicodedata.normalize("NFKC", text).casefold().split("\n")]


def words_by_line(per_line: Sequence[Sequence[bytes]], joined: Sequence[bytes] | None = None,
                  ) -> tuple[tuple[bytes, ...], np.ndarray, np.ndarray]:
    """(the words of ``per_line`` in order, the line of each word, a one-byte tag of each line's words), in
    UTF-8; ``joined``: each line's words joined by spaces, when the caller has them."""
    counts = np.fromiter(map(len, per_line), dtype=np.int64, count=len(per_line))
    line_of_word = np.repeat(np.arange(len(per_line), dtype=np.int32), counts)
    if joined is None:
        joined = [b" ".join(words) for words in per_line]
    tags = np.fromiter((xxhash.xxh32_intdigest(line) & 0xFF for line in joined), dtype=np.uint8,
                       count=len(per_line))
    return tuple(chain.from_iterable(per_line)), line_of_word, tags


def glued(hv_a: np.ndarray, tags_a: np.ndarray | None, hv_b: np.ndarray, tags_b: np.ndarray | None) -> bool:
    """True when a pair's match rests only on lines both texts print alike (see the module's docstring)."""
    if tags_a is None or tags_b is None:
        return False
    same = hv_a == hv_b
    alike = same & (tags_a == tags_b)
    block = int(np.count_nonzero(alike))
    common = int(np.count_nonzero(same)) - block
    only_a = int(np.count_nonzero(hv_a < hv_b))
    only_b = len(hv_a) - block - common - only_a
    if min(only_a, only_b) < GLUE_MIN_PERMUTATIONS or not block:
        return False
    if min(only_a / (only_a + common + block), only_b / (only_b + common + block)) < GLUE_OWN_SHARE:
        return False
    return common / (common + block) < GLUE_COMMON_SHARE and len(np.unique(tags_a[alike])) <= GLUE_BLOCK_LINES
