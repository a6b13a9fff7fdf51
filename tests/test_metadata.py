"""The page's own statements: the lead paragraph its description repeats, and the author search."""

import gzip

import pytest
from trafilatura.utils import load_html

from corpus.extract.metadata import find_author, find_lead
from corpus.extract.page import extract
from corpus.inputs.files import read_file
from tests.conftest import SEEDS, STORY, write

LEAD = "Volunteers in the valley towns spent the weekend sandbagging the river banks before the flood crest."
CHROME = ["Menu", "Sign in"]


def _page(lead_markup: str, description: str = LEAD) -> str:
    body = "".join(f"<p>{sentence}</p>" for sentence in STORY)
    return (f'<html><head><title>River flood</title><meta name="description" content="{description}"></head><body>'
            f'<nav>{" ".join(CHROME)}</nav>{lead_markup}<article><h1>River flood</h1>{body}</article>'
            f"<footer>All rights reserved.</footer></body></html>")


def test_a_lead_marked_as_intro_is_found_and_put_before_the_story(tmp_path):
    html = _page(f'<div class="article-intro teaser"><p>{LEAD}</p></div>')
    assert find_lead(load_html(html), LEAD, html) == LEAD
    doc = extract(read_file(write(tmp_path / "p.html", html), tmp_path))
    assert doc.text.startswith(LEAD)
    assert all(sentence in doc.text for sentence in STORY)
    assert doc.text.count("sandbagging") == 1


def test_a_description_that_the_body_never_shows_adds_nothing():
    html = _page("<div></div>")
    assert find_lead(load_html(html), LEAD, html) is None


def test_a_dek_in_the_header_or_a_menu_is_not_a_lead():
    for markup in (f"<header><h2>{LEAD}</h2></header>", f"<nav><p>{LEAD}</p></nav>", f"<aside><p>{LEAD}</p></aside>"):
        html = _page(markup)
        assert find_lead(load_html(html), LEAD, html) is None, markup


def test_a_short_description_or_a_much_longer_block_is_not_a_lead():
    html = _page(f"<div><p>{LEAD}</p></div>", description="River flood news")
    assert find_lead(load_html(html), "River flood news", html) is None
    long_block = LEAD + " " + " ".join(STORY)
    html = _page(f'<div class="intro">{long_block}</div>')
    assert find_lead(load_html(html), LEAD, html) is None


def test_a_lead_already_in_the_text_is_not_repeated(tmp_path):
    html = _page("").replace("<article><h1>River flood</h1>", f"<article><h1>River flood</h1><p>{LEAD}</p>")
    doc = extract(read_file(write(tmp_path / "p.html", html), tmp_path))
    assert doc.text.count("sandbagging") == 1


def test_author_search_gives_trafilaturas_answers_on_real_pages():
    """find_author is trafilatura's extract_author, written without EXSLT regular expressions."""
    from trafilatura.metadata import extract_author

    pages = sorted((SEEDS.parent / "bench" / "snippets" / "html").glob("*.html.gz"))[::15]  # 59 pages, all kinds
    if not pages:
        pytest.skip("../shared/bench/snippets is not beside the project")
    found = 0
    for page in pages:
        with gzip.open(page, "rt", encoding="utf-8", errors="replace") as handle:
            tree = load_html(handle.read())
        if tree is None:
            continue
        theirs = extract_author(tree)
        assert find_author(tree) == theirs, page.name
        found += theirs is not None
    assert found >= 5, "too few pages with an author to compare on"


def test_author_search_skips_comments_dates_and_figures():
    html = ('<html><body><div class="comments"><span class="author">Commenter Name</span></div>'
            '<figure><span class="author">Photo Person</span></figure>'
            '<p class="byline">Anna Schmidt</p></body></html>')
    assert find_author(load_html(html)) == "Anna Schmidt"
