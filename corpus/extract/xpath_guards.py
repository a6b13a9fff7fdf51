"""trafilatura's own XPath expressions, made cheaper without changing what they select.

trafilatura prunes a page with XPaths such as ``.//*[self::div][re:test(@class, 'share|social')]``.
lxml answers every EXSLT ``re:test`` with a call back into Python, once for every candidate element:
on news pages these calls were about a fifth of trafilatura's time. Each call whose pattern cannot
match the empty string is put behind a test that libxml2 answers itself: ``contains()`` of the few
literals one of which every match must hold (``share|social`` needs ``share`` or ``social``; see
:func:`required_literals`), or, for a pattern that needs too many, the attribute's existence (an
absent attribute reads as the empty string). The guard is false only where the call is false, so
every expression selects the same elements in the same order (``tests/test_xpath_guards.py``
checks all of them on real pages). Behind its guard the call is answered by :func:`_remembered_test`:
the same regular expression, through a cheaper call, its answer kept for each attribute value (a page
repeats its classes).

Each expression also walks for the names of its first step once: ``.//*[self::div or self::p][P]``
becomes ``(.//div|.//p)[P]`` where no predicate of the step counts positions (libxml2 builds a node
set for every ``self::`` test of every element), the same elements in the same order.

The expressions are swapped in trafilatura's modules once per process, on the first extraction
(:func:`corpus.extract.page._options`): lists in place, single expressions wherever a module holds them.
They select what trafilatura's own select, so a caller's own trafilatura calls in that process are
only faster; ``bench/bench_pipeline.py`` measures trafilatura in processes of its own.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from lxml.etree import XPath

from corpus.limits import Remembered

try:  # the standard library's regular-expression parser
    import re._parser as _sre  # Python 3.11+
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre  # type: ignore[no-redef]

_LITERAL = r"""('[^']*'|"[^"]*")"""  # an XPath string: no escapes, it cannot hold its own quote
_REGEX_CALL = re.compile(rf"re:test\(\s*(@[\w:-]+(?:\s*\|\s*@[\w:-]+)*)\s*,\s*{_LITERAL}\s*(?:,\s*{_LITERAL}\s*)?\)")
_guarded: dict[int, tuple[XPath, XPath]] = {}  # id of trafilatura's expression -> (it, kept alive; its twin)


PREFILTER_MAX_LITERALS = 8  # more ``contains()`` tests than this cost about what the call they spare costs
Literals = frozenset[str]


def _better(candidate: Literals | None, best: Literals | None) -> Literals | None:
    """The set that rules out more strings: longer literals first, then fewer of them."""
    if not candidate:
        return best
    if best is None:
        return candidate
    return max(best, candidate, key=lambda lits: (min(map(len, lits)), -len(lits)))


def _spelled(items: Iterable[tuple[Any, Any]]) -> str | None:
    """The string a sequence of plain characters spells (None: it is not one)."""
    chars = [chr(argument) if op is _sre.LITERAL else None for op, argument in items]
    return None if None in chars else "".join(chars)  # type: ignore[arg-type]


def _choices(op: Any, argument: Any) -> set[str] | None:
    """The strings an item can spell when it is a plain character, a class of a few characters or an
    alternation of plain words (None: anything else)."""
    if op is _sre.LITERAL:
        return {chr(argument)}
    if op is _sre.IN and all(kind is _sre.LITERAL for kind, _ in argument):
        return {chr(code) for _, code in argument}
    if op is _sre.BRANCH:
        words = {_spelled(branch) for branch in argument[1]}
        return None if None in words else words  # type: ignore[return-value]
    return None


def _sequence_literals(items: Iterable[tuple[Any, Any]]) -> Literals | None:
    """Literals one of which every match of this sequence of regex items contains (None: none known).
    Runs of plain characters (and of small classes and alternations of words, spelled out) are
    required, and so is what a group, an alternation or a repeat of at least one holds; anything else
    (anchors, lookarounds, optional parts, larger classes) ends a run."""
    best: Literals | None = None
    run: set[str] = {""}
    for op, argument in items:
        choices = _choices(op, argument)
        if choices is not None and len(run) * len(choices) <= PREFILTER_MAX_LITERALS:
            run = {start + choice for start in run for choice in choices}
            continue
        best = _better(_minimal(run), best)
        run = {""}
        if op is _sre.SUBPATTERN and not argument[1] & re.IGNORECASE:  # (group, add_flags, del_flags, items)
            best = _better(_sequence_literals(argument[3]), best)
        elif op is _sre.BRANCH:
            best = _better(_branch_literals(argument[1]), best)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and argument[0] >= 1:
            best = _better(_sequence_literals(argument[2]), best)
    return _better(_minimal(run), best)


