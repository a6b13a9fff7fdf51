"""trafilatura's XPaths behind attribute guards select exactly what they selected before."""

import gzip

import pytest
from lxml.etree import XPath
from lxml.html import fromstring

from corpus.extract.xpath_guards import (
    _EXTENSIONS,
    _NAMESPACES,
    PREFILTER_MAX_LITERALS,
    _guarded,
    _tags_walked_once,
    guard_expression,
    guard_trafilatura_xpaths,
    required_literals,
)
from tests.conftest import SEEDS


def test_a_call_is_guarded_by_its_literals_or_by_its_attribute_and_only_where_it_cannot_match_nothing():
    assert guard_expression(".//*[re:test(@class, 'share|social')]") == \
        ".//*[((contains(@class, 'share') or contains(@class, 'social')) and nc:test(string(@class), 'share|social'))]"
    assert guard_expression(".//*[re:test(@id|@class, 'cookie', 'i')]") == \
        ".//*[((@id or @class) and nc:test(string(@id|@class), 'cookie', 'i'))]"
    many = "|".join(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
                     "kilo", "lima"][: PREFILTER_MAX_LITERALS + 1])
    assert guard_expression(f".//*[re:test(@class, '{many}')]") == \
        f".//*[((@class) and nc:test(string(@class), '{many}'))]"
    for unguarded in (".//*[re:test(@class, '^$')]", ".//*[re:test(@class, 'x*')]", ".//*[re:test(@class, '(')]",
                      ".//*[contains(@class, 'share')]", ".//*[re:test(string(@class), 'share')]"):
        assert guard_expression(unguarded) == unguarded


def test_required_literals_are_in_every_match():
    assert required_literals("^[Cc]omment(?!ary)|(?:article|post)-comments") == {"Comment", "comment"}
    assert required_literals("mvp-post-add-(?:box|wrap)|infinite-?scroll") == \
        {"mvp-post-add-box", "mvp-post-add-wrap", "infinite"}
    assert required_literals("(?:a|)b") == {"b"}
    assert required_literals("(^|\\s)bottom|bottom(\\s|$)") == {"bottom"}
    assert required_literals("(?:ab)+cd?") == {"ab"}
    assert required_literals("[ab]+") == {"a", "b"}
    for unknown in ("a|b*", "(?i)share", "[a-z]+", "x?y?", "(", "(?i:share)"):
        assert required_literals(unknown) is None, unknown
    assert required_literals("share", ignore_case=True) is None


def test_guarded_expressions_select_the_same_elements_on_a_made_page():
    page = fromstring(
        "<html><body><div class='share-bar'>a</div><div id='social'>b</div><div>c</div>"
        "<div class='' id='x'>d</div><div id='share' class='story'>e</div><div style='SHARE'>f</div>"
        "<section class='Social'>g</section><p class='Socialist story'>h</p><p id='shared-bar'>i</p>"
        "<p id='sharebar' class='social story'>j</p></body></html>")
    for path in (".//*[re:test(@class, 'share|social')]", ".//*[re:test(@id|@class, 'share')]",
                 ".//*[re:test(@class, '^[Ss]ocial(?!ist)|story$')]", ".//*[re:test(@id, 'sha(?:re|red)-?bar')]",
                 ".//*[not(re:test(@class, 'share'))]", ".//*[re:test(@class, 'social', 'i')]",
                 ".//*[re:test(@id|@style, 'SHARE|social')]", ".//*[re:test(@class, '^$')]"):
        guarded = XPath(guard_expression(path), namespaces=_NAMESPACES, extensions=_EXTENSIONS)
        original = XPath(path, namespaces={"re": "http://exslt.org/regular-expressions"})
        assert guarded(page) == original(page), path
        assert guarded(page) == original(page), path  # the remembered answers give the same


def test_names_are_walked_once_only_where_no_predicate_counts_positions():
    assert _tags_walked_once(".//*[self::div or self::section][contains(@class, 'x')]") == \
        "(.//div|.//section)[contains(@class, 'x')]"
    assert _tags_walked_once("(.//*[self::article or self::main][@id='a'])[1]") == "((.//article|.//main)[@id='a'])[1]"
    assert _tags_walked_once(".//*[self::div][@title=']['] | .//*[self::p]") == "(.//div)[@title=']['] | (.//p)"
    for kept in (".//*[self::div or self::main][@id='a'][1]", ".//*[self::div][position() < 3]",
                 ".//*[self::div][last()]", ".//*[self::div or @id]", "a/.//*[self::div]", ".//*[@id][self::div]"):
        assert _tags_walked_once(kept) == kept, kept
    for unclosed in (".//*[self::div][@id='a", ".//*[self::div][@id='a'", ".//*[self::div"):
        assert _tags_walked_once(unclosed) == unclosed, unclosed


