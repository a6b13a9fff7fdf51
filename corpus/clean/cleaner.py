"""Stage 2b: remove the boilerplate that scrapes carry, keeping every sentence of the story.

Works on lines (one paragraph per line) in four passes, each recording what it
removed under the rule's name:

1. line rules mark whole lines of chrome;
2. the first story-ending heading (a boundary rule) after real story text cuts
   the rest, and the short fragments just before it go with it;
3. without a boundary, short fragments at the very end go ("tail-fragment");
4. calls to action tacked onto the end of a paragraph are cut off it.

The corpus-level pass (:func:`corpus.clean.repeated.remove_corpus_chrome`) runs later, once the
whole run has been seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from corpus.clean.line_keys import LINES_REMEMBERED, REMEMBERED_LINE_CHARS, ShortLines
from corpus.clean.matching import SUFFIX_RULES, matches
from corpus.clean.rules import (
    BOUNDARY_RULES,
    BOX_RULES,
    CLOSING_BIO,
    CLOSING_BIO_FOLLOW,
    EMBED_LEAD_MIN_WORDS,
    FRAGMENT_MAX_WORDS,
    LINE_RULES,
    MAX_CHROME_LINE_CHARS,
    MIN_STORY_LINES_BEFORE_BOUNDARY,
    MIN_STORY_WORDS_BEFORE_BOUNDARY,
    PROSE_LOWER_SHARE,
    PROSE_MIN_WORDS,
    STORY_LINE_MIN_WORDS,
    STORY_SENTENCE_MIN_WORDS,
    TAIL_FRAGMENT_MAX_LINES,
    Rule,
    opening_kinds,
    phrase_kinds,
)
from corpus.document import Document, Removal, merged_removals
from corpus.limits import Remembered
from corpus.text import SentenceEnd, has_look_alikes, joined_lines, latin_look_alikes_folded, words_up_to

_SENTENCE_END = SentenceEnd(".!?…。！？؟।", "\"'”’»)]」』）")
_TEXT_END = re.compile(r"""(?:[.!?…;。！？؟।]["'”’»)\]」』）]*|[♦■□▪◆◇●∎★☐✦]|\d\)|https?://\S+|www\.\S+|[\U0001F300-\U0001FAFF\u2600-\u27BF]\ufe0f?)\s*$""")
"""How the real last line of a story may end besides a full stop: an end-of-story sign (♦ ■), an
emoji, a link, a closing parenthesis after a number. Such a line is never a tail fragment. (A colon
is not: "Explore what our app can do for you:" closes many promos.)"""
_WRITERS_SIGN_OFF = re.compile(
    r"^(?:(?:liebe|viele|herzliche|beste|sonnige)\s+grüße|lg|euer|eure|yours(?:\s+truly)?|cheers|best\s+wishes|love"
    r"|xoxo|bises|bisous|amitiés|cordialement|saludos|un\s+abrazo|abrazos|un\s+saluto|saluti|baci|groetjes|groeten"
    r"|pozdrawiam|с\s+уважением|обнимаю)\b[\s,!.:]*(?:\S+\s*){0,3}$", re.I)
"""A blog post's closing greeting and name ("Euer Hans", "Liebe Grüße, Anna", "Cheers, Tom"): the
writer's own last line, not a fragment of chrome."""
_SENTENCE_BREAK = re.compile(r"""[.!?…]["'”’»)\]]*\s+(?=\W{0,2}[^\W_a-zß-ÿа-џα-ω])""")
"""Where a paragraph's next sentence starts: after a full stop, a capital or a digit (any script's capital:
the word characters that are not lower-case letters of the Latin, Cyrillic or Greek alphabets). The stop is
taken into the match rather than looked behind, so the engine skips from stop to stop at C speed (a pattern
opening with a look-behind is tried at every character: 2.5 against 1.5 us on a 170-character paragraph)."""


def first_sentence(line: str) -> str:
    """The line up to and with its first sentence's stop (the whole line when it is one sentence)."""
    found = _SENTENCE_BREAK.search(line)
    return line if found is None else line[: found.start() + 1]


def last_sentence_start(line: str) -> int | None:
    """Where the line's last sentence starts (after the last break between two sentences), or None when the
    line is one sentence."""
    start = None
    for found in _SENTENCE_BREAK.finditer(line):
        start = found.end()
    return start


_CLAUSE_AFTER_LABEL = re.compile(r"""^\W*(?:\S+\s+){0,2}?\S*[,:]\s+["“'‘«]?(?=[^\W\d_])(?![A-ZÀ-ÞА-ЯЁ])
    |^\W*(?:\S+\s+){1,2}?by\s+(?=[a-z])""", re.X)


def is_prose(line: str) -> bool:
    """A line that reads as a story sentence, whatever phrase opens it: ``PROSE_MIN_WORDS`` words or more,
    ending as a sentence does (or holding a quote), mostly lower-case words, and a clause right after
    its first three words ("Edited by hand, the official figures…", "Related: the minister said…") or a
    common noun after "by" ("Reporting by volunteers from…"). Credits name people ("Reporting by Jane
    Doe; Editing by…") and headlines open with a capital, so they are not prose."""
    words = line.split()
    if len(words) < PROSE_MIN_WORDS:
        return False
    if not (_SENTENCE_END.search(line) or any(q in line for q in '"“”«»')):
        return False
    cased = [w for w in words[1:] if w[:1].isalpha()]
    if not cased or sum(w[0].islower() for w in cased) < PROSE_LOWER_SHARE * len(cased):
        return False
    return bool(_CLAUSE_AFTER_LABEL.search(line))


def match_line(line: str) -> Rule | None:
    """:func:`first_line_rule`, remembered for short lines."""
    return _line_rules.of(line)


def first_line_rule(line: str) -> Rule | None:
    """The first line rule that takes the whole line.

    A call to action (a ``suffix`` rule) must start in the line's first sentence: when it
    only ends a story paragraph, the suffix pass cuts it off and the story sentences stay.
    """
    if len(line) > MAX_CHROME_LINE_CHARS:
        return None
    lowered = line.lower()
    kinds = phrase_kinds(lowered)
    prose: bool | None = None
    for rule, match in matches(LINE_RULES, line, lowered, kinds):
        if not rule.suffix or match.start() < len(first_sentence(line)):
            if rule.prose_guard:
                prose = is_prose(line) if prose is None else prose
                if prose:
                    continue
            return rule
    return None


def match_box(line: str) -> Rule | None:
    if len(line) > MAX_CHROME_LINE_CHARS:
        return None
    lowered = line.lower()
    kinds = opening_kinds(lowered)
    return next((rule for rule, _ in matches(BOX_RULES, line, lowered, kinds)), None)


def match_boundary(line: str, next_line: str) -> Rule | None:
    """:func:`first_boundary`, remembered for short lines (with the line after them)."""
    if len(line) > REMEMBERED_LINE_CHARS or len(next_line) > REMEMBERED_LINE_CHARS:
        return first_boundary((line, next_line))
    return _boundaries[line, next_line]


def first_boundary(lines: tuple[str, str]) -> Rule | None:
    """The boundary rule a line opens, given the line after it."""
    line, next_line = lines
    if len(line) > MAX_CHROME_LINE_CHARS:
        return None
    next_line = next_line[:MAX_CHROME_LINE_CHARS]
    lowered = line.lower()
    kinds = opening_kinds(lowered)
    for rule, _ in matches(BOUNDARY_RULES, line, lowered, kinds):
        if (rule.next_line is None or rule.next_line.search(next_line)) and not is_prose(line):
            return rule
    return None


def is_story_line(line: str) -> bool:
    words = words_up_to(line, STORY_LINE_MIN_WORDS)
    return words >= STORY_LINE_MIN_WORDS or (words >= STORY_SENTENCE_MIN_WORDS and bool(_SENTENCE_END.search(line)))


def is_fragment(line: str) -> bool:
    return words_up_to(line, FRAGMENT_MAX_WORDS) <= FRAGMENT_MAX_WORDS and not _SENTENCE_END.search(line)


def _next_nonempty(lines: list[str], index: int) -> str:
    for line in lines[index + 1:]:
        if line.strip():
            return line
    return ""


_TWEET_SIGNATURE = re.compile(r"^[—–-]\s*.{1,80}\(@\w{1,30}\)\s+\w+\s+\d{1,2},\s+\d{4}$")
_BARE_DOMAIN = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}/?$")
_LIST_MARKS = ("- ", "• ", "* ")
_ADDRESSES_READER = re.compile(r"\b(?:you|your|our|us)\b", re.I)


