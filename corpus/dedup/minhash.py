"""Stage 4: find near-duplicate stories with MinHash + LSH and pick one per group.

Texts are normalised (NFKC, case-folded, words only) and cut into word
shingles; each document gets a MinHash signature (datasketch's ``affine32`` scheme,
computed with numpy, over shingle hashes mixed from xxhash word hashes: stable across
processes, unlike Python's salted ``hash()``). LSH
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
import sys
import types
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from corpus.dedup.glue import glued, lines_words, words_by_line
from corpus.dedup.shingles import distinct_count, min_hashes_at, window_hashes
from corpus.identity import redelivered_id
from corpus.text import latin1_bytes

_WORD = re.compile(r"\w+")
MAX_SIGNATURE_WORDS = 200_000  # a signature of a text's first 200k words (news stories are far shorter)
SCHEME = "affine32"  # datasketch's permutation scheme; stored signatures must use the same one


def _import_minhash() -> type:
    """datasketch's MinHash, without the 0.7 s that ``import datasketch`` spends loading
    scipy.integrate (its LSH module imports ``quad`` at the top; newsclean has its own banding and
    never calls it). Every ``newsclean`` command and every worker process paid that on start-up.
    While datasketch loads, ``scipy.integrate`` is a stand-in whose ``quad`` imports the real one
    when called; the stand-in leaves ``sys.modules`` at once, so any other importer gets scipy's."""
    if "scipy.integrate" in sys.modules or "datasketch" in sys.modules:
        from datasketch import MinHash as loaded
        return loaded
    stand_in = types.ModuleType("scipy.integrate")

    def quad(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - scipy's own signature
        from scipy.integrate import quad as real_quad
        return real_quad(*args, **kwargs)

    stand_in.quad = quad  # type: ignore[attr-defined]
    sys.modules["scipy.integrate"] = stand_in
    try:
        from datasketch import MinHash as loaded
    finally:
        if sys.modules.get("scipy.integrate") is stand_in:
            del sys.modules["scipy.integrate"]
    return loaded


MinHash = _import_minhash()


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
    tags: np.ndarray | None = None  # per permutation, a byte of the line its minimum came from (corpus.dedup.glue)


@dataclass
class StoredRecord:
    """A record an earlier night kept, as the state gives it back: its id, when it was first seen, its signature."""

    id: str
    first_seen: str
    signature: Signature
    run: int = 0


def _latin1_words() -> tuple[bytes, bytes]:
    """(a Latin-1 byte's place in a word: its NFKC case-folded self if ``\\w`` matches it, else a space; the
    bytes whose NFKC case folding is more than one character or leaves Latin-1 (ß, µ, ¼), which a byte table
    cannot give). Worked out from the regex path itself, character by character: NFKC composes nothing
    between Latin-1 characters (¨ ´ ¯ ¸ decompose into a space and a mark, and a space takes no mark)."""
    table, special = bytearray(), bytearray()
    for byte in range(256):
        folded = unicodedata.normalize("NFKC", chr(byte)).casefold()
        words = _WORD.findall(folded)
        if not words:
            table.append(ord(" "))
        elif len(folded) == 1 and folded == words[0] and ord(folded) < 256:
            table.append(ord(folded))
        else:
            table.append(byte)
            special.append(byte)
    return bytes(table), bytes(set(range(256)) - set(special))


_LATIN1_WORDS, _NOT_SPECIAL = _latin1_words()


def _as_latin1(text: str) -> bytes | None:
    """:func:`latin1_bytes`, if the byte table can take every character (else None)."""
    raw = latin1_bytes(text)
    return None if raw is None or raw.translate(None, _NOT_SPECIAL) else raw


def words_of(text: str) -> tuple[str, ...]:
    """The words dedup compares: NFKC, case-folded, punctuation and layout dropped. No word spans a
    line, and NFKC composes nothing across one, so a text's words are its lines' words in order.
    A line in Latin-1 (after its curly quotes and dashes: English, French, German, Spanish...) takes
    a shortcut with the same result: a byte table and a split instead of a regular expression's
    match per word: 4.8 us a Latin line against 8.7 (``tests/test_dedup.py`` compares). A line of
    another script pays 1.5 us more for the try (12.8 against 11.4)."""
    raw = text.encode("ascii") if text.isascii() else _as_latin1(text)
    if raw is not None:
        return tuple(raw.translate(_LATIN1_WORDS).decode("latin-1").split())
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def word_bytes(text: str) -> list[bytes]:
    """:func:`words_of`, each word in UTF-8: what a signature hashes and a text hash joins, without an encode a
    word (or a decode a line: an ASCII line's words are its folded bytes' split). A signature took 25 us
    less a plain-text document (405 against 430)."""
    if text.isascii():
        return text.encode("ascii").translate(_LATIN1_WORDS).split()
    raw = _as_latin1(text)
    if raw is not None:  # the folded line holds only words and spaces: its UTF-8's split is its words' UTF-8
        return raw.translate(_LATIN1_WORDS).decode("latin-1").encode().split()
    return [word.encode() for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold())]


