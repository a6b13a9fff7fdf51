from corpus.extract.page import extract, looks_like_headline
from corpus.inputs.files import read_file
from tests.conftest import STORY, html_page, write


def test_headline_detection():
    assert looks_like_headline("Drought forces water limits in the north")
    assert not looks_like_headline("The authority said the levels had fallen.")
    assert not looks_like_headline("Two words")
    assert not looks_like_headline("“A quote that ends the way a sentence ends.”")


def test_plain_text_takes_its_headline_as_title(tmp_path):
    path = write(tmp_path / "s.txt", "Drought forces water limits in the north\n" + "\n".join(STORY))
    doc = extract(read_file(path, tmp_path))
    assert doc.title == "Drought forces water limits in the north"
    assert doc.text.startswith(STORY[0]) and doc.extractor == "plain-text"


def test_plain_text_without_headline_keeps_first_line(tmp_path):
    path = write(tmp_path / "s.txt", "\n".join(STORY))
    doc = extract(read_file(path, tmp_path))
    assert doc.title is None and doc.text.startswith(STORY[0])


def test_html_goes_through_trafilatura_with_metadata(tmp_path):
    path = write(tmp_path / "s.html", html_page("Drought forces water limits", STORY))
    doc = extract(read_file(path, tmp_path))
    assert doc.extractor == "trafilatura" and doc.extractor_version
    assert doc.title == "Drought forces water limits"
    for sentence in STORY:
        assert sentence in doc.text
    assert not doc.text.startswith("Drought forces"), "the headline belongs in title, not text"


def test_page_metadata_matches_trafilaturas_own_on_real_pages():
    """page_metadata is trafilatura's extract_metadata less categories, tags and licence: same answers."""
    import gzip

    import pytest
    import trafilatura
    from trafilatura.utils import load_html

    from corpus.extract.metadata import DATE_PARAMS, page_metadata
    from tests.conftest import SEEDS

    pages = sorted((SEEDS.parent / "bench" / "extraction" / "html").glob("*.html.gz"))[:40]
    if not pages:
        pytest.skip("../shared/bench/extraction is not beside the project")
    for page in pages:
        with gzip.open(page, "rt", encoding="utf-8") as handle:
            html = handle.read()
        theirs = trafilatura.extract_metadata(html, date_config=dict(DATE_PARAMS))
        ours = page_metadata(load_html(html))
        for key in ("title", "author", "date", "url", "sitename"):
            assert ours[key] == (getattr(theirs, key) or None), (page.name, key)


def test_strip_heavy_drops_scripts_styles_comments_and_svg_but_keeps_json_and_text():
    from corpus.extract.page import strip_heavy

    page = ('<html><head><SCRIPT src="a.js"></SCRIPT><script type="application/ld+json">{"datePublished": "2024-01-02"}'
            '</script><style>p { color: red }</style></head><body><!-- ad slot --><p>Story one.</p>'
            '<svg viewBox="0 0 1 1"><path d="M0"/></svg><script>var x = "<p>not story</p>";</script >'
            '<p>Story two.</p></body></html>')
    slim = strip_heavy(page)
    assert "Story one." in slim and "Story two." in slim and "datePublished" in slim
    for gone in ("a.js", "color: red", "ad slot", "viewBox", "not story"):
        assert gone not in slim, gone
    assert strip_heavy("<p>Text</p><script>never closed") == "<p>Text</p><script>never closed"
    assert strip_heavy("no markup at all") == "no markup at all"


def test_dropping_what_trafilatura_deletes_anyway_changes_no_text_on_real_pages():
    """Footers, iframes, buttons and form fields go before trafilatura's pruning pass: same text, same fields."""
    import gzip

    import pytest

    import corpus.extract.page as extract_module
    from corpus.inputs.files import RawInput, Source
    from tests.conftest import SEEDS

    bench = SEEDS.parent / "bench"
    pages = sorted((bench / "snippets" / "html").glob("*.html.gz"))[::20] + \
        sorted((bench / "extraction" / "html").glob("*.html.gz"))[::9]
    if not pages:
        pytest.skip("../shared/bench is not beside the project")
    dropped = 0
    for page in pages:
        raw = RawInput(page.name, Source(page.name, "", None, None, "html"), gzip.decompress(page.read_bytes()), "html")
        ours = extract(raw)
        tree = extract_module.load_page(extract_module.slim_markup(extract_module.decode_html(raw.data)))
        dropped += tree is not None and len(list(tree.iter(*extract_module._deleted_anyway()))) > 0
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(extract_module, "drop_deleted_anyway", lambda tree: tree)
            whole = extract(raw)
        assert (ours.text, ours.title, ours.author, ours.date) == (whole.text, whole.title, whole.author, whole.date)
    assert dropped >= len(pages) // 2, "too few pages had anything to drop for the comparison to say much"


