"""Which of trafilatura's passes holds the story: each decision kind on made pages (corpus.extract.choice)."""

from lxml.html import fromstring

from corpus.extract.choice import (
    COPY_MIN_WORDS,
    DECISIONS,
    Candidate,
    choose,
    page_paragraphs,
    unique_paragraphs,
)

STORY = [f"Paragraph {n} of the council story tells how the bridge vote went, who spoke and what the town will "
         f"pay for the repairs over the next {n + 2} years." for n in range(8)]
PROMO = ["Subscribe to our newsletter today and get four weeks of unlimited access for only one euro a week.",
         "Already a subscriber? Sign in to read every story on the site and in the app without limits."]
NAV = ["Hot topics: elections, the bridge, the weather, the football cup and the price of bread this week."]


def _page(story=STORY, promo=PROMO, extra=""):
    body = "".join(f"<p>{p}</p>" for p in story)
    footer = "".join(f"<p>{p}</p>" for p in promo)
    nav = "".join(f"<p>{p}</p>" for p in NAV)
    return fromstring(f"<html><body><nav>{nav}</nav><article>{body}</article>{extra}"
                      f'<div class="newsletter-promo">{footer}</div><footer><p>All rights reserved by the '
                      f"publisher of this fine paper.</p></footer></body></html>")


def _passes(fast, thorough, default):
    ran = []

    def run(name, text):
        def once():
            ran.append(name)
            return text
        return once

    return ran, run("fast", fast), run("thorough", thorough), run("default", default)


def test_every_decision_has_a_reason():
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in DECISIONS.values())


def test_paragraphs_are_placed_as_story_or_chrome():
    page = page_paragraphs(_page())
    assert page.place(STORY[0]) is False
    assert page.place(PROMO[0]) is True and page.place(NAV[0]) is True
    assert page.place("A line the page never shows as a paragraph at all, anywhere.") is None
    assert page.story_words == sum(len(p.split()) for p in STORY)


def test_a_wrapper_holding_most_of_the_page_is_not_chrome_whatever_its_class():
    tree = fromstring(f'<html><body><div class="ad_body wrapper">{"".join(f"<p>{p}</p>" for p in STORY)}</div>'
                      "</body></html>")
    assert page_paragraphs(tree).place(STORY[0]) is False


def test_fast_pass_that_holds_the_story_is_taken_alone():
    ran, fast, thorough, default = _passes("\n".join(STORY), "never", "never")
    choice = choose(page_paragraphs(_page()), fast, thorough, default)
    assert choice.decision == "fast" and ran == ["fast"]
    assert choice.text == "\n".join(STORY)


def test_thin_fast_pass_gives_way_to_a_thorough_superset():
    ran, fast, thorough, default = _passes("\n".join(STORY[:2]), "\n".join(STORY), "never")
    choice = choose(page_paragraphs(_page()), fast, thorough, default)
    assert choice.decision == "thorough-superset" and ran == ["fast", "thorough"]
    assert choice.text == "\n".join(STORY)


def test_a_fast_pass_made_of_the_footer_promo_is_not_the_story():
    ran, fast, thorough, default = _passes("\n".join(PROMO), "\n".join(STORY), "never")
    choice = choose(page_paragraphs(_page()), fast, thorough, default)
    assert choice.decision == "thorough-other-place"
    assert PROMO[0] not in choice.text and STORY[-1] in choice.text


def test_thin_passes_take_the_default_modes_story_without_its_chrome():
    default = "\n".join([*NAV, *STORY, *PROMO])
    ran, fast, thorough, default = _passes("\n".join(STORY[:2]), "\n".join(STORY[:2]), default)
    choice = choose(page_paragraphs(_page()), fast, thorough, default)
    assert choice.decision == "default-story" and ran == ["fast", "thorough", "default"]
    assert STORY[-1] in choice.text
    assert NAV[0] not in choice.text and PROMO[0] not in choice.text


