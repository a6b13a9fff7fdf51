"""The phrase rules of every language, built from one data file per language (``lang/<code>.toml``).

A language file lists, per kind of chrome, the phrases that language's news sites print ("Läs mer",
"関連ニュース", "Kaynak"); :data:`KINDS` says what each kind is and which rule it feeds. Adding a language is
adding a file: no code. Each rule below has one shape (in code, with its name and reason) and one
alternation of all languages' phrases of its kinds, compiled as a trie (a regular expression whose
branches share their prefixes), so matching costs the length of the phrase, not the number of languages.

Two look-ups say which rules a line may meet before any rule's pattern runs: the line's first word in a
dictionary of every phrase's first word, all kinds and languages (:func:`opening_kinds`), and, on a short
line, its words against the first words of the few kinds met anywhere (newsletter, rights, "our" before
a channel, disclosures; :func:`phrase_kinds`). A rule with a ``gate`` is tried only when one of its kinds
is among those found.

Phrases are matched on the lower-cased line. A phrase ending in a letter of a spaced script must end at
a word's end ("stand" is not "standard"); Chinese, Japanese, Korean and Thai phrases need no boundary
(no spaces there), and Korean particles attach to the word.
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from itertools import groupby

from corpus.clean.rules.shapes import CHANNELS, SHORT_CHROME_CHARS, Rule
from corpus.text import word_runs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KINDS: dict[str, str] = {
    "related": "headings of 'related stories' boxes; 'PHRASE: headline' lines",
    "follow": "openings of 'follow us / join our channel' calls",
    "follow_after": "endings of such calls in languages whose verb comes last ('… takip edin')",
    "channel": "the word for a channel, or a platform's local name",
    "own": "'our' before a channel word",
    "newsletter": "the word for a newsletter",
    "signup": "verbs of signing up",
    "app": "openings of 'download our app' prompts",
    "comments": "headings of the comment section",
    "comment_prompt": "prompts to comment",
    "share": "words of share and tool bars",
    "reading_time": "reading-time labels",
    "minutes": "the word for minutes after a number",
    "updated": "'updated' and 'published' labels before a date",
    "clock": "words before a clock time",
    "ad": "advertising labels",
    "disclosure": "affiliate and advertising disclosures",
    "rights": "'all rights reserved' words",
    "editor": "editor, translator and desk credit labels",
    "source": "source labels before a colon",
    "agency": "news agencies' short names in a desk's sign-off",
    "byline": "the word before an author's name",
    "author": "headings of an author bio",
    "navigation": "page controls and loading labels",
    "info_box": "headings of further-information and contact boxes",
    "photo": "photo credit labels",
    "login": "log-in prompts",
}
ANYWHERE_KINDS = frozenset({"newsletter", "rights", "own", "disclosure", "follow_after"})

_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1100-\u11ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3400-\u4dbf"
                       r"\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
"""Thai, Lao, Hangul, kana, CJK ideographs: no spaces between words, or particles glued to them."""


def norm(phrase: str) -> str:
    """How phrases are stored and compared: lower case, one kind of apostrophe, hyphens as spaces."""
    phrase = phrase.lower().replace("’", "'").replace("‘", "'").replace("\u0307", "")
    return " ".join(phrase.replace("-", " ").split())


def _bounded(ch: str) -> bool:
    return ch.isalnum() and not _UNSPACED.match(ch)


def _atom(ch: str) -> str:
    if ch == " ":
        return r"[-\s]+"
    if ch == "'":
        return "['’‘]"
    if ch == "i":
        return "i\u0307?"  # "İ".lower() is "i" and a combining dot
    return re.escape(ch)


def trie(phrases: list[str] | set[str], lead: bool = False) -> str:
    """One alternation of ``phrases`` (normalised) with shared prefixes, longest first; ``lead``: a phrase
    starting with a letter of a spaced script must start a word (for kinds searched anywhere)."""
    root: dict = {}
    for phrase in phrases:
        node = root
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict, last: str) -> str:
        branches = [_atom(ch) + emit(child, ch) for ch, child in sorted(node.items()) if ch]
        end = r"(?!\w)" if _bounded(last) else ""
        if not branches:
            return end
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body}|{end})" if "" in node else body

    if not root:
        return "(?!)"
    # Each run of word-starting branches goes under one look-behind, in the same order: the engine then
    # rejects a position inside a word once and tries only the branch its letter opens, where a look-behind
    # opening every branch hid their letters from it (152 us a try of the newsletter rule, on 200 characters).
    branches: list[str] = []
    opening = [(ch, child) for ch, child in sorted(root.items()) if ch]
    for starts_word, run in groupby(opening, key=lambda item: lead and _bounded(item[0])):
        alternatives = [_atom(ch) + emit(child, ch) for ch, child in run]
        branches += [r"(?<!\w)(?:" + "|".join(alternatives) + ")"] if starts_word else alternatives
    return "(?:" + "|".join(branches) + ")"


def load_languages() -> dict[str, dict]:
    """Every ``lang/*.toml`` shipped with the package: code -> {"name": ..., "phrases": {kind: [phrase]}}."""
    found: dict[str, dict] = {}
    folder = resources.files("corpus.clean.rules").joinpath("lang")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        code = data.get("language") or entry.name[:-5]
        unknown = set(data.get("phrases", {})) - set(KINDS)
        if unknown:
            raise ValueError(f"{entry.name}: no such kind of chrome: {', '.join(sorted(unknown))}")
        found[code] = {"name": data.get("name", code), "phrases": {kind: [norm(p) for p in phrases if norm(p)]
                                                                  for kind, phrases in data["phrases"].items()}}
    return found


LANGUAGE_DATA = load_languages()


def _phrases(kind: str) -> set[str]:
    return {p for lang in LANGUAGE_DATA.values() for p in lang["phrases"].get(kind, ())}


def _langs(*kinds: str) -> tuple[str, ...]:
    return tuple(sorted(code for code, lang in LANGUAGE_DATA.items() if any(lang["phrases"].get(k) for k in kinds)))


P = {kind: trie(_phrases(kind)) for kind in KINDS}
A = {kind: trie(_phrases(kind), lead=True) for kind in ANYWHERE_KINDS}


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.X)  # matched on the lower-cased line: no re.I, so the trie's literals stay fast


# Shapes shared by the rules below: dates and clock times as news pages print them.
END = r"\s*[:：.…>»\-–—]*\s*$"
TIME = r"""(?:\d{1,2}\s*[:h.：]\s*\d{2}(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[時时시点]\s*\d{1,2}\s*[分분])"""
DATE = r"""(?:\d{1,2}[./-]\s?\d{1,2}[./-]\s?\d{2,4}|\d{4}[./-]\s?\d{1,2}[./-]\s?\d{1,2}\.?|\d{1,2}\.?\s+[^\W\d_]+\.?,?\s+\d{4}
    |\d{1,2}\s+de\s+[^\W\d_]+\s+de\s+\d{4}|[^\W\d_]+\.?\s+\d{1,2},?\s+\d{4}|(?:\d{2,4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日
    |(?:\d{4}\s*년\s*)?\d{1,2}\s*월\s*\d{1,2}\s*일|""" + TIME + ")"
STAMP = DATE + r"""(?:\s*[(（][^\W\d_]{1,3}[)）])?(?:[\s,]+(?:[^\W\d_]{1,6}\.?\s*){0,2}""" + TIME + r")?(?:\s*[^\W\d_]{1,5}\.?)?"
"""A date, perhaps a weekday in brackets, perhaps a clock time after a short word ("um", "à", "alle",
"ore"), perhaps a short word after it ("Uhr", "h")."""

CAPITAL = r"(?-i:[A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁЀ-ЏΑ-Ω])"
"""A capital letter, in the scripts with capitals (a name in a byline starts with one)."""

KIND_RULES: dict[str, set[str]] = {kind: set() for kind in KINDS}
"""Which rules each kind of phrase feeds (for ``newsclean rules --languages``)."""


def _rule(name: str, kind: str, pattern: str, reason: str, kinds: tuple[str, ...],
          gate: bool | tuple[str, ...] = True, **extra) -> Rule:
    """A rule fed by the phrases of ``kinds``, tried only on lines where one of ``gate`` (by default the
    kinds themselves; False: no gate, for shapes that open with a digit) was found."""
    for k in kinds:
        KIND_RULES[k].add(name)
    cased = extra.pop("cased", False)  # matched on the line as written (the shape needs a capital)
    return Rule(name, kind, re.compile(pattern, re.X | re.I) if cased else _rx(pattern), reason,
                languages=_langs(*kinds), gate=kinds if gate is True else (gate or ()), lowered=not cased, **extra)


LINE_RULES: tuple[Rule, ...] = (
    _rule("cta-social", "line", rf"^\W*{P['follow']}.{{0,120}}?(?:\b{CHANNELS}\w{{0,3}}\b|{P['channel']})",
          "calls to join or follow the site on a social or messaging channel", ("follow", "channel"),
          gate=("follow",), suffix=True, max_chars=SHORT_CHROME_CHARS),
    _rule("cta-social", "line", rf"{A['own']}\s*(?:\w+\s+)?{P['channel']}.{{0,20}}\b{CHANNELS}\b",
          "a plug for the site's own channel on a messaging or video platform", ("own", "channel"), gate=("own",),
          suffix=True, max_chars=200),
    _rule("cta-social", "line", rf"(?:\b{CHANNELS}\w{{0,3}}|{P['channel']}).{{0,60}}{A['follow_after']}\W*$",
          "calls to follow the site on a channel, the verb last ('Bizi Telegram kanalımızdan takip edin')",
          ("follow_after", "channel"), gate=("follow_after",), suffix=True, max_chars=200),
    _rule("cta-newsletter", "line",
          rf"^(?:.*{A['newsletter']}.*{trie(_phrases('signup'))}|.*{trie(_phrases('signup'), lead=True)}.*{P['newsletter']})",
          "newsletter sign-up prompts", ("newsletter", "signup"), gate=("newsletter",), suffix=True, max_chars=200),
    _rule("cta-app", "line", rf"^\W*{P['app']}.{{0,160}}$", "app download prompts", ("app",), suffix=True),
    _rule("cta-support", "line", rf"^\W*{P['login']}", "log-in prompts ('Sie sind nicht eingeloggt')", ("login",),
          max_chars=SHORT_CHROME_CHARS),
    _rule("comments", "line", rf"^\W*{P['comment_prompt']}.{{0,120}}$", "comment-section prompts and counters",
          ("comment_prompt",), prose_guard=True),
    _rule("share-bar", "line", rf"^(?:\W*{P['share']}\W*){{1,8}}$",
          "share and tool bars ('Teilen mit:', 'Partager', 'Dela')", ("share",)),
    _rule("copyright", "line", A["rights"], "copyright and reproduction footers", ("rights",),
          max_chars=SHORT_CHROME_CHARS, prose_guard=True),
    _rule("page-meta", "line",
          rf"""^\W*(?:{P['reading_time']}\s*[:：]?\s*(?:\w{{1,4}}\.?\s*)?\d{{1,3}}\s*[^\d\s]{{0,10}}\.?
              |{P['updated']}\s*[:：]?\s*(?:\w{{1,4}}\.?\s+)?{STAMP}|{P['clock']}\s*{TIME})\W*$""",
          "reading-time labels, 'updated at' stamps and labelled clock times", ("reading_time", "updated", "clock"),
          max_chars=120),
    _rule("page-meta", "line", rf"^\W*\d{{1,3}}\s*{P['minutes']}\.?\s*{P['reading_time']}\W*$",
          "reading-time labels ('3 Min. Lesezeit')", ("minutes", "reading_time"), gate=False, max_chars=60),
    _rule("page-meta", "line", r"""^\W*(?:(?:\d{2,4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日|(?:\d{4}\s*년\s*)?\d{1,2}\s*월\s*\d{1,2}\s*일
              |\d{1,2}\s*[時时시点]\s*\d{1,2}\s*[分분])(?:\s*[(（][^\W\d_][)）])?(?:[\s,]*""" + TIME + r")?\W*$",
          "a bare date or time stamp written with the CJK date signs ('2026年3月4日', '11時42分')", (), gate=False,
          max_chars=60),
    _rule("editor-credit", "line", rf"^\W*{P['editor']}\s*[:：/,]?\s*\S.{{0,120}}$",
          "editor, translation and production credits", ("editor",), max_chars=160, prose_guard=True),
    _rule("editor-credit", "line", rf"^\W*{P['source']}\s*[:：]\s*\S.{{0,80}}$",
          "the source of the story ('Kaynak: İHA', 'المصدر: وكالات')", ("source",), max_chars=120, prose_guard=True),
    _rule("editor-credit", "line",
          rf"^\W*(?:(?:[^\W\d_]{{2,4}}\s*/\s*)+{P['agency']}|{P['agency']}(?:\s*/\s*[^\W\d_]{{2,4}})+)\W*$",
          "the desk's sign-off: editors' initials and the news agency ('aja/PAP', 'dpa/lby')", ("agency",),
          gate=False, max_chars=40),
    _rule("byline", "line",
          rf"""^\W*{P['byline']}\s*[:：]?\s+{CAPITAL}[\w.'’-]+(?:\s+[^\W\d_][\w.'’-]+){{0,3}}\s*[|,·•–—-]?\s*
              (?:[^\W\d_]{{1,12}}\s+){{0,2}}(?:{DATE}|\d{{1,2}}\.?\s+[^\W\d_]{{3,12}}\.?).{{0,40}}$""",
          "a byline with its date or time: the author's name (a capital) after 'Von', 'Par', 'Di', then the date",
          ("byline",), max_chars=100, cased=True),
    Rule("copyright", "line", re.compile(r"(?:^|\s)©\s*(?:\d{4}|[^\W\d_])"),
         "a copyright sign inside a short footer line ('Hafenbote © 2026', '版权所有 © 新华网')", max_chars=200,
         needles=("©",), languages=("any",), prose_guard=True),
    _rule("navigation", "line", rf"^\W*{P['navigation']}\W*$",
          "page controls and loading labels ('Weiterlesen', 'Lire la suite', 'Cargando')", ("navigation",)),
    _rule("photo-credit", "line", rf"^\W*{P['photo']}\s*[:：.]\s*\S.{{0,80}}$",
          "a photo credit line ('Foto: NAME / AGENCY', 'Fot. NAME')", ("photo",), max_chars=100),
    _rule("advertisement", "line", rf"^\W*{P['ad']}(?:\s*[-–:：,.|]\s*.{{0,120}})?$",
          "advertising labels", ("ad",), max_chars=160),
    _rule("advertisement", "line", A["disclosure"], "affiliate and advertising disclosures", ("disclosure",),
          max_chars=160),
    _rule("inline-related", "line", rf"^\W*{P['related']}\s*[:：|>»\-–—】\]]+\s*\S.{{0,200}}$",
          "a single 'Lesen Sie auch: <other story>' link line inside the text", ("related",), prose_guard=True),
)

