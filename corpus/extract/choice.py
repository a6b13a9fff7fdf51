"""Stage 2a, which of trafilatura's passes holds the story: chosen on what the candidates look like.

trafilatura can read a page three ways: its fast pass (precision, no comparison with other
extractors), its thorough pass (the same, compared with readability and jusText) and its default
mode (less strict about what it keeps). None of them is right on every page, and a word count
does not say which one is: a fast pass of 127 words may be a fifth of a review, and a thin pass
may be a short paywall teaser the other modes only repeat with promo lines around it.

The choice here looks at the candidates instead:

- **where their paragraphs sit on the page**: every ``<p>`` of the page, before trafilatura prunes
  it, is marked as story or chrome (inside a footer, menu, aside, form or a block whose class or
  id says promo, newsletter, subscription, related, comments, ...). A candidate made mostly of
  chrome paragraphs is not the story;
- **how much of the page's paragraph text each holds** (its *coverage* of the story paragraphs);
- **whether they agree**: the share of one candidate's paragraphs the other holds too; a
  candidate that holds all of another and more is its superset.

The fast pass is taken as it is unless it looks wrong (thin beside the page's story paragraphs,
or made of chrome): only then do the other passes run, so most pages cost one pass. Whatever is
taken, a paragraph is never returned twice (:func:`unique_paragraphs`).

Each decision has a name (``DECISIONS``) and a reason; ``bench/eval_choice.py`` counts how often
each fires on the dev sets and what it changes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml.etree import XPath
from lxml.html import HtmlElement

KEY_CHARS = 48  # a paragraph is found on the page by its first 48 characters (white space squeezed)
STORY_MIN_WORDS = 4  # shorter <p> (captions, labels, buttons) say nothing about where the story is
THIN_COVERAGE = 0.5  # a candidate holding less than half the page's story-paragraph words may have missed some
THIN_MIN_STORY_WORDS = 150  # ... on a page with at least this many story-paragraph words (else all is short)
CHROME_SHARE = 0.5  # a candidate whose located words are half chrome or more is made of chrome
AGREE_SHARE = 0.8  # a candidate is inside another when the other holds 80% of its words
MORE_WORDS = 1.2  # and the other is a superset worth taking when it has 20% more story words
OTHER_PLACE_GAIN = 2.0  # passes that disagree: the thorough one wins with twice the fast one's story coverage
PAGE_SHARE = 0.12  # a page without story paragraphs: a candidate under 12% of the page's text is thin
FALLBACK_GAIN = 1.5  # the default mode replaces the precision candidate only with 1.5x its story words
ADDS_MIN_WORDS = 60  # else the default mode's paragraphs the precision text lacks are added from 60 words on
PROSE_MIN_WORDS = STORY_MIN_WORDS  # ... each a story <p> of the page, or a sentence as long (no menu, no link list)
_PROSE_END = re.compile(r"""[.!?…:;]["'”“»)\]]*$""")

COPY_RULE = "extract-repeated-paragraph"  # provenance.removed names what the extractor left out as a copy
COPY_MIN_WORDS = 20  # a paragraph stated again with 20 words or more is a copy (a teaser, a lead)
REPEATING_MIN = 3  # ... unless the page's own <p> state it as often, on a page repeating 3 paragraphs or more

DECISIONS = {
    "fast": "the fast pass looks like the story: it holds most of the page's story paragraphs, little chrome",
    "fast-only-story": "the fast pass holds little, but the page's paragraphs are few or none (nothing else to find)",
    "thorough-superset": "the fast pass was thin or chrome; the thorough pass holds it and more story paragraphs",
    "thorough-other-place": "the passes disagree; the thorough pass holds twice the story (or the fast pass is chrome, "
                            "or empty)",
    "fast-kept": "the fast pass was thin, but the thorough pass found no more story (or only chrome)",
    "short-story-held": "the page's few story paragraphs are all held (a paywall's teaser): the default mode "
                        "would only add what is not in them",
    "default-story": "the precision passes stayed thin; the default mode's extra paragraphs sit in the story "
                     "(its chrome paragraphs left out)",
    "default-adds": "the precision passes stayed thin; the default mode found story paragraphs or sentences elsewhere "
                    f"on the page ({ADDS_MIN_WORDS}+ words): added to them, in the page's order",
    "precision-kept": "the default mode brought no more story paragraphs, only chrome or copies: precision kept",
    "empty": "no pass found any text",
}

