"""Chrome learned from the corpus, in any language: line templates, linked headlines, headings over them.

Exact repeated lines (:mod:`corpus.clean.repeated`) miss the chrome whose text changes from page to
page: "Lue myös: HEADLINE", "Kuva: NAME / Lehtikuva", "3 phút"/"2 phút", "17.11. klo 7.05",
"ΔΙΑΦΗΜΙΣΗ"/"Διαφήμιση". Here a line gets *template* keys:

- its prefix up to a separator (":", "|", "—", "：", "】" ...) within its first words, shaped;
- for a short line, its whole shape.

A template of digits alone ("17.11.2026 07:05", "2010") votes for its site only: run-wide, years and
scores are in the lists of many stories.

A shape is the text NFKD-folded, accents dropped, case-folded, every run of digits one ``0``, and
punctuation and spaces squeezed, so those pairs share a key. Template keys are counted with the
line keys (one vote per story; run-wide in the document's line keys, per site in its site keys), so
the counts of earlier nights come with ``--state`` like the exact lines'. A template is chrome
("learned-template") on a site where it is on ``LEARNED_SITE_MIN_STORIES`` stories, or run-wide
where it is on ``LEARNED_TEMPLATE_MIN_STORIES`` stories, at least ``LEARNED_TEMPLATE_MIN_ELSEWHERE``
of them from other sites than the document's.

Titles: a line that is another record's title (this run's or, with ``--state``, an earlier night's)
is a link to that story ("linked-headline"); a short heading that went as chrome takes the
headline-like lines under it down to the end of the text or the next chrome ("learned-heading").

Story lines never go by recurrence alone (:func:`is_story_text`): a long or sentence-ended line,
a quote, a line that holds two of the story's own names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
import xxhash

from corpus.clean.line_keys import ShortLines
from corpus.clean.rules.thresholds import (
    LEARNED_HEADING_MAX_WORDS,
    LEARNED_HEADLINE_MAX_WORDS,
    LEARNED_PREFIX_MAX_WORDS,
    LEARNED_SENTENCE_MIN_WORDS,
    LEARNED_SHAPE_MAX_WORDS,
    LEARNED_SITE_MIN_STORIES,
    LEARNED_STORY_MIN_WORDS,
    LEARNED_TEMPLATE_MAX_WORDS,
    LEARNED_TEMPLATE_MIN_ELSEWHERE,
    LEARNED_TEMPLATE_MIN_STORIES,
    LINKED_HEADLINE_MIN_WORDS,
)
from corpus.document import Document, Removal, merged_removals
from corpus.text import SentenceEnd, joined_lines, words_up_to

LEARNED_RULES = ("learned-template", "linked-headline", "learned-heading")
_TEMPLATE_SEED = 0x5EED_7E4B  # template keys live in a key space of their own ...
_TITLE_SEED = 0x7171_E5ED  # ... and so do title keys

# a bracketed label ("【関連記事】"), or a prefix and its separator
_PREFIX = re.compile(r"^\s*(?:([【\[〔「(（][^】\]〕」)）]{1,30}[】\]〕」)）])"
                     r"|(\S.{0,60}?)\s*([:|：»›]|\s[—–-]\s|\s/\s))")
_DIGITS = re.compile(r"\d+")
_SQUEEZE = re.compile(r"[\W_]+")
_SENTENCE_END = SentenceEnd(".。!！", "\"'”’»)]")
_HEADLINE_END = re.compile(r"""[.。]["'”’»)\]]*$""")
_QUOTE_START = re.compile(r"""^\s*(?:["“”„«»‘’‚'「『]|[–—-]\s)""")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_][^\W_]{2,}")


def shape(text: str) -> str:
    """The text as templates compare it: accents, case, digit values, punctuation and spacing folded."""
    if text.isascii():  # nothing to decompose or compose, and case folds as lower-casing does
        folded = text.lower()
    else:
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
        folded = unicodedata.normalize("NFKC", folded).casefold()
    folded = _DIGITS.sub("0", folded)
    return _SQUEEZE.sub(" ", folded).strip()


def templates(line: str) -> tuple[str, ...]:
    """:func:`templates_of`, remembered for short lines (see ``REMEMBERED_LINE_CHARS``)."""
    return _templates.of(line)