BOX_RULES: tuple[Rule, ...] = (
    _rule("related-box", "box", rf"^\W*{P['related']}{END}",
          "a 'Das könnte Sie auch interessieren' / 'Läs mer' box: the heading and the headlines under it go, "
          "and the story resumes after them", ("related",)),
)

BOUNDARY_RULES: tuple[Rule, ...] = (
    _rule("comments", "boundary", rf"^\W*(?:\d+\s*)?{P['comments']}(?:\s*[(（]\d+[)）])?{END}", "the comment section after the story", ("comments",)),
    _rule("author-bio", "boundary", rf"^\W*{P['author']}{END}", "an author bio heading ('Sobre el autor')",
          ("author",)),
    _rule("info-box", "boundary", rf"^\W*{P['info_box']}{END}",
          "a 'Further information' / 'Contact' / 'Sources' heading after the story: the press desk's "
          "addresses and links under it are not the story", ("info_box",)),
)

_ALL = LINE_RULES + BOX_RULES + BOUNDARY_RULES
_OPENING_KINDS = {kind for rule in _ALL for kind in rule.gate} - ANYWHERE_KINDS


_FIRST_WORD = re.compile(r"[\W_]*(\w+)")


def _first_unit(text: str) -> str:
    """What a look-up keys on: the first word, or the first character of an unspaced script."""
    found = _FIRST_WORD.match(text)
    if not found:
        return ""
    word = found.group(1)
    return word[0] if _UNSPACED.match(word) else word


