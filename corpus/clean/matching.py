"""Which rules a line meets, the cheap checks first: most lines meet none, and proving that is the cost.

For each rule set (line, suffix, box, boundary rules) and line length, the rules that may take a line
that long are listed once. A rule is then tried only when a phrase kind it needs opens the line (its
``gate``) or when the line holds one of its ``needles``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

from corpus.clean.rules import BOUNDARY_RULES, BOX_RULES, LINE_RULES, MAX_CHROME_LINE_CHARS, Rule

SUFFIX_RULES = tuple(rule for rule in LINE_RULES if rule.suffix)
RULE_SETS = (LINE_RULES, SUFFIX_RULES, BOX_RULES, BOUNDARY_RULES)
_LENGTH_STEPS = sorted({rule.max_chars or MAX_CHROME_LINE_CHARS for rules in RULE_SETS for rule in rules})

_FITTING: dict[tuple[int, bool, int], tuple[Rule, ...]] = {
    (id(rules), gated, step): tuple(rule for rule in rules if (gated or not rule.gate)
                                    and (rule.max_chars or MAX_CHROME_LINE_CHARS) >= _LENGTH_STEPS[step])
    for rules in RULE_SETS for gated in (False, True) for step in range(len(_LENGTH_STEPS))}


def _candidates(rules: tuple[Rule, ...], kinds: frozenset[str], length: int) -> tuple[Rule, ...]:
    """``rules`` in order that may take a line of ``length`` characters, without the gated ones when no
    phrase kind opens the line (most lines). Picked from tables made once: a paragraph-long line was
    checked against every rule's length one Python call at a time."""
    step = bisect_left(_LENGTH_STEPS, length)
    return _FITTING[id(rules), bool(kinds), step] if step < len(_LENGTH_STEPS) else ()


def has_needle(needles: tuple[str, ...], lowered: str) -> bool:
    """A plain substring search per needle: Python tries a regular-expression alternation needle by
    needle at every position of the line, which took twice as long. (A loop, not any() over a
    generator: cheaper for the short tuples here.)"""
    for needle in needles:  # noqa: SIM110
        if needle in lowered:
            return True
    return False


def matches(rules: tuple[Rule, ...], line: str, lowered: str, kinds: frozenset[str],
            ) -> Iterator[tuple[Rule, re.Match[str]]]:
    """Each of ``rules`` (in order) whose pattern matches the line, with its match. The cheap checks come
    first: the length (once, by :func:`_candidates`), then the phrase kinds a gated rule needs or the
    needles of one that has them; a call per check and rule was a third of the cleaner's loop."""
    for rule in _candidates(rules, kinds, len(line)):
        if rule.gate:
            if kinds.isdisjoint(rule.gate):
                continue
        elif rule.needles and not has_needle(rule.needles, lowered):
            continue
        if match := rule.pattern.search(lowered if rule.lowered else line):
            yield rule, match


def search(rule: Rule, line: str, lowered: str) -> re.Match[str] | None:
    """One rule's pattern on the line, with no prefilter (what the prefilters must agree with)."""
    return rule.pattern.search(lowered if rule.lowered else line)