def test_a_default_mode_bringing_only_chrome_leaves_precision_as_it_was():
    ran, fast, thorough, default = _passes("\n".join(STORY[:2]), "\n".join(STORY[:2]),
                                           "\n".join([*NAV, *STORY[:2], *PROMO]))
    choice = choose(page_paragraphs(_page()), fast, thorough, default)
    assert choice.decision == "precision-kept"
    assert choice.text == "\n".join(STORY[:2])


def test_a_short_teaser_is_kept_once_when_the_default_mode_states_it_three_times():
    teaser = STORY[:1]
    tree = _page(story=teaser, extra=f'<div class="quote-box"><p>{"Real-time quotes for all markets. " * 3}</p></div>')
    repeated = "\n".join([*teaser, *teaser, *teaser])
    ran, fast, thorough, default = _passes(repeated, repeated, repeated)
    choice = choose(page_paragraphs(tree), fast, thorough, default)
    assert choice.text.count(teaser[0]) == 1
    assert choice.copies == [teaser[0], teaser[0]]


def test_no_pass_finding_anything_is_empty():
    ran, fast, thorough, default = _passes("", "", "")
    assert choose(page_paragraphs(_page()), fast, thorough, default).decision == "empty"


def test_a_page_without_story_paragraphs_is_judged_by_its_share_of_the_page():
    words = " ".join(f"word{n}" for n in range(600))
    tree = fromstring(f"<html><body><div>{words}</div><p>Short line here now.</p></body></html>")
    ran, fast, thorough, default = _passes("Short line here now.", words, "never")
    choice = choose(page_paragraphs(tree), fast, thorough, default)
    assert choice.decision == "thorough-other-place" and choice.text == words


def test_copies_are_only_story_length_paragraphs():
    question = "What inspired you to cook?"
    long = STORY[0]
    assert len(long.split()) >= COPY_MIN_WORDS
    kept, copies = unique_paragraphs("\n".join([question, "Answer one.", question, "Answer two.", long, long]))
    assert kept == [question, "Answer one.", question, "Answer two.", long]
    assert copies == [long]


def test_held_by_measures_agreement():
    page = page_paragraphs(_page())
    small = Candidate.of("a", "\n".join(STORY[:2]), page)
    large = Candidate.of("b", "\n".join(STORY), page)
    assert small.held_by(large) == 1.0
    assert large.held_by(small) < 0.5


def test_on_a_list_of_posts_the_fast_pass_holding_the_largest_post_is_the_story():
    posts = [STORY[:4], STORY[4:5], STORY[5:6], STORY[6:7]]
    tree = fromstring("<html><body>" + "".join(
        "<article>" + "".join(f"<p>{p}</p>" for p in post) + "</article>" for post in posts) + "</body></html>")
    page = page_paragraphs(tree)
    assert page.listing
    ran, fast, thorough, default = _passes("\n".join(posts[0]), "\n".join(STORY), "never")
    assert choose(page, fast, thorough, default).decision == "fast" and ran == ["fast"]
    # a fast pass holding a small card beside the largest article is thin
    ran, fast, thorough, default = _passes("\n".join(posts[1]), "\n".join(STORY), "never")
    assert choose(page, fast, thorough, default).decision == "thorough-superset"


def test_on_a_list_of_posts_coverage_is_the_share_of_the_largest_posts_words():
    posts = [STORY[:4], STORY[4:5], STORY[5:6]]
    tree = fromstring("<html><body>" + "".join(
        "<article>" + "".join(f"<p>{p}</p>" for p in post) + "</article>" for post in posts) + "</body></html>")
    page = page_paragraphs(tree)
    largest = sum(len(p.split()) for p in posts[0])
    part = Candidate.of("a", "\n".join(posts[0][:2] + posts[1]), page)  # most of its words in the largest post
    assert part.coverage(page) == sum(len(p.split()) for p in posts[0][:2]) / largest
    assert Candidate.of("b", "\n".join(posts[0]), page).coverage(page) == 1.0