def _index(kinds: set[str]) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for kind in kinds:
        for phrase in _phrases(kind):
            index.setdefault(_first_unit(phrase), set()).add(kind)
    return {unit: frozenset(found) for unit, found in index.items()}


_OPENING_OF = _index(_OPENING_KINDS)
_SPACED_ANYWHERE = _index({k for k in ANYWHERE_KINDS})
_SPACED_ANYWHERE_WORDS = frozenset(_SPACED_ANYWHERE)  # intersected with a line's words as they come
_UNSPACED_ANYWHERE = tuple((phrase, kind) for kind in ANYWHERE_KINDS for phrase in _phrases(kind)
                           if _UNSPACED.match(phrase[0]))
NOTHING: frozenset[str] = frozenset()


def opening_kinds(lowered: str) -> frozenset[str]:
    """The kinds of chrome whose phrases may open this (lower-cased) line: one dictionary look-up of its
    first word (or first character, in an unspaced script) over every language's phrases, whatever
    their number. A superset: the rule's own pattern decides."""
    if not lowered.isascii() and "\u0307" in lowered:
        lowered = lowered.replace("\u0307", "")
    return _OPENING_OF.get(_first_unit(lowered), NOTHING)


def phrase_kinds(lowered: str) -> frozenset[str]:
    """``opening_kinds``, and on a short line the kinds whose phrases stand anywhere in it (newsletter,
    rights, "our" before a channel): a set intersection of the line's words with the phrases' first
    words, and a substring test for the few phrases in unspaced scripts when the line has such letters (an
    ASCII line, two in three, has none: ``isascii`` reads a flag, where the search took 0.56 us a line)."""
    ascii_only = lowered.isascii()
    if not ascii_only and "\u0307" in lowered:
        lowered = lowered.replace("\u0307", "")
    kinds = _OPENING_OF.get(_first_unit(lowered), NOTHING)
    if len(lowered) > SHORT_CHROME_CHARS:
        return kinds
    for word in _SPACED_ANYWHERE_WORDS.intersection(word_runs(lowered)):
        kinds = kinds | _SPACED_ANYWHERE[word]
    if not ascii_only and _UNSPACED.search(lowered):
        for phrase, kind in _UNSPACED_ANYWHERE:
            if phrase in lowered:
                kinds = kinds | {kind}
    return kinds


def language_table() -> list[tuple[str, str, dict[str, int]]]:
    """(code, name, {kind: number of phrases}) for each language file, for ``newsclean rules --languages``."""
    return [(code, lang["name"], {k: len(v) for k, v in lang["phrases"].items() if v})
            for code, lang in sorted(LANGUAGE_DATA.items())]

