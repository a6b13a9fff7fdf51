"""A line's key for corpus-level repetition: the same line on many pages, whatever its case or punctuation.

The keys are what a run counts (``corpus.clean.repeated``) and what the state keeps; a line's key is a
function of the line alone, so short lines (a site's chrome recurs on every page) are remembered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import xxhash

from corpus.clean.rules import REPEATED_LINE_MAX_WORDS
from corpus.limits import Remembered
from corpus.text import latin1_bytes, words_up_to

LINES_REMEMBERED = 20_000  # short lines whose keys, and whose cleaner verdicts, are kept (a few MiB at most)
REMEMBERED_LINE_CHARS = 200
"""Lines this short are remembered with their keys and verdicts: a site prints the same chrome on every page,
and a dictionary look-up costs a hundredth of trying the rules again. Story paragraphs are longer, and
rarely twice."""


class ShortLines(Remembered):
    """``compute``'s answer for a line: remembered for lines up to ``REMEMBERED_LINE_CHARS``, worked out
    each time for longer ones (:meth:`of`)."""

    def __init__(self, compute: Callable[[str], Any]) -> None:
        super().__init__(compute, LINES_REMEMBERED)

    def of(self, line: str) -> Any:  # noqa: ANN401 - whatever compute gives
        return self[line] if len(line) <= REMEMBERED_LINE_CHARS else self.compute(line)

_KEY_STRIP = re.compile(r"[\W_]+")


def line_key(line: str) -> int | None:
    """:func:`line_key_of`, remembered for short lines."""
    return _line_keys.of(line)


def line_key_of(line: str) -> int | None:
    """A hash of a line with case, digits' surroundings and punctuation folded; None for prose."""
    words = words_up_to(line, REPEATED_LINE_MAX_WORDS)
    if not words or words > REPEATED_LINE_MAX_WORDS:
        return None
    folded = _key_text(line)
    return xxhash.xxh64_intdigest(folded.encode()) if folded else None


def _key_table() -> bytes:
    """A Latin-1 byte as the key folds it: lower-cased, or a space where ``_KEY_STRIP`` matches."""
    table = bytearray()
    for byte in range(256):
        lowered = chr(byte).lower()
        assert len(lowered) == 1 and ord(lowered) < 256, "Latin-1 lower-cases within Latin-1"
        table.append(ord(" ") if _KEY_STRIP.fullmatch(lowered) else ord(lowered))
    return bytes(table)


_KEY_TABLE = _key_table()


def _key_text(line: str) -> str:
    """The line lower-cased, its runs of punctuation, space and underscores as one space, stripped: in Latin-1
    (after its typographic punctuation) a byte table and a split, else the regular expression (same text)."""
    raw = latin1_bytes(line)
    if raw is not None:
        return " ".join(raw.translate(_KEY_TABLE).decode("latin-1").split())
    return _KEY_STRIP.sub(" ", line.lower()).strip()


_AS_TITLE = 0x9E3779B97F4A7C15  # a story's own headline votes in a key space of its own


def titled_line_key(title: str | None) -> Callable[[str], int | None]:
    """``line_key`` for one document, with its own headline (as title, or repeated in its text) keyed
    apart: other pages list a story's headline in their boxes, which makes it chrome there, but the
    story keeps its headline unless many stories carry that same title."""
    title_key = line_key(title) if title else None

    def key(line: str) -> int | None:
        found = line_key(line)
        return found ^ _AS_TITLE if found is not None and found == title_key else found

    return key


def line_keys(text: str, title: str | None = None) -> set[int]:
    """The keys a document votes with; a plain-text "title" may be a chrome line too (then every page
    of the site carries it as title, and it repeats as a title)."""
    key = titled_line_key(title)
    lines = text.split("\n") + ([title] if title else [])
    return {k for k in map(key, lines) if k is not None}


_line_keys = ShortLines(line_key_of)
