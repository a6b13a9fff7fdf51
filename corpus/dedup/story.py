"""The text a near-duplicate is judged on: the story, not the chrome around it.

Two sites print one story inside different templates; on a short story the chrome's lines are a
large share of the words, and copies whose story text overlaps 0.8-0.9 score 0.4 with their sites'
chrome in. The signature is therefore taken on the lines that cannot be chrome: sentence-ended lines
of ``STORY_SIGN_MIN_WORDS`` words or more, and any line of ``STORY_SIGN_LONG_WORDS`` (a paragraph run
together). A text with fewer than ``STORY_SIGN_MIN_TOTAL`` such words, or where they are less than
``STORY_SIGN_MIN_SHARE`` of its words (a list, a table, a scrape without punctuation), is signed whole.
"""

from __future__ import annotations

import re

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

_SENTENCE_END = re.compile(r"""[.!?…。！？]["'”’»)\]]*\s*$""")


def is_prose(line: str) -> bool:
    words = len(line.split())
    return words >= STORY_SIGN_LONG_WORDS or (words >= STORY_SIGN_MIN_WORDS and bool(_SENTENCE_END.search(line)))


def story_text(text: str) -> str:
    """The lines of ``text`` a signature is taken on (see the module's docstring)."""
    prose = [line for line in text.split("\n") if is_prose(line)]
    words = sum(len(line.split()) for line in prose)
    if words < STORY_SIGN_MIN_TOTAL or words < STORY_SIGN_MIN_SHARE * len(text.split()):
        return text
    return "\n".join(prose)