_CHROME_TAGS = frozenset({"footer", "nav", "aside", "form", "menu", "button", "select", "figcaption"})
CHROME_MAX_SHARE = 0.5  # a block holding half the page's paragraph words is not chrome, whatever its class says
_CHROME_MARKS = re.compile(
    r"(?:^|[-_ ])(?:foot(?:er)?|promo\w*|newsletter|subscri\w*|abonn\w*|abo|related|recommend\w*|"
    r"more-stories|trending|hot-?topics?|popular|most-read|sidebar|widget|cookie\w*|consent|comments?|share|sharing|"
    r"social|advert\w*|ads?|banner|sponsor\w*|outbrain|taboola|nav|navigation|navbar|menu|breadcrumbs?|ticker|"
    r"signup|login)(?=$|[-_ \d])", re.I).search
"""Class and id words of blocks that hold no story; a class saying what a page has ("has-sidebar") is not one."""
_STORY_TAGS = frozenset({"article", "main", "body", "html"})  # the walk up stops here: the story's own containers


def squeeze(text: str) -> str:
    return " ".join(text.split())


def _key(text: str) -> str:
    return squeeze(text)[:KEY_CHARS].casefold()


@dataclass
class PageParagraphs:
    """The page's ``<p>`` paragraphs, keyed by their opening, each marked story (False) or chrome (True)."""

    chrome: dict[str, bool] = field(default_factory=dict)
    story_words: int = 0
    text_chars: int = 0  # all the characters of the page's body but white space, story, chrome and all
    article: dict[str, int] = field(default_factory=dict)  # which <article> of the page holds it (0: none)
    story_by_article: Counter = field(default_factory=Counter)  # story words in each <article>
    stated: Counter = field(default_factory=Counter)  # how many <p> of the page hold each paragraph
    position: dict[str, int] = field(default_factory=dict)  # where on the page each paragraph first is

    @property
    def listing(self) -> bool:
        """Several <article>s hold story paragraphs: a list of posts, or a story beside teaser cards."""
        return sum(1 for n, words in self.story_by_article.items() if n and words) >= 2

    def repeats(self) -> Counter:
        """How many ``<p>`` state each paragraph, on a page built of repeating parts (a meal plan's days, a
        schedule: ``REPEATING_MIN`` different paragraphs stated more than once); else nothing: a page that
        states one paragraph twice (a lead restated at the end) is not repeating a structure."""
        repeated = sum(1 for n in self.stated.values() if n > 1)
        return self.stated if repeated >= REPEATING_MIN else Counter()

    def place(self, paragraph: str) -> bool | None:
        """True: the paragraph sits in chrome; False: in the story; None: not a <p> of the page."""
        return self.chrome.get(_key(paragraph))


def page_paragraphs(tree: HtmlElement) -> PageParagraphs:
    """Every ``<p>`` of the page's body with four words or more, story or chrome by its ancestors
    (one walk up from each paragraph, each ancestor judged once). A chrome block holding half the
    page's paragraph words or more is no chrome, whatever its class says (a wrapper "ad_body")."""
    found = PageParagraphs()
    judged: dict[HtmlElement, tuple[HtmlElement | None, int]] = {}
    body = tree.find(".//body")
    body = body if body is not None else tree
    placed = []
    for p in body.iter("p"):
        text = _normalised(p)  # white space squeezed in C: a split in Python cost twice as much
        words = text.count(" ") + 1
        if words >= STORY_MIN_WORDS:
            placed.append((text[:KEY_CHARS].casefold(), words, *_in_chrome(p, judged)))
    total = sum(words for _, words, _, _ in placed)
    held = Counter()
    for _, words, block, _ in placed:
        held[block] += words
    for key, words, block, article in placed:
        found.stated[key] += 1
        found.position.setdefault(key, len(found.position))
        chrome = block is not None and held[block] < CHROME_MAX_SHARE * total
        found.chrome[key] = found.chrome.get(key, False) or chrome
        if not chrome:
            found.story_words += words
            found.story_by_article[article] += words
            found.article.setdefault(key, article)
    if found.story_words < THIN_MIN_STORY_WORDS:  # only then is the page's whole text a measure (a tenth of a pass)
        found.text_chars = _visible_chars(body.text_content())
    return found


_normalised = XPath("normalize-space()")


def _visible_chars(text: str) -> int:
    """Characters but white space (counted in C: a split of the whole page costs a tenth of a pass)."""
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t") - text.count("\r")


def _chrome_marks(names: str) -> bool:
    return any(_CHROME_MARKS(name) for name in names.split() if not name.startswith(("has-", "with-", "no-", "is-")))


