"""Stage 2a: turn raw bytes into a Document with text and metadata.

HTML goes through trafilatura with the settings that score best on real news
pages (no comments, precision mode; see ``make eval``). Plain text was already
scraped: it is only decoded and given a title when its first line is a headline.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache

from lxml.html import HtmlElement

from corpus.document import Document, Removal
from corpus.extract.choice import COPY_RULE, Choice, PageParagraphs, choose, page_paragraphs
from corpus.extract.headline import headline
from corpus.extract.metadata import clean_author, find_author, find_lead, page_metadata, squeeze, strip_site_name
from corpus.inputs.files import RawInput, decode_text, has_bom_or_utf16
from corpus.text import SentenceEnd, joined_lines, without_invisible

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SPACES = re.compile(r"[ \t\f\v]{2,}|[\t\f\v]")  # only what changes: a lone space stays as it is
_DOUBLE_SPACES = re.compile(" {2,}")
_SENTENCE_END = SentenceEnd(".!?…;,:", "\"'”’»)]")
HEADLINE_MAX_CHARS = 200  # longer first lines are paragraphs, not headlines
HEADLINE_MIN_WORDS = 3
SLIM_ABOVE_CHARS = 2 * 1024 * 1024  # a page larger than this also loses its inline data: payloads
LEAD_SAME_CHARS = 60  # a lead whose first 60 characters are in the text is in the text already
MAX_MARKUP_CHARS = 8 * 1024 * 1024  # then more than this is too much to parse: lxml takes ~40 bytes per byte
_HEAVY_OPENING = re.compile(r"<(script|style|svg)\b[^>]*>|<!--", re.I)
_HEAVY_CLOSING = {tag: re.compile(rf"</{tag}\b[^>]*>", re.I) for tag in ("script", "style", "svg")}
_COMMENT_CLOSING = re.compile("-->")
_INLINE_DATA = re.compile(r"data:[^\"'\s)>]{256,}")


@lru_cache(maxsize=1)
def trafilatura_version() -> str:
    import trafilatura

    return trafilatura.__version__


def decode_html(data: bytes) -> str:
    """A BOM first, then the declared charset (pages usually say it), then the text decoder's guesses."""
    if has_bom_or_utf16(data):
        return decode_text(data)
    match = _META_CHARSET.search(data[:4096])
    if match:
        try:
            return data.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    return decode_text(data)


def normalise_whitespace(text: str) -> str:
    """One paragraph per line, no trailing blanks, NFC; blank lines between paragraphs kept."""
    text = unicodedata.normalize("NFC", without_invisible(text.replace("\r\n", "\n").replace("\r", "\n")))
    text = _single_spaced(text.replace("\u00a0", " ").replace("\ufeff", "").replace("\x00", ""))
    return joined_lines([line.strip() for line in text.split("\n")])


def _single_spaced(text: str) -> str:
    """``_SPACES`` replaced by one space. A pattern tried at every character cost 200 µs on a 5 KB text; most
    texts have no tab, form feed or vertical tab (a substring search each), and runs of spaces alone are
    found by a pattern that opens with a literal."""
    if "\t" in text or "\f" in text or "\v" in text:
        return _SPACES.sub(" ", text)
    return _DOUBLE_SPACES.sub(" ", text) if "  " in text else text


_NAV_SEPARATORS = re.compile(r"\s[|>»›/·•]\s")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
CJK_HEADLINE_MIN_CHARS = 6  # Chinese, Japanese and Korean headlines have no spaces to count words by