def _is_real_end(line: str) -> bool:
    """A short last line that still ends a story: a full stop or an end sign (``_TEXT_END``), a
    sentence leading into an embed ("The council published its plan here:", four words or more, not
    talking to the reader as promos do), an embedded post's signature ("— Name (@handle) May 3, 2026"),
    a bare site address, or the writer's sign-off ("Euer Hans")."""
    line = line.strip()
    embed_lead = (line.endswith(":") and words_up_to(line, EMBED_LEAD_MIN_WORDS) >= EMBED_LEAD_MIN_WORDS
                  and not _ADDRESSES_READER.search(line))  # "Explore what our app can do for you:" is a promo
    return bool(_TEXT_END.search(line) or embed_lead or _TWEET_SIGNATURE.search(line) or _BARE_DOMAIN.search(line)
                or _WRITERS_SIGN_OFF.search(line))


def _mark_fragments_before(lines: list[str], verdicts: list[str | None], end: int) -> None:
    """Walk back from ``end`` over removed lines and fragments; mark the fragments unless they are the
    end of a list: a run of short lines longer than ``TAIL_FRAGMENT_MAX_LINES`` (items ending in a full
    stop count too), or two or more marked list items, which is content (results, dates, a recipe)."""
    fragments: list[int] = []
    short_run = 0
    in_fragments = True
    for i in range(end - 1, -1, -1):
        line = lines[i]
        if not line.strip() or verdicts[i] is not None:
            continue
        if words_up_to(line, FRAGMENT_MAX_WORDS) > FRAGMENT_MAX_WORDS:
            break
        short_run += 1
        in_fragments = in_fragments and is_fragment(line) and not _is_real_end(line)
        if in_fragments:
            fragments.append(i)
    if sum(lines[i].lstrip().startswith(_LIST_MARKS) for i in fragments) >= 2:
        return  # the last items of a list that ends the story
    if short_run <= TAIL_FRAGMENT_MAX_LINES:
        for i in fragments:
            verdicts[i] = "tail-fragment"