def _in_chrome(element: HtmlElement, judged: dict[HtmlElement, tuple[HtmlElement | None, int]]
               ) -> tuple[HtmlElement | None, int]:
    """The chrome block the element sits in (None: none), and the number of its <article> (0: none)."""
    path = []
    block, article = None, 0
    node: HtmlElement | None = element
    while node is not None:
        if node in judged:
            block, article = judged[node]
            break
        path.append(node)
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag == "article":
            article = len(judged) + 1  # any number that is this article's own
            break
        if tag in _STORY_TAGS or node.get("itemprop") == "articleBody":
            break
        if tag in _CHROME_TAGS or _chrome_marks(f"{node.get('class') or ''} {node.get('id') or ''}"):
            block = node
            break
        node = node.getparent()
    for seen in path:
        judged[seen] = (block, article)
    return block, article


@dataclass
class Candidate:
    """One pass's text, as paragraphs, with where its words sit on the page."""

    name: str
    paragraphs: list[str]
    words: int = 0
    story: int = 0  # words in paragraphs that are story <p> of the page
    chrome: int = 0  # words in paragraphs that are chrome <p> of the page
    copies: list[str] = field(default_factory=list)  # paragraphs the pass stated twice, left out

    @classmethod
    def of(cls, name: str, text: str, page: PageParagraphs) -> Candidate:
        kept, copies = unique_paragraphs(text, page.repeats())
        candidate = cls(name, kept, copies=copies)
        for paragraph in candidate.paragraphs:
            words = len(paragraph.split())
            candidate.words += words
            place = page.place(paragraph)
            if place is True:
                candidate.chrome += words
            elif place is False:
                candidate.story += words
        return candidate

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def coverage(self, page: PageParagraphs) -> float:
        """The share of the page's story words it holds; on a page of several <article>s, of the one holding
        most of its words when that is the page's largest (the other posts of a list are not this story's)."""
        if page.listing:
            inside: Counter = Counter()  # the words of each <article> (a paragraph's key made once, not per word)
            for paragraph in self.paragraphs:
                if words := len(paragraph.split()):
                    inside[page.article.get(_key(paragraph), 0)] += words
            inside.pop(0, None)
            article = inside.most_common(1)[0][0] if inside else 0
            if article and page.story_by_article[article] >= max(page.story_by_article.values()):
                return sum(len(p.split()) for p in self.paragraphs if page.article.get(_key(p)) == article
                           and page.place(p) is False) / max(1, page.story_by_article[article])
        return self.story / page.story_words if page.story_words else 1.0

    def is_chrome(self) -> bool:
        """Half its words or more sit in footers, promos, menus: not the story."""
        return self.chrome > 0 and self.chrome >= CHROME_SHARE * self.words

    def held_by(self, other: Candidate) -> float:
        """The share of this candidate's words that the other holds too."""
        if not self.words:
            return 1.0
        theirs = {_key(p) for p in other.paragraphs}
        return sum(len(p.split()) for p in self.paragraphs if _key(p) in theirs) / self.words


def has_story_paragraphs(page: PageParagraphs) -> bool:
    return page.story_words >= THIN_MIN_STORY_WORDS


def looks_thin(candidate: Candidate, page: PageParagraphs) -> bool:
    """Less than half the page's story paragraphs; on a page whose story is not in <p> (or is short), less than
    ``PAGE_SHARE`` of all the page's text."""
    if has_story_paragraphs(page):
        return candidate.coverage(page) < THIN_COVERAGE
    return _visible_chars(candidate.text) < PAGE_SHARE * page.text_chars


def confirmed(candidate: Candidate, page: PageParagraphs) -> bool:
    """The page backs the candidate: it has words, they are not chrome, and they are not thin beside the page."""
    return candidate.words > 0 and not candidate.is_chrome() and not looks_thin(candidate, page)


def _size(candidate: Candidate, page: PageParagraphs) -> int:
    return candidate.story if has_story_paragraphs(page) else candidate.words


def unique_paragraphs(text: str, stated: Counter | None = None) -> tuple[list[str], list[str]]:
    """The text's paragraphs without copies, and the copies left out. A copy is a paragraph stated before
    that is as long as a story paragraph (``COPY_MIN_WORDS``), more times than the page's own ``<p>`` state it
    (``stated``, by the paragraph's opening): a teaser a pass returns three times from one ``<p>`` is kept once,
    the same meal a meal plan lists on three days stays three times. Shorter lines a page repeats on purpose
    stay where they are: the question put to each guest of an interview, a table's header row, "Eat every
    2-3 hours" in each day of a meal plan."""
    kept, copies, seen = [], [], Counter()
    for line in text.split("\n"):
        paragraph = line.strip()
        if not paragraph:
            continue
        folded = squeeze(paragraph).casefold()
        if seen[folded] and not folded.startswith("|") and _words(folded) >= COPY_MIN_WORDS \
                and seen[folded] >= (stated or {}).get(folded[:KEY_CHARS], 1):
            copies.append(paragraph)
            continue
        seen[folded] += 1
        kept.append(paragraph)
    return kept, copies