def looks_like_headline(line: str) -> bool:
    """A first line that is a headline: short, several words (or CJK characters), no sentence ending,
    and not a navigation trail ("Home | World | Asia")."""
    words = len(line.split())
    if _CJK.search(line):
        words = max(words, len(_CJK.findall(line)) // (CJK_HEADLINE_MIN_CHARS // HEADLINE_MIN_WORDS))
    return (
        len(line) <= HEADLINE_MAX_CHARS
        and words >= HEADLINE_MIN_WORDS
        and not _SENTENCE_END.search(line)
        and not line.endswith(("。", "！", "？"))
        and len(_NAV_SEPARATORS.findall(line)) < 2
        and not line.startswith(("-", "*", "•", "http"))
    )


def extract_text(raw: RawInput) -> Document:
    text = normalise_whitespace(decode_text(raw.data))
    title = None
    first, _, rest = text.partition("\n")
    if "title" in raw.preset:  # the crawler knows the title: only a copy of it leaves the text
        text = _drop_leading_title(text, raw.preset["title"])
    elif rest.strip() and looks_like_headline(first):
        title, text = first, rest.strip()
    return Document(id=raw.id, source=raw.source, text=text, title=title, extractor="plain-text",
                    extractor_version="")


@lru_cache(maxsize=8)
def _options(favor_precision: bool, fast: bool):  # noqa: ANN202 - trafilatura's Extractor
    """The settings bare_extraction would build from its keyword arguments on every call (reading its
    configuration each time), built once; the first call also makes trafilatura's XPaths cheaper
    (:mod:`corpus.extract.xpath_guards`)."""
    from trafilatura.settings import Extractor

    from corpus.extract.xpath_guards import guard_trafilatura_xpaths

    guard_trafilatura_xpaths()  # same selections, fewer calls into Python
    return Extractor(output_format="python", fast=fast, precision=favor_precision, comments=False,
                     with_metadata=False)


def _trafilatura(html: str | HtmlElement, favor_precision: bool = False, fast: bool = False,
                 owned: bool = False):  # noqa: ANN202
    """trafilatura's Document for the page: no comments, no metadata (:mod:`corpus.extract.metadata` finds it).

    ``owned``: the caller hands over a tree it never reads again, for the fast precision pass, which then
    works on it in place (:func:`_in_place`) instead of on three copies of it."""
    import trafilatura

    if not (owned and fast and favor_precision and _in_place()):
        return trafilatura.bare_extraction(html, options=_options(favor_precision, fast))
    _OWNED.tree = True
    try:
        return trafilatura.bare_extraction(html, options=_options(favor_precision, fast))
    finally:
        _OWNED.tree = False


_OWNED = threading.local()  # per thread: a library user may extract in threads


@lru_cache(maxsize=1)
def _in_place() -> bool:
    """trafilatura copies the tree it is given three times (``trafilatura.core``'s ``copy``): one copy to
    keep the caller's tree intact, one kept as it was before cleaning, one before converting tags. The
    fast precision pass without comments reads none of the originals again (no comparison with other
    extractors, no baseline rescue, no recall retry), so on a tree the caller owns (``_OWNED``) the copies
    are the tree itself: about a tenth of an HTML page's extraction time, the same text
    (``tests/test_extract.py`` compares on real pages). False: this trafilatura has no such ``copy``."""
    import trafilatura.core as core

    copy = getattr(core, "copy", None)
    if not callable(copy):
        return False

    def copy_unless_owned(item):  # noqa: ANN001, ANN202 - anything trafilatura copies
        return item if getattr(_OWNED, "tree", False) and isinstance(item, HtmlElement) else copy(item)

    core.copy = copy_unless_owned
    return True


class PageTooLarge(Exception):
    """More markup than a worker should parse (memory grows ~40x the markup in lxml)."""


def strip_heavy(html: str) -> str:
    """The markup without what holds no story and that trafilatura throws away after parsing:
    scripts (JSON kept: JSON-LD and page data hold dates and authors), styles, comments and inline SVG. A typical news
    page is half scripts; every later step (parsing, trafilatura's pruning) then has less to walk.
    An element that is never closed is left as it is."""
    kept, start, pos = [], 0, 0
    while match := _HEAVY_OPENING.search(html, pos):
        tag = (match.group(1) or "").lower()
        if tag == "script" and "json" in match.group(0).lower():  # JSON-LD and page data: dates, authors
            pos = match.end()
            continue
        closing = (_HEAVY_CLOSING[tag] if tag else _COMMENT_CLOSING).search(html, match.end())
        if closing is None:
            break
        kept.append(html[start:match.start()])
        start = pos = closing.end()
    kept.append(html[start:])
    return "".join(kept)


def slim_markup(html: str) -> str:
    """The page without scripts, styles, comments and inline SVG (:func:`strip_heavy`); a very large
    page (over ``SLIM_ABOVE_CHARS``) also loses its inline ``data:`` payloads."""
    html = strip_heavy(html)
    if len(html) > SLIM_ABOVE_CHARS:
        html = _INLINE_DATA.sub("data:,", html)
    if len(html) > MAX_MARKUP_CHARS:
        raise PageTooLarge(f"{len(html)} characters of markup (after scripts, styles and inline data) is over "
                           f"the {MAX_MARKUP_CHARS} a page may have to be parsed")
    return html


@lru_cache(maxsize=1)
def _parser():  # noqa: ANN202 - an lxml HTMLParser
    """trafilatura's HTML parser settings, with every element of lxml's plain ``HtmlElement`` class
    chosen in C: lxml.html's own class lookup is a Python call for every element Python touches
    (trafilatura touches most of them several times), about 5% of the time of an HTML page."""
    from lxml import etree
    from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction

    parser = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                        remove_pis=True)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))
    return parser