def _minimal(found: set[str]) -> Literals | None:
    """The literals without those that hold another one (that one is then there too); None for none."""
    if not found or "" in found:
        return None
    return frozenset(lit for lit in found if not any(other != lit and other in lit for other in found))


def _branch_literals(branches: Iterable[Iterable[tuple[Any, Any]]]) -> Literals | None:
    found: set[str] = set()
    for branch in branches:
        literals = _sequence_literals(branch)
        if literals is None:
            return None  # a branch that needs no literal: the alternation needs none
        found |= literals
    return _minimal(found)


def required_literals(pattern: str, ignore_case: bool = False) -> Literals | None:
    """Strings one of which every string the pattern matches (``re.search``) contains; None when no
    such set is known: case-insensitive patterns, patterns without a required plain run."""
    if ignore_case:
        return None
    try:
        parsed = _sre.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    return _sequence_literals(parsed)


def _xpath_string(text: str) -> str | None:
    """An XPath 1.0 string literal for the text (it has no escapes: None when both quotes occur)."""
    if "'" not in text:
        return f"'{text}'"
    return f'"{text}"' if '"' not in text else None


def guard_expression(path: str) -> str:
    """The XPath with each ``re:test(@attr, 'pattern')`` that cannot match '' behind a test libxml2
    answers itself: ``contains(@attr, 'literal') or ...`` when every match holds one of a few
    literals (:func:`required_literals`), else the attribute's existence."""

    def guard(call: re.Match[str]) -> str:
        argument, pattern, flags = call.group(1), call.group(2)[1:-1], (call.group(3) or "''")[1:-1]
        ignore_case = "i" in flags
        try:
            matches_empty = re.search(pattern, "", re.IGNORECASE if ignore_case else 0) is not None
        except re.error:
            return call.group(0)  # lxml would raise on it: leave it to do so
        if matches_empty:
            return call.group(0)
        literals = required_literals(pattern, ignore_case)
        quoted = [_xpath_string(lit) for lit in sorted(literals or ())]
        if literals and len(literals) <= PREFILTER_MAX_LITERALS and None not in quoted:
            test = " or ".join(f"contains({argument}, {lit})" for lit in quoted)
        else:
            test = " or ".join(name.strip() for name in argument.split("|"))
        flags_argument = f", {call.group(3)}" if call.group(3) else ""
        return f"(({test}) and {_TEST_PREFIX}:test(string({argument}), {call.group(2)}{flags_argument}))"

    return _REGEX_CALL.sub(guard, path)


_TEST_PREFIX, _TEST_NAMESPACE = "nc", "urn:newsclean:xpath"
REMEMBERED_TESTS = 20_000  # (pattern, value) answers kept: a few MiB at most, forgotten all at once past this
REMEMBERED_VALUE_CHARS = 200  # a longer value (an inline style) is tested each time


def _remembered_test(context: object, value: str, pattern: str, flags: str = "") -> bool:
    """EXSLT's ``re:test(value, pattern, flags)`` as lxml answers it (``re.search`` with the pattern compiled
    ``re.UNICODE``, and ``re.IGNORECASE`` for an ``i`` in the flags), given ``string()`` of the node-set lxml
    would take the first node's text of: a plain string crosses into Python for less than lxml's own call
    (0.66 against 0.97 ms for one pattern over a news page's elements), and an answer already given for
    the value is looked up."""
    key = (pattern, flags, value)
    return _test_once(key) if len(value) > REMEMBERED_VALUE_CHARS else _tests[key]


def _test_once(key: tuple[str, str, str]) -> bool:
    pattern, flags, value = key
    return _compiled(pattern, "i" in flags).search(value) is not None


@lru_cache(maxsize=512)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(pattern, re.UNICODE | (re.IGNORECASE if ignore_case else 0))


_tests = Remembered(_test_once, REMEMBERED_TESTS)