def templates_of(line: str) -> tuple[str, ...]:
    """A line's templates (as text): its prefix before a separator, and the whole shape of a short line."""
    words = words_up_to(line, LEARNED_TEMPLATE_MAX_WORDS)
    if not words or words > LEARNED_TEMPLATE_MAX_WORDS:
        return ()
    found = []
    match = _PREFIX.match(line)
    if match:
        prefix = match.group(1) or match.group(2)
        if len(prefix.split()) <= LEARNED_PREFIX_MAX_WORDS and (key := shape(prefix)) \
                and (match.group(2) or _LETTER.search(key)):  # "[1] http://..." is a note, not a label
            found.append("p " + key + " " + (match.group(3) or "]").strip())
    if words <= LEARNED_SHAPE_MAX_WORDS and (key := shape(line)):
        found.append("s " + key)
    return tuple(found)


_templates = ShortLines(templates_of)


def _key(template: str, seed: int) -> int:
    return xxhash.xxh64_intdigest(template.encode(), seed=_TEMPLATE_SEED ^ seed)


def template_keys(line: str, seed: int = 0) -> list[int]:
    return [_key(t, seed) for t in templates(line)]


def title_key(text: str | None) -> int:
    """:func:`title_key_of`, remembered for short lines (a site's chrome lines are asked about on every page, and a
    shape of a non-ASCII line decomposes it character by character: 5 us)."""
    return _title_keys.of(text) if text else 0


def title_key_of(text: str) -> int:
    """The key a title (or a line naming it) is known by; 0 for none (a title of too few words)."""
    if words_up_to(text, LINKED_HEADLINE_MIN_WORDS) < LINKED_HEADLINE_MIN_WORDS:
        return 0
    return xxhash.xxh64_intdigest(shape(text).encode(), seed=_TITLE_SEED) or 1


_title_keys = ShortLines(title_key_of)


def template_votes(lines: Iterable[str], site_seed: int | None, open_lines: Collection[str] = (),
                   ) -> tuple[list[int], list[int], set[int], set[int]]:
    """(run-wide template keys, site template keys) a document's lines vote with (distinct), and the template
    keys of its ``open_lines`` (those a learned rule may take): run-wide, then the site's (the two counts a
    template is chrome by), each line's templates made once."""
    run_wide: set[int] = set()
    site: set[int] = set()
    removable: set[int] = set()
    removable_here: set[int] = set()
    for line in lines:
        found = templates(line)
        if not found:
            continue
        keys = [_key(t, 0) for t in found]
        run_wide.update(k for k, t in zip(keys, found, strict=True) if _LETTER.search(t[2:]))  # digits alone: per site
        sited = [_key(t, site_seed) for t in found] if site_seed is not None else []
        site.update(sited)
        if line in open_lines:
            removable.update(keys)
            removable_here.update(sited)
    return sorted(run_wide), sorted(site), removable, removable_here


def _names(text: str, first: int = 1) -> set[str]:
    """Capitalised words (past the first, unless ``first`` is 0): names, as far as a script has case."""
    return {w.casefold() for w in _WORD.findall(text)[first:] if w[0].isupper()}


def is_story_text(line: str, title: str | None, sentence_words: int = LEARNED_SENTENCE_MIN_WORDS) -> bool:
    """A line recurrence alone never removes: long, or a sentence of ``LEARNED_SENTENCE_MIN_WORDS`` words
    (a label before it or not: "Background: ..."), a quote, or a line naming two of the names in the
    story's title. An exact line (site evidence) is judged with ``sentence_words`` = ``STORY_LINE_MIN_WORDS``:
    a site's own one-line blurb repeats word for word, a template's text does not."""
    words = words_up_to(line, max(LEARNED_STORY_MIN_WORDS, sentence_words))
    if words > LEARNED_STORY_MIN_WORDS or (words >= sentence_words and _SENTENCE_END.search(line)):
        return True
    if words >= 3 and _QUOTE_START.match(line):
        return True
    return bool(title) and len(_names(line, 0) & _names(title or "")) >= 2


def is_heading(line: str) -> bool:
    """A short label with letters ("Related", "Aiheesta lisää"; a year or a date is not a heading)."""
    return words_up_to(line, LEARNED_HEADING_MAX_WORDS) <= LEARNED_HEADING_MAX_WORDS \
        and not _SENTENCE_END.search(line) and bool(_LETTER.search(line))