def load_page(html: str) -> HtmlElement | None:
    """trafilatura's ``load_html`` for a decoded page, with :func:`_parser`: repair, parse the text
    (the bytes when that fails), and no tree for a dubious page that parses into almost nothing."""
    from lxml.html import fromstring
    from trafilatura.utils import is_dubious_html

    from corpus.extract.repair import repair_markup  # imports trafilatura: not at start-up

    beginning = html[:50].lower()
    html = repair_markup(html, beginning)
    tree = None
    with suppress(Exception):  # ValueError: a str with an encoding declaration
        tree = fromstring(html, parser=_parser())
    if tree is None or len(tree) < 1:
        with suppress(Exception):
            tree = fromstring(html.encode("utf8", "surrogatepass"), parser=_parser())
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


KEPT_FOR_TRAFILATURA = frozenset({"form", "head", "math", "figure", "aside", "nav"})
"""Tags of trafilatura's MANUALLY_CLEANED that stay until it deletes them itself: a form holding most
of a page's text becomes its body; the head holds JSON-LD; formulas are recovered from math; and the
text of figures, asides and navigation counts in its guards against pruning too much (deleting them
early changed the text of 4 of 1,064 real pages)."""


@lru_cache(maxsize=1)
def _deleted_anyway() -> tuple[str, ...]:
    from trafilatura.settings import MANUALLY_CLEANED

    return tuple(tag for tag in MANUALLY_CLEANED if tag not in KEPT_FOR_TRAFILATURA)


@lru_cache(maxsize=1)
def _stripped_anyway() -> tuple[str, ...]:
    """Tags trafilatura unwraps (their text stays): images, fonts, small, tbody, ... (not template)."""
    from trafilatura.settings import MANUALLY_STRIPPED

    return tuple(tag for tag in MANUALLY_STRIPPED if tag != "template")


def drop_deleted_anyway(tree: HtmlElement) -> HtmlElement:
    """The tree without what trafilatura deletes after its expensive pruning pass (footers, iframes,
    buttons, menus, form fields, ...), and with the tags it unwraps there unwrapped (images, fonts,
    ...): that pass and its three copies of the tree then have fewer nodes to walk, a fifth of its
    time on news pages, and the text is the same (``tests/test_extract.py`` compares on real pages;
    1,364 pages gave the same text, title, author and date). Tails stay, as trafilatura keeps them."""
    from lxml.etree import strip_tags
    from trafilatura.xml import delete_element

    for element in list(tree.iter(*_deleted_anyway())):
        if element.getparent() is not None:
            delete_element(element)
    strip_tags(tree, *_stripped_anyway())
    return tree