_ANY_DESCENDANT = re.compile(r"(?:^|(?<=[\s(|]))\.//\*\[")  # ``.//*[`` opening a path
_SELF_TESTS = re.compile(r"\s*self::[\w-]+(?:\s+or\s+self::[\w-]+)*\s*")
_POSITIONAL = re.compile(r"^\s*[\d.]+\s*$|position\(|last\(")


def _bracketed(path: str, start: int) -> int:
    """The index after the ``]`` that closes the ``[`` at ``start`` (strings and nesting skipped)."""
    depth, index = 0, start
    while index < len(path):
        char = path[index]
        if char in "'\"":
            index = path.index(char, index + 1)
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError("unbalanced brackets")


def _tags_walked_once(path: str) -> str:
    """``.//*[self::div or self::section][P]...`` as ``(.//div|.//section)[P]...`` when no predicate of
    the step is positional: the same elements in document order (every predicate tests the element
    alone), but libxml2 builds a node set for each ``self::`` test of each element, and walks for
    names without: 0.70 against 0.12 ms for six names on a news page. A path whose brackets or
    strings do not close stays as it is."""
    try:
        return _walk_names_once(path)
    except ValueError:
        return path


def _walk_names_once(path: str) -> str:
    out, position = [], 0
    for opening in _ANY_DESCENDANT.finditer(path):
        if opening.start() < position:
            continue
        first_end = _bracketed(path, opening.end() - 1)
        if _SELF_TESTS.fullmatch(path, opening.end(), first_end - 1) is None:
            continue
        names = re.findall(r"self::([\w-]+)", path[opening.end(): first_end - 1])
        end, positional = first_end, False
        while (rest := path[end:].lstrip()).startswith("["):
            start = len(path) - len(rest)
            end = _bracketed(path, start)
            positional = positional or bool(_POSITIONAL.search(path[start + 1: end - 1]))
        if positional:
            continue
        out.append(path[position: opening.start()] + "(" + "|".join(f".//{name}" for name in names) + ")")
        position = first_end
    return "".join(out) + path[position:]


_NAMESPACES = {"re": "http://exslt.org/regular-expressions",  # as trafilatura compiles them
               _TEST_PREFIX: _TEST_NAMESPACE}
_EXTENSIONS = {(_TEST_NAMESPACE, "test"): _remembered_test}
_twins: set[int] = set()  # ids of the guarded twins: never guarded again


def cheaper_expression(path: str) -> str:
    """The XPath with its names walked once (:func:`_tags_walked_once`) and its regex calls guarded
    (:func:`guard_expression`)."""
    return guard_expression(_tags_walked_once(path))


_PROBE = "<html><body><div class='a' id='b'><p>text</p></div></body></html>"


def _twin(expression: object) -> object:
    if not isinstance(expression, XPath) or id(expression) in _twins:
        return expression
    if id(expression) not in _guarded:
        twin = expression
        cheaper = cheaper_expression(expression.path)
        if cheaper != expression.path:
            from lxml.html import fromstring

            twin = XPath(cheaper, namespaces=_NAMESPACES, extensions=_EXTENSIONS)
            try:  # an expression with other prefixes (or variables) than trafilatura's ``re:``
                twin(fromstring(_PROBE))
            except Exception:  # noqa: BLE001 - lxml's XPath errors: keep trafilatura's own
                twin = expression
        _guarded[id(expression)] = (expression, twin)
        _twins.add(id(twin))
    return _guarded[id(expression)][1]


def guard_trafilatura_xpaths() -> int:
    """Swap the cheaper twins into every loaded trafilatura module; the number of expressions swapped.
    Idempotent: a twin is never guarded again."""
    swapped = 0
    for name, module in list(sys.modules.items()):
        if name != "trafilatura" and not name.startswith("trafilatura."):
            continue
        for attribute, value in list(vars(module).items()):
            if isinstance(value, list) and any(isinstance(item, XPath) for item in value):
                new = [_twin(item) for item in value]
                swapped += sum(a is not b for a, b in zip(value, new, strict=True))
                value[:] = new  # in place: modules that imported the list see the twins
            elif isinstance(value, XPath) and (twin := _twin(value)) is not value:
                setattr(module, attribute, twin)
                swapped += 1
    return swapped
