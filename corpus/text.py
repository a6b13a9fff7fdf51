"""Characters a reader never sees, taken out of a document's text before the rules and the signature see it.

A soft hyphen (U+00AD) inside "re\u00adserved", a zero-width space inside "Face\u200bbook" or a bidi
mark at the end of an Arabic line leave the text looking the same, but a rule's pattern no longer
matches, two copies of one story no longer share their words, and a line's last "word" is a mark.
Removed everywhere: the soft hyphen, the zero-width space (U+200B), the word joiner (U+2060), the
byte-order mark (U+FEFF) and the bidi marks, embeddings and isolates (U+200E, U+200F, U+202A-U+202E,
U+2066-U+2069). The zero-width non-joiner and joiner (U+200C, U+200D) spell words in Persian, the
Indic scripts and emoji sequences; they are removed only beside a Latin letter, where they spell nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

from corpus.limits import Remembered

INVISIBLE = "\u00ad\u200b\u2060\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = re.compile(f"[{INVISIBLE}]+")
_INVISIBLE_CHARS = tuple(re.sub(r"(.)-(.)", lambda m: "".join(map(chr, range(ord(m[1]), ord(m[2]) + 1))), INVISIBLE))
_LATIN = "A-Za-z\u00c0-\u024f"
_JOINERS_BY_LATIN = re.compile(f"(?<=[{_LATIN}])[\u200c\u200d]+|[\u200c\u200d]+(?=[{_LATIN}])")


def without_invisible(text: str) -> str:
    """``text`` without the invisible characters above (the same object when it has none)."""
    if not text or text.isascii():
        return text
    if any(char in text for char in _INVISIBLE_CHARS):  # a substring search each: a third of the pattern's scan
        text = _INVISIBLE.sub("", text)
    if "\u200c" in text or "\u200d" in text:  # the look-around pattern costs a scan of every character
        text = _JOINERS_BY_LATIN.sub("", text)
    return text


# Letters of other scripts that look Latin (Unicode's confusables, the ones a Latin word can be spelled with):
# folded to Latin in the text the line rules match against, only inside a word that is otherwise Latin.
LOOK_ALIKES = str.maketrans({
    **dict(zip("аеорсухіѕјԁһԛԝүАВЕКМНОРСТХІЈЅԜ", "aeopcyxisjdhqwyABEKMHOPCTXIJSW", strict=True)),  # Cyrillic
    **dict(zip("οναικρυτΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "onaikputABEZHIKMNOPTYX", strict=True)),  # Greek
})
_LOOK_ALIKE = re.compile("[" + "".join(chr(c) for c in LOOK_ALIKES) + "]")
_WORD = re.compile(r"[^\W\d_]+")
_LATIN_LETTER = re.compile(f"[{_LATIN}]")
_OTHER_LETTER = f"[^\\W\\d_{_LATIN}]"
_LATIN_BESIDE_OTHER = re.compile(f"[{_LATIN}](?:(?<={_OTHER_LETTER}.)|(?={_OTHER_LETTER}))")
"""A Latin letter beside a letter of another script: a word that mixes the two has one such pair, and when no
word does, a Cyrillic line that names the "Amsterdam Light Festival" folds nothing (5 us where trying its every
word took 27). The pattern opens with the Latin letters, which the engine skips to. ``×`` and ``÷`` are in the
Latin range and no letters: they can only make the test say yes."""


def _folded_word(match: re.Match[str]) -> str:
    word = match.group()
    if _LATIN_LETTER.search(word) and _LOOK_ALIKE.search(word):
        return word.translate(LOOK_ALIKES)
    return word


def has_look_alikes(text: str) -> bool:
    """Whether :func:`latin_look_alikes_folded` could change any part of ``text``: one scan of a whole text that
    has none spares each of its lines a call and a scan of its own."""
    return not text.isascii() and _LOOK_ALIKE.search(text) is not None


def latin_look_alikes_folded(text: str) -> str:
    """``text`` with the Cyrillic and Greek letters that look Latin spelled in Latin inside mixed-script words
    ("Facebоok" with a Cyrillic о), so that a rule's pattern sees the word a reader sees. Words wholly in
    Cyrillic or Greek are left alone, and each letter stays one letter: the result has ``text``'s length (a
    caller maps positions back). The same object when there is nothing to fold."""
    if not has_look_alikes(text) or not _LATIN_BESIDE_OTHER.search(text):
        return text
    folded = _WORD.sub(_folded_word, text)
    return text if folded == text else folded


TYPOGRAPHY = "\u2019\u201c\u201d\u2014\u2013\u2018\u2026\u201e\u201a\u2022\u2010\u2011\u2012\u2015\u2009\u202f\u20ac"
"""Punctuation Latin-script news prints beyond Latin-1 (curly quotes, dashes, the ellipsis, thin spaces, the euro
sign), the commonest first: none is a word character, nor becomes one under NFKC or case folding, so wherever
words are told apart by ``\\w`` it parts them as a space does."""


def latin1_bytes(text: str) -> bytes | None:
    """``text`` in Latin-1 with its typographic punctuation as spaces, or None when it holds another character
    Latin-1 lacks: what a byte table (``bytes.translate``) can then fold and split in one C pass, where a
    regular expression over a non-ASCII line cost eight times as much. An ASCII text is its own bytes (the
    commonest case). The marks go before the one try to encode: a first try that failed on a curly quote cost
    a raised exception on most non-ASCII Latin lines (0.68 -> 0.48 us a line; a line of another script pays
    0.25 us more)."""
    if text.isascii():
        return text.encode("ascii")
    for mark in TYPOGRAPHY:
        if mark in text:
            text = text.replace(mark, " ")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


_WORD_CHAR_BYTES = bytes(code if re.match(r"\w", chr(code)) else 0x20 for code in range(256))
_WORD_RUN = re.compile(r"\w+")


def word_runs(text: str) -> list[str]:
    r"""``re.findall(r"\w+", text)``: for a line in Latin-1 (after its typographic punctuation, which is no word
    character) a byte table turns every other character into a space and a split does the rest, 1.9 us a
    200-character line where the pattern took 4.4 (``tests/test_clean.py`` compares them)."""
    raw = latin1_bytes(text)
    if raw is None:
        return _WORD_RUN.findall(text)
    return raw.translate(_WORD_CHAR_BYTES).decode("latin-1").split()


Value = TypeVar("Value")


def by_line(text: str, values: Sequence[Value]) -> dict[str, Value] | None:
    """``text``'s lines with what was worked out for each of them before (``values``, in line order): a batch
    run's second pass reads its first pass's words and keys of the lines a document kept so. None when
    ``values`` are not of these lines."""
    lines = text.split("\n")
    return dict(zip(lines, values, strict=True)) if len(lines) == len(values) else None


def joined_lines(lines: Iterable[str]) -> str:
    """The lines as one text, a run of blank lines kept as one, the ends stripped: what is left of a text once
    rules took lines out of it. Three line breaks in a row become two until none are left: ``re.sub`` of
    ``\\n{3,}`` scanned every character of the text (46 us on a plain-text document that lost lines)."""
    text = "\n".join(lines)
    while "\n\n\n" in text:  # each pass shortens a run by a third
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


COUNTED_WORDS = 50
"""The largest threshold a line's words are compared with (``MIN_STORY_WORDS_BEFORE_BOUNDARY``): a line's
count up to it answers every smaller one."""
COUNTS_KEPT = 1024  # lines (a document has tens): with COUNTED_LINE_CHARS, a few MiB at the very most
COUNTED_LINE_CHARS = 2000  # a longer line is split each time (its count is kept by no one)
_counts = Remembered(lambda line: len(line.split(None, COUNTED_WORDS)), COUNTS_KEPT)


def words_up_to(line: str, most: int) -> int:
    """The number of words in ``line`` if it is at most ``most``, else ``most + 1``: what a comparison with a
    threshold of ``most`` words or fewer needs, from a split that stops there (a paragraph's hundred words
    were made into strings on every such test). The tests run on every line several times over (about
    220 a page, on some 100 lines), so a line's count is kept until :func:`forget_word_counts`, which each
    document's processing calls, or until ``COUNTS_KEPT`` lines are counted: it serves one document's
    repeated tests, not recurring lines across documents (plain text: 26.69 -> 26.12 M instructions a
    document, HTML 103.14 -> 102.27 M a page, ``bench/bench_instructions.py``)."""
    if most > COUNTED_WORDS or len(line) > COUNTED_LINE_CHARS:
        return len(line.split(None, most))
    return min(_counts[line], most + 1)


def forget_word_counts() -> None:
    """A new document: the last one's lines need no counts (threads may share them: a count is never wrong)."""
    _counts.clear()


class SentenceEnd:
    """Whether a line ends as a sentence does: one of ``enders``, then any of ``closers`` (quotes, brackets),
    then white space if ``spaces``, then the end (or a final newline). The answer of
    ``re.search(f"[{enders}][{closers}]*{'\\s*' if spaces else ''}$", line)``, read from the line's end:
    a pattern anchored at the end is still tried at every character, and on paragraph-long lines that cost
    more than the rest of a line's checks."""

    def __init__(self, enders: str, closers: str, spaces: bool = False) -> None:
        self.enders, self.closers, self.spaces = frozenset(enders), closers, spaces

    def search(self, line: str) -> bool:
        end = line.rstrip() if self.spaces else line.removesuffix("\n")
        end = end.rstrip(self.closers)
        return bool(end) and end[-1] in self.enders
