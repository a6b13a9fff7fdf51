"""Stage 2a, the page's own statements: title, author, date, url, site name, and its summary.

Metadata is found the way trafilatura finds it (``extract_metadata``), less what newsclean does
not use (categories, tags, licence: a fifth of its cost) and with a faster author search:
trafilatura's author XPath rules as plain Python tests on one walk over the page, and the
discarded sections skipped instead of pruned from a deep copy of it (8.3 → 3.6 ms on the pages
that need it). ``tests/test_extract.py`` and ``tests/test_metadata.py`` check the answers against
trafilatura's own on real pages.

It also finds the page's lead paragraph (:func:`find_lead`): trafilatura drops a story's first
paragraph when the page marks it as a teaser or intro, but the page states it twice, as the meta
description and as a paragraph of the article.
"""

from __future__ import annotations

import json
import re
import unicodedata
from contextlib import suppress
from copy import deepcopy

from lxml.etree import XPath
from lxml.html import HtmlElement

# Dates only from what the page states: no guessing from copyright years, and no
# dependence on today's date, so that a rerun on another day gives the same output.
DATE_PARAMS = {"extensive_search": False, "original_date": True, "max_date": "2100-12-31"}

# trafilatura.xpaths.AUTHOR_XPATHS (three, tried in order) and AUTHOR_DISCARD_XPATHS as plain
# Python tests on one walk over the page (the same regular expressions, the same attributes):
# libxml2 took ~3 µs per element for each expression.
_TAGS_1 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_TAGS_2 = frozenset({"a", "div", "h3", "h4", "p", "span"})
_TAGS_DISCARD = frozenset({"a", "div", "section", "span"})
_CLASS_1 = re.compile("author-?name|AuthorName|authorName").search
_ID_2 = re.compile("author|zuozhe|bianji|xiaobian").search
_CLASS_2 = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name").search
_CLASS_3 = re.compile("[Aa]uthor|screenname|writer|[Bb]yline").search
_ID_DISCARD = re.compile("^comments|comment-?list|ProductReviews").search
_CLASS_DISCARD = re.compile("^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
                            "article-(?:share|support)|print|category|meta-date|meta-reviewer").search


def _author_rule(element: HtmlElement) -> int | None:
    """Which of trafilatura's three author expressions the element matches first (0, 1, 2), if any."""
    tag, get = element.tag, element.get
    klass, ident, itemprop = get("class") or "", get("id") or "", get("itemprop") or ""
    if tag == "author" or tag in _TAGS_1 and (
            get("rel") == "author" or ident == "author" or klass == "author" or itemprop == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL") or _CLASS_1(klass)
            or (len(element) and any(c.tag == "rel" and c.text_content() == "me" for c in element))):
        return 0
    if tag in _TAGS_2 and (klass in ("byline", "username", "byl", "BBL") or "author" in itemprop
                           or _ID_2(ident) or _CLASS_2(klass)):
        return 1
    if ("Byline" in (get("data-component") or "") or "author" in itemprop or "author" in ident or "Author" in ident
            or _CLASS_3(klass)):
        return 2
    return None


def _discarded(element: HtmlElement) -> bool:
    tag = element.tag
    if tag in ("time", "figure"):
        return True
    if tag not in _TAGS_DISCARD:
        return False
    klass, ident = element.get("class") or "", element.get("id") or ""
    return (ident == "comments" or klass in ("comments", "title", "date") or bool(_ID_DISCARD(ident))
            or bool(_CLASS_DISCARD(klass)) or "Figure" in (element.get("data-component") or ""))


AUTHOR_MAX_CHARS = 120
_MAY_MATTER = re.compile(
    "uthor|yl|BBL|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name|username|screenname"
    "|writer|omment|sidebar|is-hidden|quote|embedly-instagram|article-s|print|category|meta-|title|date|ProductReviews"
).search
"""Every piece of a class or id that :func:`_author_rule` or :func:`_discarded` can say yes to."""
_SPECIAL_TAGS = frozenset({"author", "time", "figure"})
_SIGNAL_ATTRIBUTES = frozenset({"itemprop", "rel", "data-testid", "data-component"})


def _may_matter(element: HtmlElement, rel_parents: set[HtmlElement]) -> bool:
    """Whether the two tests can say yes at all: most of a page fails it at once (the tests themselves
    cost ~3 µs an element, on ~650 elements a page). ``rel_parents``: the elements with a ``<rel>`` child
    (found once per page, in C: a search of every element's children cost a third of the walk)."""
    if element.tag in _SPECIAL_TAGS:
        return True
    names = element.keys()
    if names:
        if not _SIGNAL_ATTRIBUTES.isdisjoint(names):
            return True
        klass, ident = element.get("class"), element.get("id")
        if (klass and _MAY_MATTER(klass)) or (ident and _MAY_MATTER(ident)):  # no piece holds a space
            return True
    return element in rel_parents


