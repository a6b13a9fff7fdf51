"""Which rules a line meets, the cheap checks first: most lines meet none, and proving that is the cost.

For each rule set (line, suffix, box, boundary rules) and line length, the rules that may take a line
that long are listed once. A rule is then tried only when a phrase kind it needs opens the line (its
``gate``) or when the line holds one of its ``needles``. The rules that have neither and can only match
at the line's start are also joined into one pattern per list: when it does not match the line's
start, none of them is tried.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator

from corpus.clean.rules import BOUNDARY_RULES, BOX_RULES, LINE_RULES, MAX_CHROME_LINE_CHARS, Rule

try:  # the parser re compiles with (Python 3.11 on; sre_parse before)
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

SUFFIX_RULES = tuple(rule for rule in LINE_RULES if rule.suffix)
RULE_SETS = (LINE_RULES, SUFFIX_RULES, BOX_RULES, BOUNDARY_RULES)
_LENGTH_STEPS = sorted({rule.max_chars or MAX_CHROME_LINE_CHARS for rules in RULE_SETS for rule in rules})


def _opens_at_start(items: list) -> bool:
    """Whether a parsed pattern can only match at the start of the text: it begins with ``^`` (or ``\\A``),
    in every branch and group it opens with."""
    if not items:
        return False
    op, arg = items[0]
    if op is _sre.AT:
        return arg in (_sre.AT_BEGINNING, _sre.AT_BEGINNING_STRING)
    if op is _sre.SUBPATTERN:
        return _opens_at_start(list(arg[-1]))
    if op is _sre.BRANCH:
        return all(_opens_at_start(list(branch)) for branch in arg[1])
    return False


@functools.cache
def _bundles(rule: Rule) -> bool:
    """A rule the joined pattern can stand for: no gate or needles of its own, anchored at the line's start,
    matched against the line itself with the English rules' flags, and without group references (which the
    joined pattern would renumber). Multi-line mode would let ``^`` match after a newline."""
    pattern = rule.pattern
    return (not rule.gate and not rule.needles and not rule.lowered and pattern.flags == _BUNDLE_FLAGS
            and not re.search(r"\\[1-9]|\(\?P=", pattern.pattern)
            and _opens_at_start(list(_sre_parse.parse(pattern.pattern, pattern.flags))))


_BUNDLE_FLAGS = re.compile("", re.I | re.X).flags
Step = tuple[Rule, "tuple[str, ...] | None", "tuple[str, ...] | None", "tuple[str, ...] | None",
             "Callable[[str], re.Match[str] | None]", bool]
"""A rule as :func:`matches` walks it: (the rule, its gate or None, its needles or None, its second group of
needles or None, its pattern's search, whether it reads the lower-cased line); a tuple unpacked once, where the
rule's attributes were read one by one."""
Plan = tuple[tuple[Step, ...], tuple[Step, ...], "re.Pattern[str] | None"]


def _steps(rules: Iterable[Rule]) -> tuple[Step, ...]:
    return tuple((rule, rule.gate or None, None if rule.gate else _shortest_first(rule.needles),
                  None if rule.gate or not rule.needles else _shortest_first(rule.also_needles), rule.pattern.search,
                  rule.lowered) for rule in rules)


def _shortest_first(needles: tuple[str, ...]) -> tuple[str, ...] | None:
    """A group's needles in the order they are looked for: any one found will do, so the likeliest go first,
    and the shortest are (of the bench's lines, one in 4 holds an ``x``, one in 16 ``get``, one in 28 a ``?``,
    one in 600 ``telegram``): 210 -> 188 us a document when every line is tried against every group."""
    return tuple(sorted(needles, key=len)) or None


class _Plans(dict):
    """For (rule set, gated, length step): (the rules that fit, the same without the bundled ones, the bundled
    ones' patterns joined, or None), each made on first use: parsing and joining the patterns of every
    combination at import took about 60 ms of every command's start."""

    def __missing__(self, key: tuple[int, bool, int]) -> Plan:
        set_id, gated, step = key
        rules = tuple(rule for rule in _RULE_SET_OF[set_id] if (gated or not rule.gate)
                      and (rule.max_chars or MAX_CHROME_LINE_CHARS) >= _LENGTH_STEPS[step])
        bundled = [rule for rule in rules if _bundles(rule)]
        every = _steps(rules)
        if len(bundled) < 2:
            plan: Plan = (every, every, None)
        else:
            taken = {id(rule) for rule in bundled}
            joined = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in bundled), _BUNDLE_FLAGS)
            plan = (every, _steps(rule for rule in rules if id(rule) not in taken), joined)
        self[key] = plan
        return plan


_RULE_SET_OF = {id(rules): rules for rules in RULE_SETS}
_FITTING = _Plans()


def _candidates(rules: tuple[Rule, ...], kinds: frozenset[str], line: str) -> tuple[Step, ...]:
    """``rules`` in order that may take ``line`` by its length, without the gated ones when no phrase kind
    opens the line (most lines), and without the bundled ones when their joined pattern does not match the
    line's start: one call where each was one (a dozen English rules on every line). Picked from tables
    made once: a paragraph-long line was checked against every rule's length one Python call at a time."""
    step = bisect_left(_LENGTH_STEPS, len(line))
    if step >= len(_LENGTH_STEPS):
        return ()
    every, unbundled, joined = _FITTING[id(rules), bool(kinds), step]
    return unbundled if joined is not None and joined.match(line) is None else every


def matches(rules: tuple[Rule, ...], line: str, lowered: str, kinds: frozenset[str],
            ) -> Iterator[tuple[Rule, re.Match[str]]]:
    """Each of ``rules`` (in order) whose pattern matches the line, with its match. The cheap checks come
    first: the length (once, by :func:`_candidates`), then the phrase kinds a gated rule needs or the
    needles of one that has them (one of each group), a plain substring search per needle (a
    regular-expression alternation of them took twice as long); a call per check and rule was a third of
    the cleaner's loop."""
    for rule, gate, needles, also, pattern_search, on_lowered in _candidates(rules, kinds, line):
        if gate is not None:
            if kinds.isdisjoint(gate):
                continue
        elif needles is not None:
            for needle in needles:
                if needle in lowered:
                    break
            else:
                continue
            if also is not None:
                for needle in also:
                    if needle in lowered:
                        break
                else:
                    continue
        if match := pattern_search(lowered if on_lowered else line):
            yield rule, match


def search(rule: Rule, line: str, lowered: str) -> re.Match[str] | None:
    """One rule's pattern on the line, with no prefilter (what the prefilters must agree with)."""
    return rule.pattern.search(lowered if rule.lowered else line)