def _mark_box(lines: list[str], verdicts: list[str | None], start: int, box: Rule) -> None:
    """The box heading and the headline fragments under it, up to the next story line."""
    verdicts[start] = box.name
    for j in range(start + 1, len(lines)):
        if not lines[j].strip() or verdicts[j] is not None:
            continue
        if not is_fragment(lines[j]):
            return
        verdicts[j] = box.name


def line_verdicts(lines: list[str]) -> list[str | None]:
    """For each line, the name of the rule that removes it, or None to keep it."""
    verdicts: list[str | None] = [None] * len(lines)
    for i, line in enumerate(lines):
        if line.strip():
            rule = match_line(line)
            verdicts[i] = rule.name if rule else None

    story_lines = story_words = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        box = match_box(line) if verdicts[i] is None and is_fragment(line) else None
        if box:
            _mark_box(lines, verdicts, i, box)
            continue
        boundary = match_boundary(line, _next_nonempty(lines, i))
        enough_story = story_lines >= MIN_STORY_LINES_BEFORE_BOUNDARY or story_words >= MIN_STORY_WORDS_BEFORE_BOUNDARY
        if boundary and enough_story and boundary.name in INLINE_BOUNDARIES and _story_resumes(lines, verdicts, i):
            _mark_box(lines, verdicts, i, boundary)  # an inline box: its heading and headlines go, the story goes on
            continue
        if boundary and enough_story:
            _cut_from(lines, verdicts, i, boundary)
            _mark_fragments_before(lines, verdicts, i)
            return verdicts
        if boundary and verdicts[i] is None and is_fragment(line):
            verdicts[i] = boundary.name  # a story heading at the top of the page: navigation
        if verdicts[i] is None and is_story_line(line):
            story_lines += 1
            story_words += words_up_to(line, MIN_STORY_WORDS_BEFORE_BOUNDARY)  # the sum is only compared with it

    kept = [i for i, v in enumerate(verdicts) if v is None and lines[i].strip()]
    if kept and any(is_story_line(lines[i]) for i in kept):
        _mark_fragments_before(lines, verdicts, len(lines))
        _mark_closing_bio(lines, verdicts)
    return verdicts


def _mark_closing_bio(lines: list[str], verdicts: list[str | None]) -> None:
    """A third-person bio as the story's last paragraph (or last two: "…is a reporter…. She previously…")."""
    kept = [i for i, v in enumerate(verdicts) if v is None and lines[i].strip()]
    if len(kept) < 3:
        return
    last = kept[-1]
    if CLOSING_BIO.search(lines[last].strip()):
        verdicts[last] = "author-bio"
    elif CLOSING_BIO_FOLLOW.search(lines[last].strip()) and CLOSING_BIO.search(lines[kept[-2]].strip()):
        verdicts[last] = verdicts[kept[-2]] = "author-bio"


INLINE_BOUNDARIES = frozenset({"related-block"})
"""Boundaries that sites also put between paragraphs ("Related stories" and a few links): the story goes on
after them when story paragraphs follow (:func:`_story_resumes`)."""
RESUME_MIN_LINES = 2