def test_a_short_story_all_held_does_not_take_the_default_modes_extras():
    teaser = STORY[:1]
    tree = _page(story=teaser, extra="<div>" + " ".join(["Market data and quotes."] * 150) + "</div>")
    ran, fast, thorough, default = _passes(teaser[0], teaser[0], "\n".join([teaser[0], "Real-time quotes: DOW +1%"]))
    choice = choose(page_paragraphs(tree), fast, thorough, default)
    assert choice.decision == "short-story-held" and "quotes" not in choice.text
    assert ran == ["fast", "thorough"]


def test_a_copy_of_the_headline_after_a_kicker_leaves_the_text(tmp_path):
    from corpus.extract.page import extract
    from corpus.inputs.files import read_file

    title = "Investigator says most stolen cars are held across the border"
    body = "".join(f"<p>{p}</p>" for p in STORY)
    html = (f"<html><head><title>{title}</title></head><body><article><p>Santa Cruz</p><h1>{title}</h1>{body}"
            "</article></body></html>")
    (tmp_path / "p.html").write_text(html, encoding="utf-8")
    doc = extract(read_file(tmp_path / "p.html", tmp_path))
    assert doc.title == title and title not in doc.text and STORY[0] in doc.text
    assert "extract-repeated-paragraph" in [r.rule for r in doc.removed]


def test_a_paragraph_the_page_states_several_times_is_no_copy_up_to_that_many_times():
    """A meal plan lists the same meals on three days (three <p> each): kept three times; a fourth is a copy."""
    from lxml.html import fromstring

    meal = STORY[0]
    days = "".join(f"<h3>Day {n}</h3><p>{meal}</p><p>{STORY[6]}</p><p>{STORY[7]}</p><p>{STORY[n]}</p>"
                   for n in (1, 2, 3))  # three paragraphs each day states: a structure
    page = page_paragraphs(fromstring(f"<html><body><article>{days}</article></body></html>"))
    text = "\n".join([meal, STORY[1], meal, STORY[2], meal, STORY[3], meal])
    kept, copies = unique_paragraphs(text, page.repeats())
    assert kept.count(meal) == 3 and copies == [meal]
    assert unique_paragraphs(text)[1] == [meal] * 3, "without the page, every restatement is a copy"
    teaser = page_paragraphs(fromstring(f"<html><body><p>{meal}</p><p>{STORY[1]}</p></body></html>"))
    assert unique_paragraphs(f"{meal}\n{STORY[1]}\n{meal}", teaser.repeats()) == ([meal, STORY[1]], [meal])
    restated = page_paragraphs(fromstring(f"<html><body><p>{meal}</p><p>{STORY[1]}</p><p>{meal}</p></body></html>"))
    assert restated.stated[meal[:48].casefold()] == 2 and not restated.repeats(), "one lead restated is no structure"


def test_thin_passes_gain_the_story_the_default_mode_finds_elsewhere_in_the_pages_order_without_menus():
    """The precision passes hold the story's end, the default mode its start elsewhere on the page (and a
    menu's entries, not sentences): the start is added in front, the menu is not."""
    menu = ["Home", "World news", "Sport and games", "Contact the team"]
    tree = _page(story=STORY[:6])
    held = STORY[4:6]
    ran, fast, thorough, default = _passes("\n".join(held), "\n".join(held), "\n".join([*menu, *STORY[:4]]))
    choice = choose(page_paragraphs(tree), fast, thorough, default)
    assert choice.decision == "default-adds" and ran == ["fast", "thorough", "default"]
    assert choice.text == "\n".join(STORY[:6])
    ran, fast, thorough, default = _passes("\n".join(held), "\n".join(held), "\n".join([*menu, STORY[0]]))
    assert choose(page_paragraphs(tree), fast, thorough, default).decision == "precision-kept", \
        "one paragraph more is under the words a gain needs"