def _text_without(element: HtmlElement, discarded: set[HtmlElement]) -> str:
    """The element's text as trafilatura reads it after pruning: discarded parts out, their tails kept."""
    from trafilatura.xml import delete_element

    if not any(e in discarded for e in element.iterdescendants()):
        return " ".join(element.itertext())
    copied = deepcopy(element)
    doomed = [c for o, c in zip(element.iter(), copied.iter(), strict=True) if o in discarded]
    for node in doomed:
        delete_element(node)
    return " ".join(copied.itertext())


def find_author(tree: HtmlElement) -> str | None:
    """trafilatura's ``extract_author``: the first byline-like element outside comments, dates and figures.

    Its first expression wins over the other two wherever they are on the page, so a usable element
    of the first kind ends the walk at once (its own discarded parts are looked for inside it: the
    ones before it, its ancestors, have been seen); the other two kinds wait for the whole page."""
    from lxml.etree import Element
    from trafilatura.metadata import normalize_authors

    discarded: set[HtmlElement] = set()
    candidates: list[list[HtmlElement]] = [[], []]
    rel_parents = {rel.getparent() for rel in tree.iter("rel")}
    for element in tree.iter(Element):
        if not _may_matter(element, rel_parents):
            continue
        if _discarded(element):
            discarded.add(element)
        rule = _author_rule(element)
        if rule is None or _inside_discarded(element, discarded):
            continue
        if rule > 0:
            candidates[rule - 1].append(element)
            continue
        inside = {e for e in element.iterdescendants(Element) if _may_matter(e, rel_parents) and _discarded(e)}
        if (byline := _byline(element, inside)) is not None:
            return normalize_authors(None, byline)
    for found in candidates:
        for element in found:
            if not _inside_discarded(element, discarded) and (byline := _byline(element, discarded)) is not None:
                return normalize_authors(None, byline)  # None too: the first byline decides, as trafilatura's
    return None


def _inside_discarded(element: HtmlElement, discarded: set[HtmlElement]) -> bool:
    return element in discarded or any(a in discarded for a in element.iterancestors())


def _byline(element: HtmlElement, discarded: set[HtmlElement]) -> str | None:
    """The element's text, when its length is an author's."""
    from trafilatura.utils import trim

    content = trim(_text_without(element, discarded))
    return content if content and 2 < len(content) < AUTHOR_MAX_CHARS else None


_JSON_SCRIPTS = XPath('.//script[@type="application/ld+json" or @type="application/settings+json"]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def _kept_string(match: re.Match) -> str:
    return match.group(1) or ""


def meta_json(tree: HtmlElement, found):  # noqa: ANN001, ANN201 - trafilatura's metadata Document
    """trafilatura's ``extract_meta_json``, the same answers, with its two costly steps in C: the white space
    between JSON tokens removed by a function (its ``\\1`` template is expanded in Python for every match:
    a JSON-LD block has thousands) and lone surrogates removed by a pattern (not character by character)."""
    from html import unescape

    from trafilatura import metadata as meta
    from trafilatura.json_metadata import JSON_UNICODE_REPLACE, extract_json, extract_json_parse_error
    from trafilatura.utils import HTML_STRIP_TAGS, trim

    for element in _JSON_SCRIPTS(tree):
        if not element.text:
            continue
        text = meta.JSON_MINIFY.sub(_kept_string, element.text)
        if "\\" in text:  # trafilatura's normalize_json
            text = text.replace("\\n", "").replace("\\r", "").replace("\\t", "")
            text = _SURROGATE.sub("", JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), text))
            text = unescape(text)
        text = trim(HTML_STRIP_TAGS.sub("", text))
        try:
            found = extract_json(json.loads(text, strict=False), found)
        except json.JSONDecodeError:
            found = extract_json_parse_error(text, found)
    return found


