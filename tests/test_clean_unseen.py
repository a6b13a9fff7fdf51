"""The failure kinds seen on pages the cleaner was not tuned on: story endings, lists, bios, titles, authors."""

from __future__ import annotations

import pytest

from corpus.clean.cleaner import clean_text
from corpus.extract.metadata import clean_author, strip_site_name
from corpus.extract.page import looks_like_headline

BODY = ["The harbour bridge reopened to traffic on Saturday after two years of repairs, the city said.",
        "Engineers replaced the deck and strengthened the piers, which had cracked in the storm of 2023.",
        "Drivers who used the detour through the old town will save about thirty minutes a day."]


@pytest.mark.parametrize("ending", ["The council will review the traffic lights in March ♦",
                                    "Full results are on the council's website: https://city.example/bridge",
                                    "Opening party on Saturday 🎉",
                                    "Tickets cost 4 euros (children under 12)",
                                    "The council published the full plan here:",
                                    "— City of Harbourtown (@harbourtown) March 3, 2026",
                                    "More pictures on the city's site: harbourtown.org",
                                    "Euer Hans", "Liebe Grüße, Anna", "Cheers, Tom", "Bisous, Léa"])
def test_a_real_last_line_that_ends_without_a_full_stop_stays(ending):
    kept, removed = clean_text("\n".join([*BODY, ending]))
    assert kept.split("\n")[-1] == ending and not removed


def test_a_fragment_that_is_not_a_sign_off_still_goes():
    kept, removed = clean_text("\n".join([*BODY, "Harbourtown Daily", "Lovely bridges"]))
    assert kept.split("\n")[-1] == BODY[-1] and {r.rule for r in removed} == {"tail-fragment"}


def test_a_list_that_ends_the_story_stays_even_when_items_end_in_full_stops():
    items = ["Monday: north lane closed.", "Tuesday: south lane closed", "Wednesday: both lanes open",
             "Thursday: night works", "Friday: inspection"]
    kept, removed = clean_text("\n".join([*BODY, *items]))
    assert kept.split("\n")[-5:] == items and not removed


def test_a_short_list_that_ends_the_story_stays():
    items = ["- Two lanes in each direction", "- A cycle path on the east side", "- Lighting along the whole deck"]
    kept, removed = clean_text("\n".join([*BODY, *items]))
    assert kept.split("\n")[-3:] == items and not removed


def test_short_chrome_after_the_story_still_goes():
    kept, removed = clean_text("\n".join([*BODY, "Valley Post", "Local news"]))
    assert kept.split("\n") == BODY and [r.rule for r in removed] == ["tail-fragment"]


def test_a_third_person_closing_bio_goes_but_not_a_story_about_a_reporter():
    bio = ["Jane Roe is a reporter covering transport for the Valley Post.", "She previously worked at Coast Wire."]
    kept, removed = clean_text("\n".join([*BODY, *bio]))
    assert kept.split("\n") == BODY and {r.rule for r in removed} == {"author-bio"}
    story = ["Jane Roe is a reporter who has covered the harbour for ten years, and she broke the story.", *BODY]
    assert clean_text("\n".join(story))[0].split("\n") == story


@pytest.mark.parametrize("line,headline", [("Home | World | Asia | Business", False),
                                           ("港口大桥经过两年维修后重新开放", True),
                                           ("東京で新しい橋が開通", True),
                                           ("Harbour bridge reopens after repairs", True),
                                           ("这是一个完整的句子。", False)])
def test_plain_text_titles(line, headline):
    assert looks_like_headline(line) is headline


def test_site_names_leave_titles_and_organisations_leave_authors():
    assert strip_site_name("Zelda review - IGN", "IGN", "https://www.ign.com/a") == "Zelda review"
    assert strip_site_name("Valley Post | Bridge reopens", None, "https://valleypost.example/a") == "Bridge reopens"
    assert strip_site_name("Left or right - a choice", "Valley Post", None) == "Left or right - a choice"
    assert clean_author("Condé Nast; Molly Wood") == "Molly Wood"
    assert clean_author("Текст Анна Иванова") == "Анна Иванова"
    assert clean_author("Valley Post", "Valley Post") is None
    assert clean_author("Anna Schmidt, Tom Berg") == "Anna Schmidt; Tom Berg"