def _story_resumes(lines: list[str], verdicts: list[str | None], start: int) -> bool:
    """After the heading at ``start`` and the headline fragments under it, the story goes on: the next
    ``RESUME_MIN_LINES`` lines are paragraphs in a row, each of a story line's length (``STORY_LINE_MIN_WORDS``).
    A list of other stories does not: headlines with a teaser sentence under each alternate with fragments."""
    following = [j for j in range(start + 1, len(lines)) if lines[j].strip() and verdicts[j] is None]
    k = 0
    while k < len(following) and is_fragment(lines[following[k]]) and not is_story_line(lines[following[k]]):
        k += 1  # the box's headlines
    resumed = following[k: k + RESUME_MIN_LINES]
    return (len(resumed) == RESUME_MIN_LINES
            and all(words_up_to(lines[j], STORY_LINE_MIN_WORDS) >= STORY_LINE_MIN_WORDS for j in resumed)
            and not any(match_boundary(lines[j], _next_nonempty(lines, j)) for j in resumed))


def _cut_from(lines: list[str], verdicts: list[str | None], start: int, boundary: Rule) -> None:
    """Everything from ``start`` on goes, each line under the latest heading it sits under."""
    current = boundary.name
    for j in range(start, len(lines)):
        if not lines[j].strip():
            continue
        if j > start:
            heading = match_boundary(lines[j], _next_nonempty(lines, j))
            if heading and is_fragment(lines[j]):
                current = heading.name
        verdicts[j] = verdicts[j] or current


def strip_suffixes(line: str) -> tuple[str, list[Removal]]:
    """:func:`cut_suffixes`, remembered for short lines (see ``REMEMBERED_LINE_CHARS``)."""
    kept, removed = _cut_lines.of(line)
    return kept, [Removal(r.rule, r.text) for r in removed]  # a remembered list is never handed out


def cut_suffixes(line: str) -> tuple[str, list[Removal]]:
    """Cut calls to action off the end of a paragraph, one sentence at a time."""
    removed: list[Removal] = []
    while True:
        start = last_sentence_start(line)
        if start is None:
            return line, removed
        last = line[start:].strip()
        if len(last) > MAX_CHROME_LINE_CHARS:
            return line, removed
        lowered = last.lower()
        kinds = phrase_kinds(lowered)
        rule, _ = next(matches(SUFFIX_RULES, last, lowered, kinds), (None, None))
        if rule is None:
            return line, removed
        removed.append(Removal(rule.name, last))
        line = line[:start].rstrip()


def line_outcomes(text: str, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str | None, list[Removal]]]:
    """For each line of ``text``: what of it is kept (None: the whole line went) and what rules took
    from it, in order. ``clean_text`` and ``newsclean explain`` both read the cleaner through this.
    Rules named in ``skip`` (``--skip-rule``) decide nothing: what they would remove stays."""
    lines = text.split("\n")
    # what the rules match: "Facebоok" as "Facebook"; a text with no letter to fold has nothing to fold in any line
    seen = [latin_look_alikes_folded(line) for line in lines] if has_look_alikes(text) else lines
    for line, look, verdict in zip(lines, seen, line_verdicts(seen), strict=False):
        if verdict is not None and verdict not in skip:
            yield None, [Removal(verdict, line.strip())]
        elif line.strip():
            kept, cut = strip_suffixes(look)
            if look is not line:  # the record keeps its own letters: the folded text has the line's length
                kept, cut = line[: len(kept)], [Removal(r.rule, line[at: at + len(r.text)])
                                                for r in cut for at in (look.rindex(r.text),)]
            if skip and any(r.rule in skip for r in cut):
                kept = " ".join([kept.rstrip(), *(r.text for r in cut if r.rule in skip)]).strip()
                cut = [r for r in cut if r.rule not in skip]
            yield kept, cut
        else:
            yield line, []


def clean_text(text: str, skip: frozenset[str] = frozenset()) -> tuple[str, list[Removal]]:
    """The rule-based cleaner for one text: the clean text and what was removed, in order."""
    kept: list[str] = []
    removed: list[Removal] = []
    for line, cut in line_outcomes(text, skip):
        removed.extend(cut)
        if line is not None and (line or not kept or kept[-1]):  # a blank line once: joined_lines keeps one of a run
            kept.append(line)
    return joined_lines(kept), merged_removals(removed)


def clean(doc: Document, skip: frozenset[str] = frozenset()) -> Document:
    """The cleaner stage for one document."""
    doc.text, removed = clean_text(doc.text, skip)
    doc.removed.extend(removed)
    return doc


def clean_all(docs: Iterable[Document]) -> Iterator[Document]:
    for doc in docs:
        yield clean(doc)


_line_rules = ShortLines(first_line_rule)
_cut_lines = ShortLines(cut_suffixes)
_boundaries = Remembered(first_boundary, LINES_REMEMBERED)