def page_metadata(tree: HtmlElement) -> dict[str, str | None]:
    """Title, author, date, url, site name and description, the way trafilatura finds them; and "byline",
    what :func:`find_author` found when the page's tags stated no author (absent: the search did not run)."""
    from htmldate import find_date
    from trafilatura import metadata as meta

    found = meta.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None
    with suppress(Exception):  # trafilatura's JSON-LD parser has known bugs; then the meta tags stand
        found = meta_json(tree, found)
    found.title = found.title or meta.extract_title(tree)
    searched = {}
    if not found.author:
        found.author = searched["byline"] = find_author(tree)
    found.url = found.url or meta.extract_url(tree)
    found.date = find_date(tree, url=found.url, **DATE_PARAMS)
    found.sitename = (found.sitename or meta.extract_sitename(tree) or "").lstrip("@")
    if found.sitename and "." not in found.sitename and not found.sitename[0].isupper():
        found.sitename = found.sitename.title()
    elif not found.sitename and found.url and (host := meta.META_URL.match(found.url)):
        found.sitename = host[1]
    found.clean_and_trim()
    return {**{key: getattr(found, key) or None
               for key in ("title", "author", "date", "url", "sitename", "description")}, **searched}


# The page's summary as its lead paragraph --------------------------------------------------

LEAD_MIN_WORDS = 8  # a shorter description is a tagline, not a summary of the story
LEAD_PROBE_WORDS = 6  # the lead paragraph must start with the description's first words
LEAD_MAX_RATIO = 1.5  # and be no longer than 1.5x the description: a longer block is a whole section
LEAD_OPENING_WORDS = 3  # looked for in one text node: markup inside a lead's first three words is rare
LEAD_CLIMB = 4  # from the text node that holds the first word, this many parents at most
_NOT_STORY = {"nav", "footer", "aside", "form", "head", "header", "script", "style", "noscript", "template",
              "textarea", "select", "button"}


_BODY_TAG = re.compile(r"<body\b", re.I)


def squeeze(text: str) -> str:
    """White space collapsed: how a lead is compared with the text it may already be in."""
    return " ".join(text.split())


def _body_start(html: str) -> int:
    match = _BODY_TAG.search(html)
    return match.start() if match else 0


def find_lead(tree: HtmlElement, description: str | None, html: str | None = None) -> str | None:
    """The visible paragraph that the meta description repeats, outside headers, menus and footers
    (one in the page's ``<header>``, beside headline and byline, is the dek, not the story's first
    paragraph).

    ``html``, the page's markup, lets a page whose body never states the description's opening
    words skip the search (most pages; it costs a string search)."""
    description = squeeze(description or "")
    words = description.rstrip(".…").split()
    if len(words) < LEAD_MIN_WORDS:
        return None
    opening, probe = " ".join(words[:LEAD_OPENING_WORDS]), " ".join(words[:LEAD_PROBE_WORDS])
    body = tree.find(".//body")
    if body is None or (html is not None and html.find(opening, _body_start(html)) < 0):
        return None
    for node in body.xpath(".//text()[contains(., $opening)]", opening=opening):
        element = node.getparent()
        for _ in range(LEAD_CLIMB):
            if element is None or probe in squeeze(element.text_content()):
                break
            element = element.getparent()
        if element is None or not isinstance(element.tag, str):
            continue
        text = squeeze(element.text_content())
        if not text.startswith(probe) or len(text.split()) > LEAD_MAX_RATIO * len(description.split()):
            continue
        if element.tag in _NOT_STORY or any(a.tag in _NOT_STORY for a in element.iterancestors()):
            continue
        return text
    return None


_TITLE_PARTS = re.compile(r"\s+[|–—-]\s+|\s*\|\s*|\s+::\s+|\s+[»›]\s+")
_AUTHOR_LABEL = re.compile(
    r"^\s*(?:(?:written|posted|published|created|story|report(?:ed)?|photos?)\s+by|by|von|par|por|door|di|da|de|av|af"
    r"|eingestellt\s+von|erstellt\s+von|geschrieben\s+von|publicado\s+por|escrito\s+por|publié\s+par|pubblicato\s+da"
    r"|autor(?:in|ka|a|es)?|auteur|autore|author|szerző|kirjoittaja|text(?:\s*(?:&|und|and)\s*fotos?)?|texto|texte"
    r"|tekst|текст|автор|redakteur(?:in)?|reporter)\s*[:：]?\s+", re.I)
_ORGANISATION = re.compile(r"\b(?:inc|ltd|llc|gmbh|ag|s\.?a|plc|corp(?:oration)?|group|media|média|mídia|news|press"
                           r"|agency"
                           r"|agentur|agencia|redaktion|redacción|redação|redazione|rédaction|redakcja|redaktionen|zespół"
                           r"|team|staff|newsroom|desk|nast|verlag|editorial|publishing|wire|reuters|afp|dpa|ap|online)\b\.?",
                           re.I)