def test_names_walked_once_select_the_same_elements_in_the_same_order():
    page = fromstring(
        "<html><body><section id='s'><div id='d1'><div id='d2'><p id='p1'>a</p></div></div><p id='p2'>b</p>"
        "</section><div class='x' id='d3'><section class='x' id='s2'><p class='x' id='p3'>c</p></section></div>"
        "</body></html>")
    for path in (".//*[self::div or self::section]", ".//*[self::p or self::div][@class='x']",
                 "(.//*[self::section or self::p][not(.//div)])[2]", ".//*[self::div][.//p][1]"):
        assert XPath(_tags_walked_once(path))(page) == XPath(path)(page), path
        assert XPath(_tags_walked_once(path))(page[0][0]) == XPath(path)(page[0][0]), path  # from a subtree


def _real_pages(every: int):
    bench = SEEDS.parent / "bench"
    pages = sorted((bench / "snippets" / "html").glob("*.html.gz"))[::every] + \
        sorted((bench / "extraction" / "html").glob("*.html.gz"))[::every]
    if not pages:
        pytest.skip("../shared/bench is not beside the project")
    return [gzip.decompress(page.read_bytes()).decode("utf-8", "replace") for page in pages]


def test_every_swapped_trafilatura_expression_selects_the_same_on_real_pages():
    """Raw pages and trafilatura's converted trees (where lists are <list>, paragraphs <p>)."""
    import trafilatura
    from trafilatura.htmlprocessing import convert_tags, tree_cleaning
    from trafilatura.settings import Extractor
    from trafilatura.utils import load_html

    guard_trafilatura_xpaths()
    pairs = [(original, twin) for original, twin in _guarded.values() if twin is not original]
    assert len(pairs) >= 20, "trafilatura's pruning expressions were not found"
    assert trafilatura.xpaths.OVERALL_DISCARD_XPATH[0] in [twin for _, twin in pairs]
    options = Extractor(output_format="python")
    selected = 0
    for html in _real_pages(every=35):
        tree = load_html(html)
        if tree is None:
            continue
        converted = convert_tags(tree_cleaning(load_html(html), options), options)
        for original, twin in pairs:
            for each in (tree, converted):
                before = original(each)
                assert twin(each) == before, original.path[:80]
                selected += len(before)
    assert selected > 50, "the pages selected too little for the comparison to say much"


def test_swapping_is_done_once_and_extraction_uses_the_twins(tmp_path):
    import trafilatura

    from corpus.extract.page import extract
    from corpus.inputs.files import read_file
    from tests.conftest import STORY, html_page, write

    doc = extract(read_file(write(tmp_path / "a.html", html_page("Water limits in the north", STORY)), tmp_path))
    assert doc.text
    assert guard_trafilatura_xpaths() == 0
    assert "(@class) and nc:test(string(@class)" in trafilatura.xpaths.OVERALL_DISCARD_XPATH[0].path


def test_every_attribute_value_a_pattern_matches_holds_one_of_its_literals():
    """On every id, class and style of real pages, for every pattern of trafilatura's expressions."""
    import re

    from corpus.extract.xpath_guards import _REGEX_CALL

    guard_trafilatura_xpaths()
    patterns = {(call.group(2)[1:-1], "i" in (call.group(3) or "")) for original, _ in _guarded.values()
                for call in _REGEX_CALL.finditer(original.path)}
    prefiltered = {(p, required_literals(p, i)) for p, i in patterns if required_literals(p, i)}
    assert len(prefiltered) >= 10
    values = {value for html in _real_pages(every=35) if (tree := fromstring(html.encode())) is not None
              for element in tree.iter() if isinstance(element.tag, str)
              for value in (element.get("id"), element.get("class"), element.get("style")) if value}
    matched = 0
    for pattern, literals in prefiltered:
        for value in values:
            if re.search(pattern, value):
                matched += 1
                assert any(lit in value for lit in literals), (pattern, value)
    assert matched > 20


def test_the_remembered_test_answers_as_lxml_re_test_does():
    """Against lxml's own EXSLT call on the same strings: case flags, non-Latin text, long values (not
    remembered), and the same question asked twice (remembered)."""
    from corpus.extract.xpath_guards import REMEMBERED_VALUE_CHARS, _remembered_test

    lxml_test = XPath("re:test($value, $pattern, $flags)", namespaces={"re": "http://exslt.org/regular-expressions"})
    page = fromstring("<p>x</p>")
    values = ["share-bar", "Share", "SOCIAL story", "", "ßocial", "новости-share", "a" * (REMEMBERED_VALUE_CHARS + 5)
              + "share", "display: none", "hide-me hidden"]
    patterns = ["share|social", "^[Ss]hare", "(?:^| )hide", "social$", "новости", "ß", "display:\\s*none"]
    for value in values:
        for pattern in patterns:
            for flags in ("", "i"):
                expected = lxml_test(page, value=value, pattern=pattern, flags=flags)
                assert _remembered_test(None, value, pattern, flags) is expected, (value, pattern, flags)
                assert _remembered_test(None, value, pattern, flags) is expected, (value, pattern, flags)
