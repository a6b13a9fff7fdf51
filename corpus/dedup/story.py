"""The text a near-duplicate is judged on: the story, not the chrome around it.

Two sites print one story inside different templates; on a short story the chrome's lines are a
large share of the words, and copies whose story text overlaps 0.8-0.9 score 0.4 with their sites'
chrome in. The signature is therefore taken on the lines that cannot be chrome: sentence-ended lines
of ``STORY_SIGN_MIN_WORDS`` words or more, and any line of ``STORY_SIGN_LONG_WORDS`` (a paragraph run
together). A text with fewer than ``STORY_SIGN_MIN_TOTAL`` such words, or where they are less than
``STORY_SIGN_MIN_SHARE`` of its words (a list, a table, a scrape without punctuation), is signed whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import xxhash

from corpus.dedup.minhash import MinHashParams, Signature, hash_of_encoded, signature_of_lines, word_bytes
from corpus.text import COUNTED_WORDS, SentenceEnd, by_line, words_up_to

STORY_SIGN_MIN_WORDS = 6
"""A sentence-ended line this long is story prose: labels, credits and headlines are shorter or unended."""
STORY_SIGN_LONG_WORDS = 25
"""A line this long is prose whatever its ending."""
STORY_SIGN_MIN_TOTAL = 12
"""Fewer story words than this: the text is signed whole (too little prose to tell the story by)."""
STORY_SIGN_MIN_SHARE = 0.4
"""...and so is a text whose prose lines hold less than this share of its words: a table, a list, results
with a line of introduction are told by their rows (a batch run signs after the corpus-level chrome is
gone, so chrome rarely outweighs the story there)."""

_SENTENCE_END = SentenceEnd(".!?…。！？", "\"'”’»)]", spaces=True)


def is_prose(line: str, words: int | None = None) -> bool:
    """``words``: the line's number of words, when the caller has counted them."""
    words = len(line.split()) if words is None else words
    return words >= STORY_SIGN_LONG_WORDS or (words >= STORY_SIGN_MIN_WORDS and bool(_SENTENCE_END.search(line)))


def _words_in(line: str) -> int:
    """The line's number of words: the count the cleaner's tests keep for the document (``words_up_to``),
    exact up to ``COUNTED_WORDS``, and a split only for a longer line."""
    counted = words_up_to(line, COUNTED_WORDS)
    return counted if counted <= COUNTED_WORDS else len(line.split())


def story_mark(line: str) -> int:
    """What :func:`story_lines` reads of a line, as one number: its words, shifted, and whether it is prose (the
    last bit). A batch run's second pass reads the marks of the lines a document kept from its first pass."""
    words = _words_in(line)
    return words << 1 | is_prose(line, words)


def story_lines(lines: list[str], marks: list[int] | None = None) -> list[int] | None:
    """Which of ``lines`` a signature is taken on (see the module's docstring); None: all of them. ``marks``: the
    lines' :func:`story_mark`, when the caller has them."""
    if marks is None:
        marks = [story_mark(line) for line in lines]
    prose = [i for i, mark in enumerate(marks) if mark & 1]
    words = sum(marks[i] >> 1 for i in prose)
    if words < STORY_SIGN_MIN_TOTAL or words < STORY_SIGN_MIN_SHARE * sum(mark >> 1 for mark in marks):
        return None
    return prose


def story_text(text: str, lines: list[str] | None = None, story: list[int] | None = None) -> str:
    """The lines of ``text`` a signature is taken on (see the module's docstring); ``lines`` and
    ``story``: its lines and :func:`story_lines`, when the caller has them."""
    if lines is None:
        lines = text.split("\n")
        story = story_lines(lines)
    return text if story is None else "\n".join(lines[i] for i in story)


class Hashed(NamedTuple):
    """What :func:`hash_and_sign` gives."""

    text_hash: str
    signature: Signature | None  # of its story lines
    story_key: int  # a key of those lines: where it is unchanged, the signature stands
    words: bytes  # each line's words joined by spaces, the lines' joins one to a line (see :func:`earlier_words`)
    marks: list[int]  # each line's story_mark


def hash_and_sign(text: str, params: MinHashParams, known: tuple[int, Signature | None] | None = None,
                  earlier: Mapping[str, tuple[bytes, int]] | None = None) -> Hashed:
    """The text hash, the signature of its story lines and a key of those lines, with each line normalised
    once: the hash needs every line's words and the signature the story's, and normalising the text
    whole, then its story again, cost a quarter of a plain-text document's time. ``known``: (key,
    signature) of this text before its corpus-level chrome went; the signature stands if the key does.
    ``earlier``: the words and story marks of lines worked out before, by line (:func:`earlier_words`): a batch
    run's second pass signs a text that lost lines its first pass had signed, and those it kept need not be read
    again (the second pass of a changed plain-text document: 312 -> 231 us with the words)."""
    lines = text.split("\n")
    words: list[list[bytes]] | None = None
    if earlier is None:
        words = [word_bytes(line) for line in lines]
        joined = [b" ".join(line_words) for line_words in words]  # the hash's and the line tags' (each line once)
        marks = [story_mark(line) for line in lines]
    else:
        found = [(line, earlier.get(line)) for line in lines]
        joined = [b" ".join(word_bytes(line)) if seen is None else seen[0] for line, seen in found]
        marks = [story_mark(line) if seen is None else seen[1] for line, seen in found]
    story = story_lines(lines, marks)
    key = xxhash.xxh64_intdigest(story_text(text, lines, story).encode())
    if known is not None and known[0] == key:
        signed = known[1]
    else:
        chosen = range(len(lines)) if story is None else story
        per_line = [joined[i].split() for i in chosen] if words is None else [words[i] for i in chosen]
        signed = signature_of_lines(per_line, params, [joined[i] for i in chosen])
    # a line without words adds no space to the hash's join
    return Hashed(hash_of_encoded(b" ".join(filter(None, joined))), signed, key, b"\n".join(joined), marks)


def earlier_words(text: str, words: bytes, marks: list[int]) -> dict[str, tuple[bytes, int]] | None:
    """``text``'s lines with their words and story marks (:attr:`Hashed.words` and :attr:`Hashed.marks` of that
    text), for :func:`hash_and_sign`'s ``earlier``; None when they are not of these lines, or none were sent."""
    if not words:
        return None
    split = words.split(b"\n")
    return by_line(text, list(zip(split, marks, strict=True))) if len(split) == len(marks) else None