def is_headline(line: str) -> bool:
    words = words_up_to(line, LEARNED_HEADLINE_MAX_WORDS)
    return 2 <= words <= LEARNED_HEADLINE_MAX_WORDS and not _HEADLINE_END.search(line) \
        and not _QUOTE_START.match(line)


@dataclass
class Learned:
    """What the run (with the earlier nights) learned, as a document's removal needs it.

    ``count``: a key's count (run-wide line keys and site keys share one table); ``titles``: the
    title keys known; ``site_seed``/``stories``: the document's site and how many stories of it."""

    count: Callable[[np.ndarray], np.ndarray]
    titles: Callable[[int], bool]
    skip: frozenset[str] = frozenset()
    repeated: set[int] = field(default_factory=set)

    def template_chrome(self, lines: list[str], site_seed: int | None) -> list[bool]:
        """For each line, whether one of its templates is chrome (all lines' keys looked up at once)."""
        keys = [template_keys(line) for line in lines]
        flat = np.array([k for ks in keys for k in ks], dtype=np.uint64)
        if not len(flat):
            return [False] * len(lines)
        total = self.count(flat)
        here = np.zeros(len(flat), np.int64)
        if site_seed is not None:
            here = self.count(np.array([k for line in lines for k in template_keys(line, site_seed)], dtype=np.uint64))
        chrome = (here >= LEARNED_SITE_MIN_STORIES) | (
            (total >= LEARNED_TEMPLATE_MIN_STORIES) & (total - here >= LEARNED_TEMPLATE_MIN_ELSEWHERE))
        found, at = [], 0
        for ks in keys:
            found.append(bool(chrome[at: at + len(ks)].any()))
            at += len(ks)
        return found


Verdict = Callable[[str], "str | None"]


def corpus_verdicts(lines: list[str], title: str | None, exact: Verdict, learned: Learned | None,
                    site_seed: int | None, story: Callable[[str], bool] | None = None) -> list[str | None]:
    """The rule (or None) that removes each line: ``exact`` gives the exact-line rules' verdict
    (site, run-wide); then templates, linked headlines, and the headlines under a chrome heading. ``story``:
    :func:`is_story_text` of a line with ``title``, as the caller knows it."""
    own_title = title_key(title)
    verdicts = [exact(line) if line.strip() else None for line in lines]
    if learned is not None:
        story = story or (lambda line: is_story_text(line, title))
        open_lines = [i for i, line in enumerate(lines) if verdicts[i] is None and line.strip() and not story(line)]
        templated = [False] * len(open_lines)
        if "learned-template" not in learned.skip:
            templated = learned.template_chrome([lines[i] for i in open_lines], site_seed)
        for i, template in zip(open_lines, templated, strict=True):
            if "linked-headline" not in learned.skip and (key := title_key(lines[i])) and key != own_title \
                    and learned.titles(key):
                verdicts[i] = "linked-headline"
            elif template:
                verdicts[i] = "learned-template"
    if learned is not None and "learned-heading" not in learned.skip:
        _headlines_under_headings(lines, verdicts, title)
    return verdicts


def _headlines_under_headings(lines: list[str], verdicts: list[str | None], title: str | None) -> None:
    """A chrome heading's run of headline-like lines (other chrome may be among them) goes with it, when
    the run ends the text or its last line is chrome (a run that leads into story prose is the story's)."""
    i = 0
    while i < len(lines):
        if verdicts[i] is None or not is_heading(lines[i]):
            i += 1
            continue
        j, last = i + 1, i
        while j < len(lines) and (verdicts[j] is not None or not lines[j].strip() or (
                is_headline(lines[j]) and not is_story_text(lines[j], title))):
            if lines[j].strip():
                last = j
            j += 1
        if j == len(lines) or verdicts[last] is not None:
            for k in range(i + 1, last + 1):
                if verdicts[k] is None and lines[k].strip():
                    verdicts[k] = "learned-heading"
        i = max(j, i + 1)


def apply_verdicts(doc: Document, lines: list[str], verdicts: list[str | None]) -> None:
    """Remove the lines with a verdict (never all of them), each named in ``provenance.removed``."""
    kept = [line for line, v in zip(lines, verdicts, strict=True) if v is None]
    if len(kept) == len(lines) or not any(line.strip() for line in kept):
        return
    doc.text = joined_lines(kept)
    doc.removed.extend(merged_removals(Removal(verdict, line) for line, verdict in zip(lines, verdicts, strict=True)
                                       if verdict is not None))
