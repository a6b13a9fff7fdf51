"""Site evidence: lines that recur on many pages of one host are its chrome ("site-repeated-line").

The corpus is made here: four invented hosts, each with its own chrome in made-up words no rule
knows, and stories of distinct prose. Three hosts have five stories, one has three (too few).
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from corpus.dedup.state import SCHEMA_VERSION
from tests.conftest import write

WORDS = str.split("harbour council river market school bridge winter museum ferry orchard library station festival "
         "mayor engineer farmer teacher nurse baker driver reporter painter miner sailor weaver tenant "
         "budget plan vote report survey permit contract repair route season harvest storm drought flood "
         "opened closed delayed approved rejected announced promised doubled halved moved rebuilt painted "
         "northern southern eastern western quiet busy narrow wide ancient modern local regional")

CHROME = {  # host → lines on every page of it (made-up words: no rule knows them)
    "quorvane.example": ["Quorvane Ledger brings the Brellwick valley its morning zibbet.",
                         "Tell the Quorvane desk about your plimsett sightings."],
    "tessaly-morn.example": ["Tessaly Morn: grevish tidings for the Ostrander fens.",
                             "Our vellicant almanac lands every Thursday at Tessaly Morn."],
    "brindle.example": ["Brindle Courant prints the drossmoor tally at dusk.",
                        "Ask the Brindle Courant about yarrowick subscriptions."],
    "few.example": ["Fewling Gazette hums the scarrow tune for its readers."],
}
SIDEBAR = "Plimsett forecast pages return after the glarven holiday."  # on 3 quorvane pages only
PAIR = "Zibbet merchants met twice this spring in Brellwick."  # on 2 quorvane pages only
URLS = {"quorvane.example": "https://quorvane.example/news/{n}",
        "tessaly-morn.example": "https://WWW.Tessaly-Morn.example/story-{n}.html",  # case and www folded
        "brindle.example": "https://www.brindle.example/{n}",
        "few.example": "https://few.example/a/{n}"}


def story(rng: random.Random, n: int) -> list[str]:
    """A story of its own: four long paragraphs and one short sentence, all distinct."""
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(24, 32))).capitalize() + "."
                  for _ in range(4)]
    return [*paragraphs[:2], f"The {rng.choice(WORDS)} vote on item {n} is due on day {n + 3}.", *paragraphs[2:]]


def page(host: str, n: int, rng: random.Random, with_chrome: bool = True) -> tuple[str, str, list[str]]:
    """(url, title, lines) of one page; the story's lines are what must survive."""
    title = f"Story {n} of {host.split('.')[0]}: {rng.choice(WORDS)} {rng.choice(WORDS)} news"
    lines = story(rng, n)
    chrome = CHROME[host] if with_chrome else []
    extra = []
    if host == "quorvane.example":
        extra = ([SIDEBAR] if n % 5 < 3 else []) + ([PAIR] if n % 5 < 2 else [])
    return URLS[host].format(n=n), title, [chrome[0], *lines, *extra, *chrome[1:]]


def html(url: str, title: str, lines: list[str]) -> str:
    body = "".join(f"<p>{line}</p>" for line in lines)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<link rel='canonical' href='{url}'></head><body><article><h1>{title}</h1>{body}</article>"
            "</body></html>")


def build_night(folder: Path, pages: dict[str, list[int]], seed: int = 7) -> dict[str, list[str]]:
    """Quorvane and tessaly-morn as JSONL records with urls, brindle and few as HTML pages with canonical
    urls. Returns the story lines of each page, by url."""
    rng = random.Random(seed)
    stories: dict[str, list[str]] = {}
    records = []
    for host, numbers in pages.items():
        for n in numbers:
            url, title, lines = page(host, n, rng)
            stories[url] = [line for line in lines if line not in CHROME[host] and line not in (SIDEBAR, PAIR)]
            if host in ("brindle.example", "few.example"):
                write(folder / host / f"{n}.html", html(url, title, lines))
            else:
                records.append(json.dumps({"url": url, "title": title, "text": "\n".join(lines)}))
    if records:
        write(folder / "feed.jsonl", "\n".join(records) + "\n")
    return stories