def _real_pages(step: int) -> list:
    import pytest

    from tests.conftest import SEEDS

    bench = SEEDS.parent / "bench"
    pages = sorted((bench / "snippets" / "html").glob("*.html.gz"))[::step] + \
        sorted((bench / "extraction" / "html").glob("*.html.gz"))[::step]
    if not pages:
        pytest.skip("../shared/bench is not beside the project")
    return pages


def test_the_fast_pass_on_a_tree_handed_over_gives_trafilaturas_own_text_and_leaves_other_calls_copying():
    """The fast precision pass works on the tree in place (no copies): the text trafilatura gives on its own copy."""
    import gzip

    import trafilatura

    from corpus.extract.page import _options, _trafilatura, decode_html, load_page, slim_markup

    compared = 0
    for page in _real_pages(15):
        html = slim_markup(decode_html(gzip.decompress(page.read_bytes())))
        if load_page(html) is None:
            continue
        theirs = trafilatura.bare_extraction(load_page(html), options=_options(True, True))
        ours = _trafilatura(load_page(html), favor_precision=True, fast=True, owned=True)
        assert (ours.text if ours else None) == (theirs.text if theirs else None), page.name
        compared += 1
    assert compared >= 50
    story = "A sentence of a story that goes on. " * 30
    tree = load_page(f"<html><body><article><p>{story}</p></article></body></html>")
    kept = len(list(tree.iter()))
    assert _trafilatura(tree, favor_precision=True, fast=True) is not None
    assert len(list(tree.iter())) == kept, "a tree not handed over is left as it was"


def test_json_ld_is_read_as_trafilatura_reads_it_on_real_pages():
    import gzip

    from trafilatura import metadata as meta
    from trafilatura.settings import Document

    from corpus.extract.metadata import meta_json
    from corpus.extract.page import decode_html, load_page, slim_markup

    fields = ("title", "author", "date", "url", "sitename", "description", "categories", "tags", "pagetype")
    for page in _real_pages(6):
        html = slim_markup(decode_html(gzip.decompress(page.read_bytes())))
        if load_page(html) is None:
            continue
        theirs = meta.extract_meta_json(load_page(html), Document())
        ours = meta_json(load_page(html), Document())
        assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields], page.name
    broken = load_page('<html><head><script type="application/ld+json">{"headline": "A \\u00e9t\\u00e9\\ud800 story",'
                       ' "author": {"@type": "Person", "name": "Ann  Lee"}, </script></head>'
                       '<body><p>x</p></body></html>')
    assert [getattr(meta_json(broken, Document()), f) for f in fields] == \
        [getattr(meta.extract_meta_json(broken, Document()), f) for f in fields]


def test_the_headline_statements_are_found_without_walking_for_an_itemprop_the_markup_never_states():
    from corpus.extract.headline import may_have_headline_prop, statements
    from corpus.extract.page import load_page

    html = ('<html><head><title>Rain at last - Site</title><meta property="og:title" content="Rain at last">'
            '<meta name="twitter:title" content="Rain!"><script type="application/ld+json">{"headline": "Rain at last"}'
            '</script></head><body><h2 itemprop="headline">Rain at last</h2><p>Text</p></body></html>')
    tree = load_page(html)
    assert statements(tree, None, html) == statements(tree, None) == [
        "Rain at last - Site", "Rain at last", "Rain!", "Rain at last", "Rain at last"]
    assert may_have_headline_prop('<h2 ITEMPROP = "headline">') and may_have_headline_prop("<h2 itemprop=headline>")
    assert not may_have_headline_prop('{"headline": "x"}<h2 class="headline">')
    no_prop = html.replace(' itemprop="headline"', "")
    assert statements(load_page(no_prop), None, no_prop) == ["Rain at last - Site", "Rain at last", "Rain!",
                                                            "Rain at last"]


def test_the_markup_is_repaired_as_trafilatura_repairs_it():
    """repair_markup is trafilatura's repair_faulty_html with its scan for forbidden characters done on bytes:
    the same string on real pages, and on pages made to hold each forbidden character and need each repair."""
    import gzip

    from trafilatura.utils import repair_faulty_html

    from corpus.extract.repair import has_forbidden_characters, repair_markup

    body = "<html><body><p>Caf\u00e9 \u201cnews\u201d \U0001F600 \ud800</p></body></html>"
    made = [body, "plain ascii <p>text</p>", "",
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/xhtml1/DTD/x/">\n' + body,
            '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en"/>\n<body><p>x</p></body>',
            "\t\n\r " + body]
    made += [body.replace("news", f"ne{chr(c)}ws") for c in [*range(32), 0x7F, 0x85, 0xFFFE, 0xFFFF, 0xFFFD]]
    pages = [gzip.decompress(page.read_bytes()).decode("utf-8", "replace") for page in _real_pages(25)]
    for html in made + pages:
        beginning = html[:50].lower()
        assert repair_markup(html, beginning) == repair_faulty_html(html, beginning), repr(html[:80])
    assert [has_forbidden_characters(body.replace("news", chr(c))) for c in (9, 10, 13, 11, 0, 0xFFFE, 0x7F)] \
        == [False, False, False, True, True, True, False]