NOT_AUTHORS = {  # what bylines, meta tags and forms state where a name should be, and is no person's name
    "form labels": ("username", "user name", "benutzername", "name", "your name", "ihr name", "nom", "nombre", "nome",
                    "imię", "e-mail", "email", "login", "password", "passwort", "comment", "kommentar"),
    "placeholders": ("no author", "unknown", "anonymous", "anonym", "guest", "gast", "admin", "administrator",
                     "webmaster", "editor", "redaktion", "none", "null", "author"),
}
_NOT_AUTHORS = frozenset(re.sub(r"[\W_]+", "", label) for labels in NOT_AUTHORS.values() for label in labels)
_CREDIT = re.compile(r"^\s*(?:photo|foto|фото|bild|image|imagen|immagine|zdjęcie|quelle|source|fuente|fonte"
                     r"|credit)s?\b",
                     re.I)
"""A photo credit or a source line, not a byline ("Фото из Инстаграма ...", "Foto: dpa")."""
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "januar", "februar",
           "märz", "mai", "juni", "juli", "oktober", "dezember", "janvier", "février", "mars", "avril", "juin",
           "juillet", "août", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto")
_DATE_TOKEN = re.compile(r"^[\d.:/,-]+$|^\d+(?:st|nd|rd|th)?,?$")


def _without_trailing(name: str) -> str:
    """Words caught after a name: a date ("Anna Smith May 3, 2021"), a lowercase word after a capitalised
    name ("Jan Novák před"). A name written all in lowercase keeps its words; a month stays unless a date follows."""
    words = name.split()
    dated = False
    while len(words) > 1 and _DATE_TOKEN.match(words[-1]):
        words.pop()
        dated = True
    if dated and len(words) > 1 and words[-1].casefold().rstrip(".") in _MONTHS:
        words.pop()
    while len(words) > 1 and words[-1][:1].islower() and any(w[:1].isupper() for w in words[:-1]):
        words.pop()
    return " ".join(words)


def _folded(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKD", text.casefold())).replace("\u0301", "")


def _site_names(sitename: str | None, url: str | None) -> set[str]:
    names = {_folded(sitename)} if sitename else set()
    host = re.sub(r"^(?:https?://)?(?:www\d?\.)?", "", url or "").split("/")[0]
    if host:
        names |= {_folded(host), _folded(host.rsplit(".", 1)[0])}
    return {n for n in names if len(n) >= 2}


def strip_site_name(title: str | None, sitename: str | None, url: str | None) -> str | None:
    """"Story - IGN", "Site | Story" → "Story", when the cut part is the page's site name or host."""
    if not title:
        return title
    names = _site_names(sitename, url)
    parts = _TITLE_PARTS.split(title)
    if len(parts) < 2 or not names:
        return title
    kept = list(parts)
    for edge in (-1, 0):
        if len(kept) > 1 and _folded(kept[edge]) in names:
            kept.pop(edge)
    return " - ".join(p.strip() for p in kept if p.strip()) if len(kept) < len(parts) else title


def _is_site(part: str, names: set[str], sitename: str | None, url: str | None) -> bool:
    """The site's name or host, alone or among other words ("Zespół wPolityce.pl"); not a person's name that
    the host's first word happens to be ("Helge Fahrnberger" on helge.at)."""
    if _folded(part) in names:
        return True
    host = re.sub(r"^(?:https?://)?(?:www\d?\.)?", "", url or "").split("/")[0]
    whole = {n for n in (_folded(sitename or ""), _folded(host)) if len(n) >= 4}
    words = [_folded(w) for w in part.split()]
    return any("".join(words[i:j]) in whole for i in range(len(words)) for j in range(i + 1, len(words) + 1))


def clean_author(author: str | None, sitename: str | None = None, url: str | None = None) -> str | None:
    """People, not organisations, labels or dates: "Condé Nast; Molly Wood" → "Molly Wood", "Текст Анна" → "Анна",
    "Auteur: Anna Kubišta" → "Anna Kubišta", "Username" → None, "Jan Novák před" → "Jan Novák"."""
    if not author:
        return author
    names = _site_names(sitename, url)
    people = []
    for part in re.split(r"\s*[;|]\s*|\s*,\s+(?=\S+\s+\S)|\s+(?:und|and|et|y|e|i|og|och)\s+(?=[A-ZÀ-Þ])", author):
        if _CREDIT.match(part):
            continue
        part = _AUTHOR_LABEL.sub("", part).strip(" ,:")
        part = _without_trailing(part).strip(" ,:")
        if not part or not any(c.isalpha() for c in part) or _folded(part) in _NOT_AUTHORS:
            continue
        if not _is_site(part, names, sitename, url) and not _ORGANISATION.search(part):
            people.append(part)
    return "; ".join(dict.fromkeys(people)) or None
