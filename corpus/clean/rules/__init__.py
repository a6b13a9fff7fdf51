"""The boilerplate rules, as data, and the thresholds of the structural rules: every rule has a name,
a kind and a reason; every record lists what each rule removed (``newsclean rules`` shows them).

``shapes`` holds the ``Rule`` record and the shapes rules share; ``english`` the English rules written
as code; ``phrases`` the phrase rules of every language, built from one data file per language
(``lang/<code>.toml``); ``thresholds`` the structural rules' numbers. This module puts them together
in the order the cleaner tries them.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any

from corpus.clean.rules.shapes import SHORT_CHROME_CHARS, Rule
from corpus.clean.rules.thresholds import (
    CLOSING_BIO,
    CLOSING_BIO_FOLLOW,
    EMBED_LEAD_MIN_WORDS,
    FRAGMENT_MAX_WORDS,
    LINE_EVIDENCE_MIN_STORED,
    MAX_CHROME_LINE_CHARS,
    MIN_STORY_LINES_BEFORE_BOUNDARY,
    MIN_STORY_WORDS_BEFORE_BOUNDARY,
    PROSE_LOWER_SHARE,
    PROSE_MIN_WORDS,
    REPEATED_LINE_MAX_WORDS,
    REPEATED_LINE_MIN_GROUPS,
    SITE_REPEATED_LINE_MAX_WORDS,
    SITE_REPEATED_LINE_MIN_GROUPS,
    SITE_REPEATED_LINE_MIN_STORIES,
    SITE_REPEATED_LINE_ONE_IN,
    STORY_LINE_MIN_WORDS,
    STORY_SENTENCE_MIN_WORDS,
    STRUCTURAL_RULES,
    TAIL_FRAGMENT_MAX_LINES,
)

__all__ = [
    "ALL_RULES", "BOUNDARY_RULES", "BOX_RULES", "CLOSING_BIO", "CLOSING_BIO_FOLLOW", "EMBED_LEAD_MIN_WORDS",
    "FRAGMENT_MAX_WORDS", "KINDS", "KIND_RULES", "LINE_EVIDENCE_MIN_STORED", "LINE_RULES", "MAX_CHROME_LINE_CHARS",
    "MIN_STORY_LINES_BEFORE_BOUNDARY", "MIN_STORY_WORDS_BEFORE_BOUNDARY", "PROSE_LOWER_SHARE", "PROSE_MIN_WORDS",
    "REPEATED_LINE_MAX_WORDS",
    "REPEATED_LINE_MIN_GROUPS", "RULE_NAMES", "SHORT_CHROME_CHARS", "SITE_REPEATED_LINE_MAX_WORDS",
    "SITE_REPEATED_LINE_MIN_GROUPS", "SITE_REPEATED_LINE_MIN_STORIES", "SITE_REPEATED_LINE_ONE_IN",
    "STORY_LINE_MIN_WORDS", "STORY_SENTENCE_MIN_WORDS", "STRUCTURAL_RULES", "TAIL_FRAGMENT_MAX_LINES", "Rule",
    "language_table", "languages_of", "opening_kinds", "phrase_kinds", "rules_fingerprint",
]

if TYPE_CHECKING:
    from corpus.clean.rules.phrases import KIND_RULES, KINDS, language_table, opening_kinds, phrase_kinds

    LINE_RULES: tuple[Rule, ...]
    BOX_RULES: tuple[Rule, ...]
    BOUNDARY_RULES: tuple[Rule, ...]
    ALL_RULES: tuple[Rule, ...]
    RULE_NAMES: frozenset[str]

_FROM_PHRASES = ("KIND_RULES", "KINDS", "language_table", "opening_kinds", "phrase_kinds")
_MADE = ("LINE_RULES", "BOX_RULES", "BOUNDARY_RULES", "ALL_RULES", "RULE_NAMES")


def __getattr__(name: str) -> Any:  # noqa: ANN401 - whichever of the rules' names is asked for
    """The rules themselves are put together on first use: compiling every language's phrases is 95 ms,
    which ``newsclean --version``, ``state`` and ``report`` never need (the thresholds above are read at once)."""
    if name not in _FROM_PHRASES + _MADE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _put_together()
    return globals()[name]


def _put_together() -> tuple[Rule, ...]:
    """The rule lists in the order the cleaner tries them: English's written as code, then every language's
    phrase rules (the whole list returned). Once, under a lock: a rule list is known by its identity
    (:mod:`corpus.clean.matching`), and two threads (Dask's) must not each make their own."""
    names = globals()
    if "ALL_RULES" in names:
        return names["ALL_RULES"]
    with _PUTTING_TOGETHER:
        if "ALL_RULES" in names:
            return names["ALL_RULES"]
        from corpus.clean.rules import english, phrases

        names.update({name: getattr(phrases, name) for name in _FROM_PHRASES})
        names["LINE_RULES"] = english.LINE_RULES + phrases.LINE_RULES
        names["BOX_RULES"] = english.BOX_RULES + phrases.BOX_RULES
        names["BOUNDARY_RULES"] = english.BOUNDARY_RULES + phrases.BOUNDARY_RULES
        all_rules = names["LINE_RULES"] + names["BOX_RULES"] + names["BOUNDARY_RULES"]
        names["RULE_NAMES"] = frozenset(rule.name for rule in all_rules) | frozenset(STRUCTURAL_RULES)
        names["ALL_RULES"] = all_rules  # last: its presence says the rest is there
        return all_rules


_PUTTING_TOGETHER = threading.Lock()


def languages_of(name: str) -> list[str]:
    """The languages a rule (all its patterns together) knows; structural rules know them all."""
    if name in STRUCTURAL_RULES:
        return ["any"]
    return sorted({lang for rule in _put_together() if rule.name == name for lang in rule.languages})


def rules_fingerprint() -> str:
    """A hash of every rule and threshold, so a run can say which cleaner produced it."""
    h = hashlib.sha256()
    for rule in _put_together():
        h.update(f"{rule.name}|{rule.kind}|{rule.pattern.pattern}|{rule.suffix}|{rule.max_chars}|{rule.needles}|{rule.also_needles}|"
                 f"{rule.languages}|"
                 f"{rule.gate}|{rule.lowered}|{rule.prose_guard}|"
                 f"{rule.next_line.pattern if rule.next_line else ''}\n".encode())
    h.update(repr((PROSE_MIN_WORDS, PROSE_LOWER_SHARE, MIN_STORY_LINES_BEFORE_BOUNDARY, MIN_STORY_WORDS_BEFORE_BOUNDARY, STORY_LINE_MIN_WORDS, STORY_SENTENCE_MIN_WORDS,
                   FRAGMENT_MAX_WORDS, EMBED_LEAD_MIN_WORDS, MAX_CHROME_LINE_CHARS, TAIL_FRAGMENT_MAX_LINES, REPEATED_LINE_MIN_GROUPS, REPEATED_LINE_MAX_WORDS,
                   SITE_REPEATED_LINE_MIN_GROUPS, SITE_REPEATED_LINE_MIN_STORIES, SITE_REPEATED_LINE_ONE_IN,
                   SITE_REPEATED_LINE_MAX_WORDS, LINE_EVIDENCE_MIN_STORED)).encode())
    return h.hexdigest()[:16]
