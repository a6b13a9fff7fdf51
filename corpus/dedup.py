"""Stage 4: find near-duplicate stories with MinHash + LSH and pick one per group.

Texts are normalised (NFKC, case-folded, words only) and cut into word
shingles; each document gets a MinHash signature (datasketch, batch API,
xxhash: stable across processes, unlike Python's salted ``hash()``). LSH
proposes candidate pairs; a pair is confirmed when the estimated Jaccard
similarity, or the estimated containment of the shorter text in the longer
(a copy cut short, a paragraph dropped), passes its threshold. Confirmed pairs
are grouped transitively (union-find).

The kept record of a group is the most complete text (most words); ties go to
the earliest input in sorted path order. So the choice depends on the texts,
never on the order files were read or the number of workers. With a persistent
index of earlier runs (``--state``), a group that matches a record kept on an
earlier night is a copy of it: every member points to the earliest such record.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import xxhash
from datasketch import MinHash, MinHashLSH

if TYPE_CHECKING:
    from corpus.state import StoredRecord

_WORD = re.compile(r"\w+")
MAX_SIGNATURE_WORDS = 200_000  # a signature of a text's first 200k words (news stories are far shorter)
BATCH = 50_000  # shingles hashed per update_batch call: bounds the (shingles x permutations) array
SCHEME = "affine32"  # datasketch's permutation scheme; stored signatures must use the same one


@dataclass(frozen=True)
class MinHashParams:
    """Signature and matching parameters; see the README's "Near-duplicates" section."""

    shingle_words: int = 5
    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    seed: int = 1
    jaccard: float = 0.5  # confirm a candidate pair at this estimated Jaccard similarity ...
    containment: float = 0.8  # ... or when this share of the shorter text is in the longer

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass
class Signature:
    hashvalues: np.ndarray
    shingles: int  # distinct shingles, for the containment estimate
    words: int  # completeness, for choosing the kept record


def normalise(text: str) -> list[str]:
    """The words dedup compares: NFKC, case-folded, punctuation and layout dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def text_hash(text: str) -> str:
    """Hash of the normalised text: equal for texts that differ only in case, spacing, punctuation."""
    return hashlib.sha256(" ".join(normalise(text)).encode()).hexdigest()[:32]


def shingles(words: list[str], size: int) -> set[bytes]:
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i: i + size]).encode() for i in range(len(words) - size + 1)}


def signature(text: str, params: MinHashParams) -> Signature | None:
    """A MinHash signature of ``text``; None when there are no words to compare."""
    words = normalise(text)
    grams = shingles(words[:MAX_SIGNATURE_WORDS], params.shingle_words)
    if not grams:
        return None
    mh = MinHash(num_perm=params.num_perm, seed=params.seed, hashfunc=xxhash.xxh32_intdigest, scheme=SCHEME)
    ordered = list(grams)
    for start in range(0, len(ordered), BATCH):
        mh.update_batch(ordered[start: start + BATCH])
    return Signature(hashvalues=mh.hashvalues, shingles=len(grams), words=len(words))


def estimated_jaccard(a: Signature, b: Signature) -> float:
    return float(np.count_nonzero(a.hashvalues == b.hashvalues)) / len(a.hashvalues)


def estimated_containment(a: Signature, b: Signature, jaccard: float) -> float:
    """Share of the smaller shingle set inside the larger, from Jaccard and the set sizes."""
    overlap = jaccard * (a.shingles + b.shingles) / (1.0 + jaccard)
    return min(1.0, overlap / max(1, min(a.shingles, b.shingles)))


class EarlierIndex(Protocol):
    """What the deduplicator needs of a persistent index (see corpus.state.StateIndex)."""

    def lookup(self, sig: Signature) -> list[StoredRecord]: ...


class Deduplicator:
    """Collects signatures for one run and groups near-duplicates.

    Documents are added by index in input order; :meth:`groups` maps each index
    to the index of its group's kept document, or to the id of an earlier
    night's record when the group is a copy of one.
    """

    def __init__(self, params: MinHashParams | None = None, earlier: EarlierIndex | None = None) -> None:
        self.params = params or MinHashParams()
        self._lsh = MinHashLSH(num_perm=self.params.num_perm, params=(self.params.bands, self.params.rows))
        self._signatures: dict[int, Signature] = {}
        self._parent: dict[int, int] = {}
        self._earlier_index = earlier
        self._earlier: dict[int, list[tuple[str, str]]] = {}  # index → [(first_seen, id)] it matches
        self._ids: dict[int, str] = {}

    def _find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def _union(self, i: int, j: int) -> None:
        ri, rj = self._find(i), self._find(j)
        if ri != rj:
            self._parent[max(ri, rj)] = min(ri, rj)

    def is_match(self, a: Signature, b: Signature) -> bool:
        jac = estimated_jaccard(a, b)
        return jac >= self.params.jaccard or estimated_containment(a, b, jac) >= self.params.containment

    def add(self, index: int, sig: Signature | None, doc_id: str = "") -> None:
        self._parent[index] = index
        self._ids[index] = doc_id
        if sig is None:
            return
        if self._earlier_index is not None:
            matches = [(rec.first_seen, rec.id) for rec in self._earlier_index.lookup(sig)
                       if self.is_match(sig, rec.signature)]
            if matches:
                self._earlier[index] = matches
        mh = MinHash(num_perm=self.params.num_perm, seed=self.params.seed, hashvalues=sig.hashvalues, scheme=SCHEME)
        for other in self._lsh.query(mh):
            if self.is_match(sig, self._signatures[other]):
                self._union(index, other)
        self._lsh.insert(index, mh, check_duplication=False)
        self._signatures[index] = sig

    def signature_of(self, index: int) -> Signature | None:
        return self._signatures.get(index)

    def groups(self) -> dict[int, int | str]:
        """index → index of the kept document of its group (itself when kept), or the id of
        the earliest record of an earlier run that the group copies."""
        members: dict[int, list[int]] = {}
        for i in self._parent:
            members.setdefault(self._find(i), []).append(i)
        tonight = set(self._ids.values())  # a rerun finds tonight's own records in the index: not earlier
        kept: dict[int, int | str] = {}
        for group in members.values():
            earlier = [m for i in group for m in self._earlier.get(i, []) if m[1] not in tonight]
            best: int | str = min(earlier)[1] if earlier else min(group, key=lambda i: (-self._words(i), i))
            for i in group:
                kept[i] = best
        return kept

    def _words(self, i: int) -> int:
        sig = self._signatures.get(i)
        return sig.words if sig else 0
