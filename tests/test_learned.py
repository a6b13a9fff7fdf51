"""Chrome learned from the corpus (corpus/clean/learned.py): templates, linked headlines, headings over
headlines; story lines guarded; sites from path folders; dedup on the story, not the chrome.

The corpus is made here, in Finnish-like and Vietnamese-like text no phrase rule knows."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from cli.main import main
from corpus.clean.learned import is_heading, is_story_text, template_keys, template_votes, templates
from corpus.dedup.minhash import MinHashParams, estimated_jaccard, signature
from corpus.dedup.story import story_text
from tests.conftest import write

WORDS = str.split("hallitus kaupunki päätti tiistaina uuden suunnitelman jonka mukaan asukkaat saavat enemmän "
                  "tukea vuonna kunta ilmoitti että työ alkaa keväällä jatkuu pitkälle syksyyn asti mutta "
                  "rahoitus vielä auki koska valtio vahvistanut osuuttaan hankkeesta joka maksaa miljoonia")


def sentence(rng: random.Random, low: int = 14, high: int = 24) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


# The made nights are Finnish, which has a phrase file: its rules would take "Lue myös:" and the
# "Aiheesta lisää" box first. These tests measure what learning alone removes.
PHRASE_RULES_OFF = ("--skip-rule", "inline-related", "--skip-rule", "related-box")


def ingest(*args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["ingest", *args, *PHRASE_RULES_OFF])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def removed(records: list[dict], rule: str) -> list[str]:
    return [part for r in records for x in r["provenance"]["removed"] if x["rule"] == rule
            for part in x["text"].split("\n")]


def test_template_keys_fold_what_changes_from_page_to_page():
    same = [("Baca juga: Harga beras naik lagi", "Baca juga: Gempa di Sulawesi"),
            ("【関連記事】円安が進む", "【関連記事】株価が下落"), ("Läs också: Ny plan för staden", "Läs också: Valet"),
            ("3 phút", "2 phút"), ("ΔΙΑΦΗΜΙΣΗ", "Διαφήμιση"), ("17.11. klo 7.05", "3.2. klo 12.40")]
    for a, b in same:
        assert set(template_keys(a)) & set(template_keys(b)), (a, b)
    assert not set(template_keys("Sää huomenna")) & set(template_keys("Urheilu tänään"))
    assert templates(" ".join(["sana"] * 40)) == ()  # prose has no template


def test_numbers_are_no_labels_and_vote_for_their_site_only():
    """A footnote list and a year list (the snippet set's) are content; a site's bare dateline is its chrome."""
    assert not [t for t in templates("[1] http://www.gnu.org/philosophy/free-sw.de.html") if t.startswith("p ")]
    run_wide, site, *_ = template_votes(["2010", "17.11.2026 07:05"], 7)
    assert not run_wide and len(site) == 3  # "0", and the dateline's prefix and its shape
    assert not is_heading("2008-2012") and is_heading("Aiheesta lisää")


def test_story_lines_are_guarded():
    title = "Matti Virtanen ja Anna Korhonen voittivat vaalit"
    assert is_story_text(sentence(random.Random(1), 21, 22), None)  # long
    assert is_story_text("Kunta ilmoitti että työ alkaa keväällä ja jatkuu pitkälle syksyyn asti tänä vuonna.", None)
    assert is_story_text("– Tämä on hyvä päivä, Virtanen sanoo.", None)  # a quote
    assert is_story_text("Virtanen ja Korhonen juhlivat", title)  # the story's own names
    assert not is_story_text("Lue myös: Kunta päätti uudesta suunnitelmasta", title)
    assert not is_story_text("Kuva: Pekka Laine / Lehtikuva", title)


def night(folder: Path, rng: random.Random, hosts: int = 3, stories: int = 2, start: int = 0) -> dict[str, list[str]]:
    """JSONL crawls under crawl/HOST/ without urls; returns each story's own lines by title."""
    truth = {}
    titles = []
    for h in range(hosts):
        rows = []
        for n in range(start, start + stories):
            title = f"Kunta {rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(WORDS)} tarina {h}-{n}"
            titles.append(title)
            body = [sentence(rng), "– " + sentence(rng, 6, 9), sentence(rng), rng.choice(WORDS).capitalize(),
                    sentence(rng), sentence(rng)]
            truth[title] = body
            related = [titles[-2] if len(titles) > 1 else "Vanha juttu kunnan talouden ahdingosta",
                       f"Juttu {rng.choice(WORDS)} {rng.choice(WORDS)} muualta {n}"]
            chrome = [f"{rng.randint(1, 28)}.{rng.randint(1, 12)}. klo {rng.randint(6, 22)}.{rng.randint(10, 59)}",
                      f"Lue myös: {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {rng.choice(WORDS)}",
                      "Aiheesta lisää", *related]
            lines = [chrome[0], *body[:-1], *chrome[2:], chrome[1], body[-1]]  # the box, then "Lue myös"
            rows.append(json.dumps({"title": title, "text": "\n".join(lines)}, ensure_ascii=False))
        write(folder / "crawl" / f"www.site{h}.example" / "feed.jsonl", "\n".join(rows) + "\n")
    return truth


def test_templates_headlines_and_headings_are_learned_and_story_lines_stay(tmp_path):
    truth = night(tmp_path / "n1", random.Random(3))
    records = ingest(str(tmp_path / "n1"))
    assert len(removed(records, "learned-template")) >= 2 * 6  # the dateline and "Lue myös:" of each story
    assert "Vanha juttu kunnan talouden ahdingosta" in removed(records, "learned-heading")
    assert removed(records, "linked-headline")
    for r in records:
        assert r["provenance"]["site"].startswith("site") and r["provenance"]["site_from"] == "path"
        assert set(truth[r["title"]]) <= set(r["text"].split("\n")), r["text"]
    skipped = ingest(str(tmp_path / "n1"), "--skip-rule", "learned-template", "--skip-rule", "linked-headline",
                     "--skip-rule", "learned-heading")
    assert not any(removed(skipped, rule) for rule in ("learned-template", "linked-headline", "learned-heading"))


def test_a_site_seen_once_a_night_benefits_from_the_state(tmp_path):
    rng = random.Random(5)
    state = str(tmp_path / "state.db")
    night(tmp_path / "n1", rng, hosts=1, stories=3)
    first = ingest(str(tmp_path / "n1"), "--state", state)
    assert removed(first, "learned-template")  # three stories of one site
    night(tmp_path / "n2", rng, hosts=1, stories=1, start=5)
    alone = ingest(str(tmp_path / "n2"))
    assert not removed(alone, "learned-template")  # one story: nothing to learn from by itself
    second = ingest(str(tmp_path / "n2"), "--state", state)
    assert len(removed(second, "learned-template")) == 2  # its dateline and "Lue myös:" line


def test_a_series_background_sentence_stays(tmp_path):
    """A background sentence a site repeats on three of its nine stories is story text, not chrome."""
    rng = random.Random(8)
    background = "Kunta on valmistellut hanketta jo vuodesta 2019, jolloin valtuusto hyväksyi sen ensimmäisen version."
    rows = []
    for n in range(9):
        body = [sentence(rng), sentence(rng), *([background] if n in (1, 4, 7) else []), sentence(rng)]
        rows.append(json.dumps({"url": f"https://site.example/{n}", "title": f"Tarina {n} kunnasta",
                                "text": "\n".join(["Etusivu | Uutiset", *body])}, ensure_ascii=False))
    write(tmp_path / "feed.jsonl", "\n".join(rows) + "\n")
    records = ingest(str(tmp_path))
    assert sum(background in r["text"].split("\n") for r in records) == 3
    assert len(removed(records, "site-repeated-line")) == 9  # the menu line goes


def test_a_txt_scrape_takes_its_site_from_its_folder(tmp_path):
    write(tmp_path / "crawl" / "www.example.com" / "2026" / "a.txt", "Otsikko tässä\n\n" + sentence(random.Random(1)))
    (record,) = ingest(str(tmp_path / "crawl" / "www.example.com" / "2026"))
    assert record["provenance"]["site"] == "example.com" and record["provenance"]["site_from"] == "path"


def test_signatures_are_taken_on_the_story_not_the_chrome():
    """Two sites print one short story in different heavy chrome: one group."""
    rng = random.Random(2)
    body = [sentence(rng, 10, 14) for _ in range(3)]
    edited = [body[0], body[1].replace(" ", " ja ", 1), body[2]]  # a copy edited a little (Jaccard ~0.8)
    a = "\n".join(["Etusivu", "3 min", "Kuva: Anna Korhonen", *body, "Jaa Facebook", "Lue lisää", "Mainos",
                   "Uutiset | Urheilu | Sää", "Tilaa uutiskirje", "Aiheesta lisää", "Toinen juttu tänään"])
    b = "\n".join(["Home > Uutiset", "17.11. klo 7.05", *edited, "Foto: Matti Laine", "Kommentit (3)",
                   "Lisää aiheesta", "Kolmas juttu eilen", "Neljäs juttu", "Lue myös: Viides juttu"])
    params = MinHashParams()
    whole = estimated_jaccard(signature(a, params), signature(b, params))
    story = estimated_jaccard(signature(story_text(a), params), signature(story_text(b), params))
    assert story >= params.jaccard > whole


def test_explain_with_a_state_shows_the_learned_rules_and_report_names_path_sites(tmp_path):
    from corpus.report.summary import site_of

    rng = random.Random(5)
    state = str(tmp_path / "state.db")
    night(tmp_path / "n1", rng, hosts=1, stories=3)
    ingest(str(tmp_path / "n1"), "--state", state)
    night(tmp_path / "n2", rng, hosts=1, stories=1, start=5)
    feed = tmp_path / "n2" / "crawl" / "www.site0.example" / "feed.jsonl"
    result = CliRunner().invoke(main, ["explain", str(feed), "--record", "1", "--state", state])
    assert result.exit_code == 0, result.output
    # the dateline by what was learned; "Lue myös:" and the "Aiheesta lisää" box (its heading and the
    # headline under it) by Finnish's phrase file, which explain always applies
    assert result.output.count("- learned-templat") >= 1, result.output  # 15 characters of the rule's name
    assert "- inline-related" in result.output and "- related-box" in result.output, result.output
    (record,) = ingest(str(tmp_path / "n2"))
    assert site_of(record) == "site0.example"


def test_the_key_level_check_never_hides_a_removal(tmp_path, monkeypatch):
    """The main process looks again at a document's lines only when its keys say a corpus-level rule could
    take one (LineEvidence.may_remove): the same records whether it asks or looks at every document,
    on a night and a second night against the state, and some documents are passed over."""
    from corpus.clean.repeated import LineEvidence

    rng = random.Random(11)
    night(tmp_path / "n1", rng, hosts=3, stories=3)
    night(tmp_path / "n2", rng, hosts=3, stories=2, start=7)
    for n in range(4):  # stories of a site of their own: nothing there for a corpus-level rule to take
        write(tmp_path / "n1" / "crawl" / "www.quiet.example" / f"{n}.txt", f"Oma juttu {n}\n\n" + "\n\n".join(
            sentence(rng) for _ in range(4)))
    asked: list[bool] = []
    real = LineEvidence.may_remove

    def recorded(self: LineEvidence, *args: object) -> bool:
        asked.append(real(self, *args))
        return asked[-1]

    def nights(state: str) -> list[list[dict]]:
        return [ingest(str(tmp_path / n), "--state", str(tmp_path / state)) for n in ("n1", "n2")]

    monkeypatch.setattr(LineEvidence, "may_remove", recorded)
    checked = nights("checked.db")
    monkeypatch.setattr(LineEvidence, "may_remove", lambda self, *args: True)
    every = nights("every.db")
    assert checked == every
    assert True in asked and False in asked
    assert removed(checked[0], "learned-template") and removed(checked[1], "learned-template")


def test_the_second_pass_on_several_workers_gives_the_records_of_one(tmp_path):
    """The corpus-level pass runs on a pool forked once the run is counted (corpus.run.chrome_pass): the records,
    in input order, are the ones the main process makes alone, with or without a state."""
    night(tmp_path / "n1", random.Random(3), hosts=4, stories=3)
    one = CliRunner().invoke(main, ["ingest", str(tmp_path / "n1"), "--workers", "1", *PHRASE_RULES_OFF])
    three = CliRunner().invoke(main, ["ingest", str(tmp_path / "n1"), "--workers", "3", *PHRASE_RULES_OFF])
    assert one.exit_code == three.exit_code == 0, three.output
    assert three.stdout == one.stdout
    records = [json.loads(line) for line in three.stdout.splitlines()]
    assert len(records) == 12 and removed(records, "learned-template") and removed(records, "linked-headline")
    state = str(tmp_path / "state.db")
    first = CliRunner().invoke(main, ["ingest", str(tmp_path / "n1"), "--workers", "3", "--state", state,
                                      *PHRASE_RULES_OFF])
    assert first.exit_code == 0 and first.stdout == one.stdout
