"""Stage 2a, the title: the page's own headline (its ``<h1>``) weighed against what it states about itself.

A page names its story several times: the ``<title>`` (often with the site or section around it),
Open Graph and Twitter titles, the JSON-LD ``headline``, and the ``<h1>`` the reader sees. The
structured ones are sometimes wrong for the story: a social-media teaser instead of the headline
("Schudł 125 kilogramów!" beside the h1 "Angus Barbieri. Nie jadł przez 382 dni"), a section
("Pétition : ...", "Receita de ..."), a sponsor's headline, a template's placeholder ("escenic").
The h1 alone is sometimes wrong too: a page has h1s for its logo, its menu, its section.

So an h1 is taken as the title when another statement of the page supports it: it is equal to
one of them (punctuation, case and spacing aside), or one holds the other. An h1 nothing else
states is not taken (a menu's "Quicklinks"), and among supported h1s the best supported wins
(equal counts twice, held once), then the longer.
"""

from __future__ import annotations

import re
import unicodedata

from lxml.etree import XPath
from lxml.html import HtmlElement

H1_MIN_CHARS = 8  # "News", "Menu": shorter h1s are sections, not headlines
H1_MAX_CHARS = 300
HELD_MIN_SHARE = 0.3  # an h1 held by a longer statement must be 30% of it at least ("News" in "News - Eawag" is not)
_SKIPPED_INSIDE_H1 = ("rt", "rp", "script", "style", "noscript", "button", "svg")  # ruby readings, widgets
SUPPORT = {  # where the page states its title, besides the JSON-LD headline
    "title": "the head's <title>",
    "og:title": "<meta property='og:title' content=...>",
    "twitter:title": "<meta name='twitter:title' content=...> (or property=)",
    "headline": "the text of any element with itemprop='headline'",
}
_META_KIND = {("property", "og:title"): "og:title", ("name", "twitter:title"): "twitter:title",
              ("property", "twitter:title"): "twitter:title"}
_HEADLINE_PROP = XPath("//*[@itemprop='headline']")
_PROP_BEFORE = re.compile(r"""itemprop\s*=\s*["']?$""", re.I)
PROP_LOOKBACK = 40


def may_have_headline_prop(html: str) -> bool:
    """Whether the markup may say itemprop="headline": a page that never does skips a walk over all its
    elements for it (each "headline" of the markup, JSON-LD's too, is looked behind: a search of the whole
    markup without case took longer than the walk)."""
    at = html.find("headline")
    while at >= 0:
        if _PROP_BEFORE.search(html, max(0, at - PROP_LOOKBACK), at):
            return True
        at = html.find("headline", at + 1)
    return False
_JSON_HEADLINE = re.compile(r'"headline"\s*:\s*"((?:[^"\\]|\\.){1,400})"')


def folded(text: str | None) -> str:
    """Letters and digits only, casefolded, accents kept apart (é = e + ´, then the mark dropped)."""
    text = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in text if c.isalnum())


def squeeze(text: str) -> str:
    return " ".join(text.split())


def h1_texts(tree: HtmlElement) -> list[str]:
    """The text of each ``<h1>`` of the body, without ruby readings and widgets inside it."""
    from lxml.etree import strip_elements

    found = []
    for h1 in tree.iter("h1"):  # by tag, in C (".//body//h1" took a walk in Python's ElementPath)
        if not any(a.tag == "body" for a in h1.iterancestors()):
            continue
        if next(h1.iter(*_SKIPPED_INSIDE_H1), None) is not None:
            h1 = _copy(h1)
            strip_elements(h1, *_SKIPPED_INSIDE_H1, with_tail=False)
        text = squeeze(h1.text_content())
        if H1_MIN_CHARS <= len(text) <= H1_MAX_CHARS:
            found.append(text)
    return found


def _copy(element: HtmlElement) -> HtmlElement:
    from copy import deepcopy

    copied = deepcopy(element)
    copied.tail = None
    return copied


def statements(tree: HtmlElement, title: str | None, html: str | None = None) -> list[str]:
    """What the page says its title is, besides the h1s: the title found so far and the tags of ``SUPPORT``
    (``html``, the page's markup, lets a page without an itemprop headline skip a walk over the page)."""
    import json

    said = [title] if title else []
    found: dict[str, list[HtmlElement]] = {kind: [] for kind in SUPPORT}
    for element in tree.iter("title", "meta", "script"):  # by tag, in C: no walk over the page in Python
        if element.tag == "meta":
            for (attribute, value), kind in _META_KIND.items():
                if element.get(attribute) == value:
                    found[kind].append(element)
                    break
        elif element.tag == "title":
            if (parent := element.getparent()) is not None and parent.tag == "head":
                found["title"].append(element)
        elif element.get("type") == "application/ld+json":
            found.setdefault("json", []).append(element)
    if html is None or may_have_headline_prop(html):
        found["headline"] = _HEADLINE_PROP(tree)
    for kind in SUPPORT:
        for element in found[kind][:2]:  # the first two of each
            said.append(element.get("content") if kind in _META_KIND.values() else element.text_content())
    for script in found.get("json", []):
        for match in _JSON_HEADLINE.finditer(script.text or ""):
            try:
                said.append(json.loads(f'"{match.group(1)}"'))
            except ValueError:
                said.append(match.group(1))
    return [squeeze(s) for s in said if s and s.strip()]


def support(h1: str, said: list[str]) -> int:
    """How well the page's other statements back an h1: 2 for each equal, 1 for each that holds it or it holds."""
    mine = folded(h1)
    score = 0
    for statement in said:
        theirs = folded(statement)
        if not theirs or not mine:
            continue
        if theirs == mine:
            score += 2
        elif (mine in theirs and len(mine) >= HELD_MIN_SHARE * len(theirs)) or theirs in mine:
            score += 1
    return score


def headline(tree: HtmlElement, title: str | None, sitename: str | None = None,
             html: str | None = None) -> tuple[str | None, str]:
    """The title to keep and why: ("h1-supported") the best supported h1, else ("stated") the title found.
    An h1 that is the site's name (a logo) is not a headline."""
    said = statements(tree, title, html)
    best, best_score = None, 0
    site = folded(sitename)
    for h1 in h1_texts(tree):
        if site and folded(h1) == site:
            continue
        score = support(h1, said)
        if score > best_score or (score == best_score and score and best is not None and len(h1) > len(best)):
            best, best_score = h1, score
    if best is None:
        return title, "stated"
    if title and folded(title) == folded(best):
        return title, "stated"
    return best, "h1-supported"