def choose_story(html: str, tree: HtmlElement, page: PageParagraphs) -> Choice:
    """The story among trafilatura's passes over the page (:func:`corpus.extract.choice.choose`): the fast
    pass on ``tree`` (which it prunes), the others on fresh parses of ``html`` only when they are needed."""
    def run(**options: bool) -> Callable[[], str]:
        def once() -> str:
            result = _trafilatura(load_page(html), **options)
            return result.text or "" if result is not None else ""
        return once

    def fast() -> str:
        result = _trafilatura(drop_deleted_anyway(tree), favor_precision=True, fast=True, owned=True)
        return result.text or "" if result is not None else ""

    return choose(page, fast, run(favor_precision=True), run())


def extract_html(raw: RawInput) -> Document:
    html = slim_markup(decode_html(raw.data))
    doc = Document(id=raw.id, source=raw.source, extractor="trafilatura",
                   extractor_version=trafilatura_version())
    tree = load_page(html)
    if tree is None:
        return doc
    found = page_metadata(tree)
    page = page_paragraphs(tree)  # before trafilatura prunes the tree in place
    lead = find_lead(tree, found.pop("description"), html)  # before trafilatura prunes the tree in place
    searched, byline = "byline" in found, found.pop("byline", None)
    for key, value in found.items():
        setattr(doc, key, value)
    title, why = headline(tree, doc.title, doc.sitename, html)
    doc.title = title if why == "h1-supported" else strip_site_name(doc.title, doc.sitename, doc.url)
    stated = doc.author
    doc.author = clean_author(stated, doc.sitename, doc.url)
    if stated and doc.author is None:  # the page stated a site, a label or a desk: its byline may name a person
        doc.author = clean_author(byline if searched else find_author(tree), doc.sitename, doc.url)
    # trafilatura's fast pass first; the thorough pass and the default mode only when the fast pass
    # does not look like the story beside the page's own paragraphs (corpus.extract.choice).
    choice = choose_story(html, tree, page)
    if choice.text:
        doc.text = _drop_leading_title(normalise_whitespace(choice.text), doc.title)
        doc.text, copies = _drop_title_copy(doc.text, doc.title)
        doc.removed.extend(Removal(COPY_RULE, copy) for copy in copies)
    doc.removed.extend(Removal(COPY_RULE, copy) for copy in choice.copies)
    if lead and doc.text and squeeze(lead)[:LEAD_SAME_CHARS] not in squeeze(doc.text) \
            and squeeze(lead) != squeeze(doc.title or ""):
        doc.text = f"{lead}\n\n{doc.text}"
    return doc


def _drop_leading_title(text: str, title: str | None) -> str:
    """The headline lives in ``title``; a copy of it opening the text is not story text."""
    first, _, rest = text.partition("\n")
    if title and rest.strip() and first.strip().casefold() == title.strip().casefold():
        return rest.strip()
    return text


TITLE_COPY_LINES = 4  # a copy of the headline among the text's first four lines (after a kicker, a place)


def _drop_title_copy(text: str, title: str | None) -> tuple[str, list[str]]:
    """The headline lives in ``title``: a copy of it among the text's opening lines (after a kicker such as
    "Santa Cruz") is a paragraph stated twice in the record, and goes (named in provenance)."""
    if not title:
        return text, []
    lines = text.split("\n")
    folded = squeeze(title).casefold()
    for i, line in enumerate(lines[:TITLE_COPY_LINES]):
        if line.strip() and squeeze(line).casefold() == folded and len(lines) > i + 1:
            return "\n".join(lines[:i] + lines[i + 1:]).strip(), [line]
    return text, []


def extract(raw: RawInput) -> Document:
    """The extractor stage for one input: dispatch on the sniffed kind, then what the input states."""
    doc = extract_html(raw) if raw.kind == "html" else extract_text(raw)
    for key, value in raw.preset.items():
        setattr(doc, key, value)
    for key, value in raw.fallback.items():
        if not getattr(doc, key):
            setattr(doc, key, value)
    doc.meta = raw.meta
    doc.source_id = raw.source_id
    if raw.preset.get("title"):
        doc.text = _drop_leading_title(doc.text, doc.title)
    doc.text = without_invisible(doc.text)  # before the rules and the signature (corpus.text)
    if doc.title:
        doc.title = without_invisible(doc.title)
    return doc