NIGHT_1 = {"quorvane.example": [0, 1, 2, 3, 4], "tessaly-morn.example": [0, 1, 2, 3, 4],
           "brindle.example": [0, 1, 2, 3, 4], "few.example": [0, 1, 2]}


@pytest.fixture(scope="module")
def night_1(tmp_path_factory) -> tuple[Path, dict[str, list[str]]]:
    folder = tmp_path_factory.mktemp("site") / "night-1"
    return folder, build_night(folder, NIGHT_1)


def ingest(*args: str, stdin: str | None = None) -> tuple[bytes, list[dict]]:
    result = CliRunner().invoke(main, ["ingest", "-q", "--workers", "1", *args], input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes, [json.loads(x) for x in result.stdout.splitlines()]


def removed(records: list[dict], rule: str) -> list[str]:
    return [line for r in records for x in r["provenance"]["removed"] if x["rule"] == rule
            for line in x["text"].split("\n")]


def host(record: dict) -> str:
    return record["url"].split("/")[2].lower().removeprefix("www.")


def test_site_chrome_goes_and_every_story_line_stays(night_1):
    folder, stories = night_1
    _, records = ingest(str(folder))
    assert len(records) == 18
    gone = removed(records, "site-repeated-line")
    for site in ("quorvane.example", "tessaly-morn.example", "brindle.example"):
        for line in CHROME[site]:
            assert gone.count(line) == 5, (site, line)
    assert gone.count(SIDEBAR) == 3  # three of five pages: site evidence only (run-wide needs 4)
    assert PAIR not in gone  # two pages are not evidence
    for r in records:
        kept = r["text"].split("\n")
        assert set(stories[r["url"]]) <= set(kept), host(r)  # every story line of every page stays
        assert r["title"] and r["title"].startswith("Story ")
        assert not set(kept) & set(CHROME[host(r)]) or host(r) == "few.example"
    few = [r for r in records if host(r) == "few.example"]
    assert all(CHROME["few.example"][0] in r["text"] for r in few)  # three stories: too few to judge the site
    assert not any(x["rule"].endswith("repeated-line") for r in few for x in r["provenance"]["removed"])


def test_skip_rule_keeps_site_chrome(night_1):
    folder, _ = night_1
    _, records = ingest(str(folder), "--skip-rule", "site-repeated-line")
    assert not removed(records, "site-repeated-line")
    assert sum(SIDEBAR in r["text"] for r in records) == 3
    # chrome on all five pages of a site is still found by the run-wide rule (five stories of the run)
    assert removed(records, "repeated-line").count(CHROME["quorvane.example"][0]) == 5
    _, records = ingest(str(folder), "--skip-rule", "site-repeated-line", "--skip-rule", "repeated-line")
    assert sum(CHROME["quorvane.example"][0] in r["text"] for r in records) == 5


def test_a_headline_listed_on_other_pages_stays_in_its_own_story(tmp_path):
    rng = random.Random(3)
    lines = {n: page("quorvane.example", n, rng) for n in range(5)}
    headline = lines[0][1]
    rows = []
    for n, (url, title, body) in lines.items():
        box = [headline] if n in (1, 2, 3) else []  # a "most read" box on three other pages
        rows.append(json.dumps({"url": url, "title": title, "text": "\n".join([*box, title, *body])}))
    write(tmp_path / "feed.jsonl", "\n".join(rows) + "\n")
    _, records = ingest(str(tmp_path))
    assert records[0]["title"] == headline
    assert removed(records[1:4], "site-repeated-line").count(headline) == 3


def test_the_run_wide_rule_also_leaves_a_story_its_headline(tmp_path):
    """Five other sites list the headline in a box: it goes there (repeated-line), its own story keeps it."""
    rng = random.Random(4)
    pages = [(f"https://site{n}.example/news/{n}", f"Story {n}: {rng.choice(WORDS)} {rng.choice(WORDS)} news",
              story(rng, n)) for n in range(6)]
    headline = pages[0][1]
    rows = [json.dumps({"url": url, "title": title, "text": "\n".join([*([headline] if n else []), title, *body])})
            for n, (url, title, body) in enumerate(pages)]
    write(tmp_path / "feed.jsonl", "\n".join(rows) + "\n")
    _, records = ingest(str(tmp_path))
    assert records[0]["title"] == headline and headline not in removed(records[:1], "repeated-line")
    assert removed(records[1:], "repeated-line").count(headline) == 5


@pytest.fixture
def state_after_night_1(night_1, tmp_path) -> Path:
    state = tmp_path / "state.db"
    ingest(str(night_1[0]), "--state", str(state))
    return state


def night_2(tmp_path: Path) -> tuple[Path, dict[str, list[str]]]:
    """One page of each big host, new stories; and one page of the small host."""
    folder = tmp_path / "night-2"
    return folder, build_night(folder, {"quorvane.example": [5], "brindle.example": [5],
                                        "few.example": [3]}, seed=8)


def test_night_2_uses_night_1_evidence_from_the_state(state_after_night_1, tmp_path):
    folder, stories = night_2(tmp_path)
    _, alone = ingest(str(folder))
    assert not removed(alone, "site-repeated-line")  # one page a site: nothing to go on by itself
    out, records = ingest(str(folder), "--state", str(state_after_night_1))
    gone = removed(records, "site-repeated-line")
    # PAIR is on its third page now
    assert sorted(gone) == sorted(CHROME["quorvane.example"] + [SIDEBAR, PAIR] + CHROME["brindle.example"])
    for r in records:
        assert set(stories[r["url"]]) <= set(r["text"].split("\n"))
    few = next(r for r in records if host(r) == "few.example")
    # three stories and one are still too few for its site; but the run-wide count (kept in the state
    # too) reaches four stories over the two nights
    assert removed([few], "repeated-line") == CHROME["few.example"]
    # a rerun of night 2 sees the state as it was before night 2, and adds nothing to it
    rows = sqlite3.connect(state_after_night_1).execute("SELECT run, length(keys) FROM lines").fetchall()
    again, _ = ingest(str(folder), "--state", str(state_after_night_1))
    assert again == out
    assert sqlite3.connect(state_after_night_1).execute("SELECT run, length(keys) FROM lines").fetchall() == rows
    _, records = ingest(str(folder), "--state", str(state_after_night_1), "--skip-rule", "site-repeated-line")
    assert not removed(records, "site-repeated-line")


def test_a_rerun_of_night_1_counts_nothing_twice(night_1, tmp_path):
    from corpus.clean.learned import title_key
    from corpus.dedup.state import StateIndex, stored_params

    state = tmp_path / "state.db"
    first, records = ingest(str(night_1[0]), "--state", str(state))
    index = StateIndex(str(state), stored_params(str(state)))
    counts = index.line_counts()
    index.close()
    again, _ = ingest(str(night_1[0]), "--state", str(state))
    assert again == first
    index = StateIndex(str(state), stored_params(str(state)))
    try:
        after = index.line_counts()
        assert (after.keys == counts.keys).all() and (after.counts == counts.counts).all()
        # chrome, and nothing seen only once but the titles (kept once each: "linked-headline")
        titles = {title_key(r["title"]) for r in records}
        once = set(counts.keys[counts.counts < 2].tolist())
        assert counts.counts.max() >= 5 and once and once <= titles
    finally:
        index.close()


def test_prune_forgets_the_counts_of_old_runs(state_after_night_1):
    from corpus.dedup.state import StateIndex, stored_params

    result = CliRunner().invoke(main, ["state", "prune", str(state_after_night_1), "--before", "2999-01-01",
                                       "--all-ok"])
    assert result.exit_code == 0, result.output
    index = StateIndex(str(state_after_night_1), stored_params(str(state_after_night_1)))
    try:
        assert not len(index.line_counts())
    finally:
        index.close()


def test_stream_uses_the_state(state_after_night_1, tmp_path):
    folder, stories = night_2(tmp_path)
    _, records = ingest(str(folder), "--stream", "--state", str(state_after_night_1))
    assert sorted(removed(records, "site-repeated-line")) == sorted(
        CHROME["quorvane.example"] + [SIDEBAR, PAIR] + CHROME["brindle.example"])
    for r in records:
        assert set(stories[r["url"]]) <= set(r["text"].split("\n"))


def test_a_schema_2_state_is_upgraded_and_keeps_working(night_1, tmp_path):
    state = tmp_path / "old.db"
    ingest(str(night_1[0]), "--state", str(state))
    db = sqlite3.connect(state)
    db.execute("DROP TABLE lines")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    db.commit()
    db.close()
    folder, _ = night_2(tmp_path)
    _, records = ingest(str(folder), "--state", str(state))
    assert not removed(records, "site-repeated-line")  # an old state has no line counts yet
    info = json.loads(CliRunner().invoke(main, ["state", "info", str(state)]).stdout)
    assert info["schema"] == SCHEMA_VERSION


def test_line_counts_survive_export_and_import_and_an_old_parquet_state_is_upgraded(night_1, tmp_path):
    pytest.importorskip("pyarrow")
    from corpus.dedup.parquet_state import ParquetState
    from corpus.dedup.state import StateIndex, stored_params

    ingest(str(night_1[0]), "--state", str(tmp_path / "a.db"))
    runner = CliRunner()
    assert runner.invoke(main, ["state", "export", str(tmp_path / "a.db"), str(tmp_path / "pq")]).exit_code == 0
    assert runner.invoke(main, ["state", "import", str(tmp_path / "pq"), str(tmp_path / "b.db")]).exit_code == 0
    a, b = (StateIndex(str(tmp_path / name), stored_params(str(tmp_path / "a.db"))) for name in ("a.db", "b.db"))
    try:
        counts = [s.line_counts() for s in (a, b, ParquetState(str(tmp_path / "pq")))]
    finally:
        a.close()
        b.close()
    assert len(counts[0]) > 5
    assert all((c.keys == counts[0].keys).all() and (c.counts == counts[0].counts).all() for c in counts)
    meta = tmp_path / "pq" / "state.json"  # a schema-1 folder: no line counts
    for lines in (tmp_path / "pq").rglob("lines.parquet"):
        lines.unlink()
    meta.write_text(meta.read_text().replace('"schema": 2', '"schema": 1'))
    build_night(tmp_path / "night-2", {"tessaly-morn.example": [5, 6]}, seed=9)
    ingest(str(tmp_path / "night-2"), "--state", f"{tmp_path}/pq/")
    assert json.loads(meta.read_text())["schema"] == 2
    # the story count, and its two chrome lines run-wide and for the site
    # (and their templates, and the two stories' titles, once each)
    counts = ParquetState(str(tmp_path / "pq")).line_counts().counts.tolist()
    assert counts.count(1) == 2 and set(counts) == {1, 2} and len(counts) >= 2 + 5


def test_dask_gives_the_local_bytes_with_site_evidence(night_1, scheduler, tmp_path):
    """Night 1 (every site's evidence counted on the cluster), then night 2 on the state's counts."""
    dask = ("--executor", "dask", "--scheduler", scheduler)
    folder, _ = night_2(tmp_path)
    outputs = {}
    # The SQLite state on Dask is test_dask.py's nightly test; here the Parquet one, which Dask runs use.
    for name, state, executor in (("local", "local.db", ()), ("dask-parquet", "dask-state/", dask)):
        if name == "dask-parquet":
            pytest.importorskip("pyarrow")
        outputs[name] = [ingest(str(night), "--state", f"{tmp_path}/{state}", *executor)[0]
                         for night in (night_1[0], folder)]
    assert all(b"site-repeated-line" in night for night in outputs["local"])
    assert outputs["dask-parquet"] == outputs["local"]


def test_both_kinds_of_key_from_one_pass_over_the_lines():
    """Each line is keyed once for the run-wide and the site keys: the same keys as keying it per kind."""
    import numpy as np

    from corpus.clean.document_keys import SiteLines, all_keys_of, keys_of
    from tests.conftest import STORY

    title = "Drought forces water limits in the north"
    text = "\n".join(["Home | World | Asia", title, *STORY, "Share this story", "", "Subscribe to our newsletter"])
    for url in ("https://news.example.com/a/1", None):
        run_wide, site_wide = all_keys_of(text, title, url)
        assert sorted(run_wide.tolist()) == sorted(keys_of(text, title).tolist())
        site = SiteLines(url, title)
        per_line = {k for k in map(site.key, [*text.split("\n"), title]) if k is not None}
        assert np.array_equal(site_wide, site.votes(per_line))
        assert (len(site_wide) > 3) == (url is not None)  # the story counter and the short lines' keys
