"""What every language's rules are made of: the ``Rule`` record and the shapes rules share.

Three kinds of pattern rule (the structural thresholds that go with them are in ``thresholds``):

- ``line``: a whole line that is boilerplate (a cookie notice, a share bar).
  With ``suffix=True`` the same pattern also removes a sentence of that kind
  tacked onto the end of a story paragraph ("... Join our Telegram channel.").
- ``boundary``: a heading that ends the story ("Related Articles", "Leave a
  Reply", an author bio). Once at least ``MIN_STORY_LINES_BEFORE_BOUNDARY``
  story paragraphs have been seen, the heading and everything after it go.
  ``next_line`` narrows a boundary to headings followed by a matching line.
- ``box``: a heading of a box that sites put mid-article ("Don't miss"); the
  heading and the headlines under it go, up to the next story paragraph.

Patterns are matched case-insensitively against one stripped line (the phrase rules built from
``lang/*.toml``, against the lower-cased line, with ``gate`` naming the phrase kinds one of which
must open the line: one look-up over all languages' phrases says which rules are worth trying). They name
kinds of chrome (structure and wording that recur across sites), never the
strings of particular pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # "line", "boundary" or "box"
    pattern: re.Pattern[str]
    reason: str
    suffix: bool = False  # line rules: also strip such a sentence from a paragraph's end
    next_line: re.Pattern[str] | None = None  # boundary rules: what must follow the heading
    max_chars: int = 0  # longer lines are never this kind of chrome (0: the general MAX_CHROME_LINE_CHARS)
    needles: tuple[str, ...] = ()  # a speed hint: a line without any of these (lower-cased) cannot match
    also_needles: tuple[str, ...] = ()  # ...nor one without any of these: a match holds one of each group
    languages: tuple[str, ...] = ("en",)  # the languages whose words the pattern knows
    gate: tuple[str, ...] = ()  # phrase kinds one of which must open the line before the pattern is tried
    lowered: bool = False  # the pattern is written for (and matched against) the lower-cased line
    prose_guard: bool = False  # a line that reads as a story sentence is never this chrome (see is_prose)


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I | re.X)


def in_parts(name: str, kind: str, reason: str, *parts: tuple[re.Pattern[str], dict[str, Any]],
             **shared: Any) -> tuple[Rule, ...]:  # noqa: ANN401 - any of Rule's fields
    """One rule written as several patterns, each with what is its own (``parts``: a pattern and its fields),
    and the name, kind, reason and fields they share said once. A rule is split so that each part is tried
    on its own terms: an anchored part joins the other anchored rules' one pattern, a part with needles is
    tried only on the lines that hold one (:mod:`corpus.clean.matching`). Records name the rule, whichever
    part took the line."""
    return tuple(Rule(name, kind, pattern, reason, **{**shared, **own}) for pattern, own in parts)


# Words and shapes shared by several rules.
CHANNELS = r"(?:telegram|whatsapp|facebook|twitter|instagram|youtube|tiktok|linkedin|threads|bluesky|google\s+news|x(?:\.com)?|signal|viber|snapchat|flipboard|rss)"
SHORT_CHROME_CHARS = 300  # calls to action, cookie and copyright notices are short; longer lines are prose
HEADING_END = r"\s*[:.…>»\-–—]*\s*$"  # a heading may end in a colon, dots or an arrow
ARROWS = r"[>»›→|/]"