def _words(text: str) -> int:
    """Words with a letter or digit in them (a table row's pipes are not words)."""
    return sum(1 for word in text.split() if any(c.isalnum() for c in word))


@dataclass
class Choice:
    text: str
    decision: str  # a key of DECISIONS
    passes: tuple[str, ...]  # the passes that ran
    copies: list[str] = field(default_factory=list)  # paragraphs of the chosen pass stated twice, left out


def choose(page: PageParagraphs, fast: Callable[[], str], thorough: Callable[[], str],
           default: Callable[[], str]) -> Choice:
    """The story among trafilatura's passes (each a callable that runs it: only the ones needed run)."""
    first = Candidate.of("fast", fast(), page)
    if confirmed(first, page):
        return Choice(first.text, "fast", ("fast",), first.copies)
    second = Candidate.of("thorough", thorough(), page)
    passes: tuple[str, ...] = ("fast", "thorough")
    best, decision = first, "fast-kept"
    if second.words and not second.is_chrome():
        if first.held_by(second) >= AGREE_SHARE and _size(second, page) >= MORE_WORDS * max(1, _size(first, page)):
            best, decision = second, "thorough-superset"
        elif not first.words or first.is_chrome() or _size(second, page) >= OTHER_PLACE_GAIN * _size(first, page) and (
                not has_story_paragraphs(page) or confirmed(second, page)):
            best, decision = second, "thorough-other-place"
    if confirmed(best, page):
        return Choice(best.text, decision, passes, best.copies)
    if best.words and not best.is_chrome() and page.story_words and best.coverage(page) >= THIN_COVERAGE:
        # a short story, all its paragraphs held (a paywall's teaser): what else the default mode finds is not story
        return Choice(best.text, "short-story-held", passes, best.copies)
    third = _without_chrome(Candidate.of("default", default(), page), page)
    passes += ("default",)
    if third.words and confirmed(third, page) and _story_part(best, page).held_by(third) >= AGREE_SHARE \
            and _size(third, page) >= FALLBACK_GAIN * max(1, _size(best, page)):
        return Choice(third.text, "default-story", passes, third.copies)
    if not best.words:
        return Choice(third.text, "default-story" if third.words else "empty", passes, third.copies)
    mine = {_key(p) for p in best.paragraphs}
    extra = [p for p in third.paragraphs if _key(p) not in mine and _story_or_prose(p, page)]
    if sum(len(p.split()) for p in extra) >= ADDS_MIN_WORDS:
        return Choice("\n".join(_in_page_order(best.paragraphs, extra, page)), "default-adds", passes, best.copies)
    return Choice(best.text, "precision-kept", passes, best.copies)


def _story_or_prose(paragraph: str, page: PageParagraphs) -> bool:
    """A story ``<p>`` of the page, or, outside ``<p>``, a sentence (``PROSE_MIN_WORDS`` words, an ending):
    not a menu's or a link list's entries, which the default mode also brings."""
    place = page.place(paragraph)
    return place is False or place is None and len(paragraph.split()) >= PROSE_MIN_WORDS \
        and _PROSE_END.search(paragraph) is not None


def _in_page_order(first: list[str], second: list[str], page: PageParagraphs) -> list[str]:
    """Two passes' paragraphs merged in the order the page has them (a paragraph not found on the page
    follows the one before it in its own pass)."""
    def placed(paragraphs: list[str], rank: int) -> list[tuple[int, int, int, str]]:
        where, out = -1, []
        for n, paragraph in enumerate(paragraphs):
            where = page.position.get(_key(paragraph), where)
            out.append((where, rank, n, paragraph))
        return out
    return [paragraph for *_, paragraph in sorted(placed(first, 0) + placed(second, 1))]


def _story_part(candidate: Candidate, page: PageParagraphs) -> Candidate:
    kept = [p for p in candidate.paragraphs if page.place(p) is not True]
    return Candidate(candidate.name, kept, sum(len(p.split()) for p in kept), candidate.story, 0, candidate.copies)


def _without_chrome(candidate: Candidate, page: PageParagraphs) -> Candidate:
    kept = [p for p in candidate.paragraphs if page.place(p) is not True]
    return Candidate(candidate.name, kept, sum(len(p.split()) for p in kept), candidate.story, 0, candidate.copies)
