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