normalise = lru_cache(maxsize=2)(words_of)
""":func:`words_of`, the last texts' kept: the text hash and the signature of one text both need them."""


def hash_of_words(words: Sequence[str]) -> str:
    return hash_of_joined(" ".join(words))


def hash_of_joined(joined: str) -> str:
    """:func:`hash_of_words` of words given joined by single spaces (a text's lines' joins, each once)."""
    return hash_of_encoded(joined.encode())


def hash_of_encoded(joined: bytes) -> str:
    """:func:`hash_of_joined` of the join in UTF-8."""
    return hashlib.sha256(joined).hexdigest()[:32]


def text_hash(text: str) -> str:
    """Hash of the normalised text: equal for texts that differ only in case, spacing, punctuation."""
    return hash_of_words(normalise(text))


@lru_cache(maxsize=4)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch draws these anew for every MinHash object; they depend only on the seed. Kept as the columns
    :func:`min_hashes_at` multiplies by (made there from datasketch's own arrays took 6 us a signature)."""
    a, b = (np.asarray(p, dtype=np.uint32).reshape(-1, 1)
            for p in MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations)
    if not (a & 1).all():  # signature_of_lines finds each minimum's first place among repeated shingles
        raise ValueError(f"the {SCHEME} permutations are to be bijections (odd multipliers)")
    return a, b


def signature(text: str, params: MinHashParams) -> Signature | None:
    """A MinHash signature of ``text``, with the line each minimum came from (see :mod:`corpus.dedup.glue`);
    None when there are no words to compare."""
    return signature_of_lines(lines_words(text), params)


def signature_of_lines(per_line: Sequence[Sequence[bytes]], params: MinHashParams,
                       joined: Sequence[bytes] | None = None) -> Signature | None:
    """:func:`signature` of a text given its lines' words (:func:`lines_words`, or a caller's own); ``joined``:
    each line's words joined by spaces, when the caller has them."""
    words, line_of_word, line_tags = words_by_line(per_line, joined)
    shingles = window_hashes(words[:MAX_SIGNATURE_WORDS], params.shingle_words)
    if not len(shingles):
        return None
    # Every shingle, repeats included: a permutation is a bijection (its a is odd, as datasketch's affine32 draws
    # it), so two distinct shingles never tie, and a repeat only ties with itself, whose first place argmin finds.
    values, at = min_hashes_at(shingles, _permutations(params.num_perm, params.seed))
    return Signature(hashvalues=values, shingles=distinct_count(shingles), words=len(words),
                     tags=line_tags[line_of_word[at]])


def estimated_jaccard(a: Signature, b: Signature) -> float:
    return float(np.count_nonzero(a.hashvalues == b.hashvalues)) / len(a.hashvalues)


def estimated_containment(a: Signature, b: Signature, jaccard: float) -> float:
    """Share of the smaller shingle set inside the larger, from Jaccard and the set sizes."""
    overlap = jaccard * (a.shingles + b.shingles) / (1.0 + jaccard)
    return min(1.0, overlap / max(1, min(a.shingles, b.shingles)))


def is_match(a: Signature, b: Signature, params: MinHashParams) -> bool:
    """The confirmation rule for a candidate pair, whichever executor found it."""
    return confirmed(a, b, estimated_jaccard(a, b), params)


def confirmed(a: Signature, b: Signature, jaccard: float, params: MinHashParams) -> bool:
    """:func:`is_match` given the pair's estimated Jaccard: similar enough, or the shorter text inside the
    longer, and not glued by lines both print alike (:func:`corpus.dedup.glue.glued`)."""
    return (jaccard >= params.jaccard or estimated_containment(a, b, jaccard) >= params.containment) \
        and not glued(a.hashvalues, a.tags, b.hashvalues, b.tags)


COVERED_JACCARD = 0.9
"""A document this close (estimated Jaccard) to one already in the band index is not added to it: a
later copy finds the group through that one. So a story delivered N times (byte-identical or nearly)
costs N comparisons with the group's first text, not N squared with each other (issue 27). What is
given up: a text that matches the covered copy but not the one before it (Jaccard over 0.5 with one,
under with the other, though the two are over 0.9 with each other) stands alone: a rare case."""

BRIDGE_JACCARD = 0.5
"""Two groups that one document matches are joined only when their representatives' estimated Jaccard is at
least this share of the match threshold (0.25 by default). Two stories a roundup holds whole share next to
nothing (under 0.05); differently cut copies of one story, each matched by the full text, 0.42-0.47 on the
syndicated set (bench/eval_dedup.py), and its closest different-article pair 0.16."""

Earlier = tuple[str, str, int]  # an earlier run's record a document copies: (first_seen, id, run)


def settle_earlier(matches: list[Earlier], own_id: str, cutoff: int | None, run_key: str) -> tuple[list[Earlier], str]:
    """(the matches this run may see, the document's id): a rerun sees only runs before its first one,
    and a document whose own id an earlier run stored is that record delivered again (a new id)."""
    visible = [m for m in matches if cutoff is None or m[2] < cutoff]
    if any(m[1] == own_id for m in visible):
        return visible, redelivered_id(own_id, run_key)
    return visible, own_id


def decide_groups(groups: Iterable[list[int]], words: Callable[[int], int],
                  earlier: Callable[[int], list[Earlier]]) -> tuple[dict[int, int | str], set[int]]:
    """(kept, followers) for groups of document indices: each group keeps its most complete text
    (most words; ties to the earliest index), or points to the earliest earlier-run record any of
    its members copies. ``followers``: members that do not speak for their group."""
    kept: dict[int, int | str] = {}
    followers: set[int] = set()
    for group in groups:
        group = sorted(group)
        best = min(group, key=lambda i: (-words(i), i))
        copied = [m for i in group for m in earlier(i)]
        target: int | str = min(copied)[1] if copied else best
        for i in group:
            kept[i] = target
            if i != best:
                followers.add(i)
    return kept, followers


class UnionFind:
    """Groups of indices joined pairwise; a root is its group's smallest index."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}  # only indices that joined a group

    def find(self, i: int) -> int:
        root = i
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(i, i) != root:  # path compression
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            low, high = min(ri, rj), max(ri, rj)
            self.parent.setdefault(low, low)
            self.parent[high] = low

    def groups(self, also: Iterable[int] = ()) -> list[list[int]]:
        """Every group of two or more, and the ``also`` indices (alone or in theirs)."""
        members: dict[int, list[int]] = {}
        for i in set(self.parent) | set(also):
            members.setdefault(self.find(i), []).append(i)
        return list(members.values())


def join(groups: UnionFind, index: int, matches: list[tuple[float, int]],
         signature_of: Callable[[int], Signature | None], params: MinHashParams) -> tuple[list[int], bool]:
    """Join document ``index`` to the groups of the earlier documents it matches, ``(estimated Jaccard, index)``
    in input order: (those it joined through, sorted; whether it is *covered*: :data:`COVERED_JACCARD` to one of
    them, so that it stays out of the band index). The one rule of every executor: the local Deduplicator calls
    it as each document comes, the Dask client on the cluster's confirmed pairs walked in input order.

    Groups do not chain through a document that matches several otherwise unrelated ones (a roundup that holds
    two stories whole, issue 27): of several groups it joins the one it matches best (estimated Jaccard, ties
    to the earliest), and another only when that group's first document, its representative, is related to
    the best one's (:data:`BRIDGE_JACCARD`: two groups of one story, cut differently, that this document is the
    first to link). ``signature_of`` is asked only for representatives, and only when there are several."""
    by_root: dict[int, list[int]] = {}
    best: tuple[float, int] | None = None
    for jaccard, other in matches:
        root = groups.find(other)
        by_root.setdefault(root, []).append(other)
        if best is None or jaccard > best[0]:
            best = (jaccard, root)
    if best is None:
        return [], False
    joined = list(by_root[best[1]])
    if len(by_root) > 1:
        best_sig = signature_of(best[1])
        for root, others in by_root.items():
            root_sig = signature_of(root) if root != best[1] and best_sig is not None else None
            if root_sig is not None and estimated_jaccard(best_sig, root_sig) >= BRIDGE_JACCARD * params.jaccard \
                    and not glued(best_sig.hashvalues, best_sig.tags, root_sig.hashvalues, root_sig.tags):
                joined += others
    for other in joined:
        groups.union(index, other)
    joined.sort()
    return joined, any(jaccard >= COVERED_JACCARD for jaccard, other in matches if other in joined)


class EarlierIndex(Protocol):
    """What the deduplicator needs of a persistent index (see corpus.dedup.state.StateIndex)."""

    def lookup(self, sig: Signature) -> list[StoredRecord]: ...


_RELEASED = np.zeros((0, 0), dtype=np.uint8)  # a chunk of signatures let go (SignatureStore.release_before)


class SignatureStore:
    """Signatures, their line tags and text sizes of one run in chunked numpy arrays: no object per document."""

    CHUNK = 4096

    def __init__(self, num_perm: int) -> None:
        self._num_perm = num_perm
        self._values: list[np.ndarray] = []
        self._tags: list[np.ndarray] = []
        self._sizes: list[np.ndarray] = []  # (shingles, words, has tags) per document
        self._released = 0  # chunks let go (release_before)
        self.count = 0

    def append(self, sig: Signature | None) -> None:
        row = self.count % self.CHUNK
        if row == 0:
            self._values.append(np.zeros((self.CHUNK, self._num_perm), dtype=np.uint32))
            self._tags.append(np.zeros((self.CHUNK, self._num_perm), dtype=np.uint8))
            self._sizes.append(np.zeros((self.CHUNK, 3), dtype=np.int32))
        if sig is not None:
            self._values[-1][row] = sig.hashvalues
            if sig.tags is not None:
                self._tags[-1][row] = sig.tags
            self._sizes[-1][row] = (sig.shingles, sig.words, sig.tags is not None)
        self.count += 1

    def release_before(self, index: int) -> None:
        """Signatures (and line tags) of documents before ``index`` will not be asked for again: the chunks
        that hold only those go (sizes stay: :meth:`words`)."""
        for chunk in range(self._released, min(index // self.CHUNK, len(self._values))):
            self._values[chunk] = self._tags[chunk] = _RELEASED
            self._released = chunk + 1

    def get(self, index: int) -> Signature | None:
        chunk, row = divmod(index, self.CHUNK)
        shingles, words, tagged = self._sizes[chunk][row].tolist()
        if not shingles:
            return None
        return Signature(self._values[chunk][row], shingles, words, self._tags[chunk][row] if tagged else None)

    def words(self, index: int) -> int:
        chunk, row = divmod(index, self.CHUNK)
        return int(self._sizes[chunk][row][1])
