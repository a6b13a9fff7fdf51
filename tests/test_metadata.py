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


# Metadata a user can trust: authors are people, the title is the headline -------------------------------

def test_form_labels_placeholders_credits_and_sites_are_not_authors():
    from corpus.extract.metadata import clean_author

    for stated in ("Username", "Name", "No Author", "Anonymous", "Фото из Инстаграма Лукаша Подольски", "Foto: dpa"):
        assert clean_author(stated) is None, stated
    assert clean_author("Zespół wPolityce.pl", "wPolityce.pl", "https://wpolityce.pl/a") is None
    assert clean_author("Redacción LR; La República", "La República", "https://larepublica.pe/a") is None
    assert clean_author("Prisma Média; Marie Merlet") == "Marie Merlet"


def test_labels_and_trailing_words_leave_the_name():
    from corpus.extract.metadata import clean_author

    assert clean_author("Auteur: Anna Kubišta") == "Anna Kubišta"
    assert clean_author("Text & Fotos: Ivan Valetny") == "Ivan Valetny"
    assert clean_author("Jan Novák před") == "Jan Novák"
    assert clean_author("Anna Smith May 3, 2021") == "Anna Smith"
    assert clean_author("Lars Fischer und Alina Schadwinkel") == "Lars Fischer; Alina Schadwinkel"
    assert clean_author("Theresa May") == "Theresa May"  # a month with no date after it is a name
    assert clean_author("Helge Fahrnberger", "Helge.at", "http://www.helge.at/2014/a") == "Helge Fahrnberger"


def _headline_page(h1s, og=None, title=None, ld=None):
    head = f"<title>{title}</title>" if title else ""
    head += f'<meta property="og:title" content="{og}">' if og else ""
    head += f'<script type="application/ld+json">{{"headline": "{ld}"}}</script>' if ld else ""
    return load_html(f"<html><head>{head}</head><body>{''.join(f'<h1>{h}</h1>' for h in h1s)}<p>x</p></body></html>")


def test_the_h1_that_the_page_backs_is_the_title():
    from corpus.extract.headline import headline

    # a social teaser as og:title, the headline in <title> and h1
    tree = _headline_page(["Angus Barbieri. Nie jadł przez 382 dni"], og="Schudł 125 kilogramów!",
                          title="Angus Barbieri. Nie jadł przez 382 dni - Menway w INTERIA.PL")
    assert headline(tree, "Schudł 125 kilogramów!") == ("Angus Barbieri. Nie jadł przez 382 dni", "h1-supported")
    # a section name around it, a template's placeholder as JSON-LD headline
    tree = _headline_page(["News", "Auf das erste Elektron kommt es an"], og="Auf das erste Elektron kommt es an",
                          title="News - Eawag", ld="escenic")
    assert headline(tree, "escenic")[0] == "Auf das erste Elektron kommt es an"


def test_an_h1_nothing_else_states_or_the_sites_name_is_not_the_title():
    from corpus.extract.headline import headline

    tree = _headline_page(["Quicklinks for members"], og="Synchronschwimmen aktuell", title="Synchronschwimmen")
    assert headline(tree, "Synchronschwimmen aktuell") == ("Synchronschwimmen aktuell", "stated")
    tree = _headline_page(["Valley Post", "Bridge reopens after two years"], title="Valley Post")
    assert headline(tree, "Valley Post", "Valley Post") == ("Valley Post", "stated")


def test_a_cjk_headline_keeps_what_a_site_name_cut_would_take():
    from corpus.extract.headline import headline

    tree = _headline_page(["<ruby>子<rt>こ</rt></ruby>どもへの体罰を禁止する法律ができる"],
                          title="NEWS WEB EASY|子どもへの体罰を禁止する法律ができる")
    title = "NEWS WEB EASY|子どもへの体罰を禁止する法律ができる"
    assert headline(tree, title)[0] == "子どもへの体罰を禁止する法律ができる"


def test_a_site_label_as_author_gives_way_to_the_byline(tmp_path):
    body = "".join(f"<p>{sentence}</p>" for sentence in STORY)
    html = ('<html><head><title>River flood</title><meta name="author" content="Valley Post Redaktion">'
            '<meta property="og:site_name" content="Valley Post"></head><body><article><h1>River flood</h1>'
            f'<div class="byline">Anna Schmidt</div>{body}</article></body></html>')
    doc = extract(read_file(write(tmp_path / "p.html", html), tmp_path))
    assert doc.author == "Anna Schmidt"
    assert doc.title == "River flood"


def test_a_paragraph_left_out_as_a_copy_is_named_in_provenance(tmp_path):
    long = " ".join(STORY[:2])
    body = "".join(f"<p>{sentence}</p>" for sentence in STORY)
    html = (f"<html><head><title>River flood</title></head><body><article><h1>River flood</h1><p>{long}</p>{body}"
            f"<p>{long}</p></article></body></html>")
    doc = extract(read_file(write(tmp_path / "p.html", html), tmp_path))
    assert doc.text.count(long) == 1
    assert [r.rule for r in doc.removed] == ["extract-repeated-paragraph"]
