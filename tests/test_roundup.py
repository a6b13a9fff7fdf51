"""Groups do not chain through a roundup, on every executor (issue 27): a document that matches several groups
joins the one it matches best, and another only when the groups' first documents are related; the local
Deduplicator (batch and stream) and the Dask client's walk over the cluster's pairs apply the one rule."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.conftest import write

TOPICS = ("river council bridge steel budget minister vote harbour school farmers drought market court police museum "
          "painting striker season doctors hospital train strike union mayor election festival bakery forest fire "
          "storm flood road tunnel price energy wind solar bank rate inflation teacher pupils exam village church "
          "bell choir library books archive")


def made_up_story(seed: int, paragraphs: int = 6) -> list[str]:
    """Paragraphs of words drawn from one list: two seeds give two unrelated stories."""
    rng = random.Random(seed)
    words = TOPICS.split()
    return [" ".join(rng.choice(words) + ("s" if rng.random() < 0.3 else "") for _ in range(rng.randint(25, 35)))
            .capitalize() + "." for _ in range(paragraphs)]


@pytest.fixture(scope="module")
def roundup() -> dict[str, list[str]]:
    """Story A, story B (unrelated) and a roundup page that holds both whole."""
    a, b = made_up_story(1), made_up_story(2)
    return {"A": a, "B": b, "AB": a + b}


def signatures(texts: dict[str, list[str]]) -> dict:
    from corpus.dedup.minhash import MinHashParams, signature
    from corpus.dedup.story import story_text

    return {name: signature(story_text("\n".join(lines)), MinHashParams()) for name, lines in texts.items()}


def test_the_case_a_roundup_matches_each_story_and_the_stories_do_not_match(roundup):
    from corpus.dedup.minhash import MinHashParams, is_match

    sigs, params = signatures(roundup), MinHashParams()
    assert is_match(sigs["AB"], sigs["A"], params) and is_match(sigs["AB"], sigs["B"], params)
    assert not is_match(sigs["A"], sigs["B"], params)


@pytest.mark.parametrize("order", [("A", "B", "AB"), ("AB", "A", "B")], ids="-".join)
def test_a_roundup_of_two_stories_does_not_join_them_in_one_group(roundup, order):
    from corpus.dedup.deduplicator import Deduplicator

    sigs = signatures(roundup)
    batch, stream = Deduplicator(), Deduplicator()
    streamed = {}
    for index, name in enumerate(order):
        batch.add(index, sigs[name], f"{index:032x}")
        streamed[name] = stream.decide(index, stream.add(index, sigs[name], f"{index:032x}"))
    kept, _ = batch.groups()
    at = {name: index for index, name in enumerate(order)}
    for decided in ({name: kept.get(at[name], at[name]) for name in at}, streamed):
        # each story stands for itself, or is a copy of the roundup that holds it whole: never of the other story
        assert decided["A"] in (at["A"], at["AB"]) and decided["B"] in (at["B"], at["AB"]), (decided, at)
        if order[0] != "AB":  # A and B are not one group (AB first: each story is inside it, a star around it)
            assert decided["A"] != decided["B"], (decided, at)


def feed(tmp_path, texts: dict[str, list[str]], order) -> str:
    lines = [json.dumps({"url": f"https://news.example/{name}", "title": f"Story {name}",
                         "text": "\n\n".join(texts[name])}) for name in order]
    return str(write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n"))


def ingest(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, ["ingest", *args], catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize("mode", [(), ("--stream",)], ids=["batch", "stream"])
def test_end_to_end_a_roundup_loses_neither_story(tmp_path, roundup, mode):
    code, out, err = ingest(feed(tmp_path, roundup, ("A", "B", "AB")), "--keep-duplicates", "--workers", "1", "-q",
                            *mode)
    assert code == 0, err
    records = {r["title"]: r for r in map(json.loads, out.decode().splitlines())}
    by_id = {r["id"]: r for r in records.values()}
    group = {name: records[f"Story {name}"].get("duplicate_of") or records[f"Story {name}"]["id"] for name in roundup}
    assert group["A"] != group["B"], group
    for name in ("A", "B"):  # the record a story's group keeps holds that story
        assert roundup[name][0] in by_id[group[name]]["text"]


def cuts_and_roundups(seed: int) -> dict[str, list[str]]:
    """Stories, their copies cut differently (a lead and a tail that only the full text links), roundups of two
    stories whole, and a roundup of two cuts: every way a document can match several groups."""
    rng = random.Random(seed)
    stories = {f"S{k}": made_up_story(seed * 10 + k, 8) for k in range(4)}
    texts: dict[str, list[str]] = dict(stories)
    for name, story in stories.items():
        texts[f"{name}-head"] = story[:5]
        texts[f"{name}-tail"] = story[3:]
        texts[f"{name}-copy"] = story[:7]
    for x, y in itertools.combinations(list(stories)[:3], 2):
        texts[f"{x}+{y}"] = stories[x] + stories[y]
    texts["S0-head+S1-tail"] = texts["S0-head"] + texts["S1-tail"]
    names = list(texts)
    rng.shuffle(names)
    return {name: texts[name] for name in names}


@pytest.mark.parametrize(("seed", "walk_rows"), [(1, 4096), (2, 4096), (3, 4096), (1, 3), (2, 1)])
def test_the_walk_over_all_confirmed_pairs_gives_the_deduplicators_groups(seed, walk_rows, monkeypatch):
    """The Dask client's walk (corpus.run.dask_dedup.walked) over every confirmed pair, in input order, gives the
    groups the local Deduplicator gives meeting the documents one by one, on inputs made to match several; also
    when it turns the pairs into Python objects a few at a time (``walk_rows``), and with each one's words."""
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    import dask
    import numpy as np

    from corpus.dedup.deduplicator import Deduplicator, band_keys32
    from corpus.dedup.minhash import (
        MinHashParams,
        UnionFind,
        confirmed,
        estimated_jaccard,
    )
    from corpus.run import dask_dedup
    from corpus.run.dask_dedup import walked

    monkeypatch.setattr(dask_dedup, "WALK_ROWS", walk_rows)

    params = MinHashParams()
    sigs = list(signatures(cuts_and_roundups(seed)).values())
    local = Deduplicator(params)
    for index, sig in enumerate(sigs):
        local.add(index, sig, f"{index:032x}")
    keys = [set(band_keys32(s.hashvalues, params).tolist()) for s in sigs]  # candidates: a band key in common
    pairs = [(a, b, estimated_jaccard(sigs[b], sigs[a])) for a, b in itertools.combinations(range(len(sigs)), 2)
             if keys[a] & keys[b]]
    pairs = [(a, b, j) for a, b, j in pairs if confirmed(sigs[b], sigs[a], j, params)]
    assert len(pairs) > len(sigs)  # documents that match several
    frame = pd.DataFrame({"a": [p[0] for p in pairs], "b": [p[1] for p in pairs], "jaccard": [p[2] for p in pairs],
                          "words_a": [sigs[p[0]].words for p in pairs], "words_b": [sigs[p[1]].words for p in pairs]})
    table = pd.DataFrame({"doc": np.arange(len(sigs)), "hv": [s.hashvalues.astype(np.uint32).tobytes() for s in sigs],
                          "shingles": [s.shingles for s in sigs], "words": [s.words for s in sigs],
                          "tags": [s.tags.astype(np.uint8).tobytes() for s in sigs]})
    with dask.config.set({"dataframe.convert-string": False}):  # as the executor runs it: bytes stay bytes
        union, words = walked([frame.sort_values(["b", "a"])], dd.from_pandas(table, npartitions=2), params)
    assert all(words.get(d) == sigs[d].words for p in pairs for d in p[:2])
    assert words.get(len(sigs) + 5, -1) == -1  # in no pair
    mine = sorted(sorted(g) for g in union.groups())
    theirs = sorted(sorted(g) for g in local._groups.groups())
    assert mine == theirs
    components = UnionFind()
    for a, b, _ in pairs:
        components.union(a, b)
    assert len(theirs) > len(components.groups())  # the rule kept groups apart that the pairs connect


def test_dask_groups_a_roundup_feed_as_the_local_executor_does(tmp_path, scheduler):
    """Roundups, cuts and copies in one feed: the Dask executor's records are the local ones, byte for byte, in batch
    and --stream runs."""
    texts = cuts_and_roundups(4)
    source = feed(tmp_path, texts, list(texts))
    code, local, err = ingest(source, "--keep-duplicates", "--workers", "1", "-q")
    assert code == 0, err
    assert local.count(b'"duplicate_of"') >= 5
    code, out, err = ingest(source, "--keep-duplicates", "-q", "--executor", "dask", "--scheduler", scheduler)
    assert code == 0, err
    assert out == local
    code, local, err = ingest(source, "--keep-duplicates", "--workers", "1", "-q", "--stream")
    assert code == 0, err
    code, out, err = ingest(source, "--keep-duplicates", "-q", "--stream", "--executor", "dask", "--scheduler",
                            scheduler)
    assert code == 0, err
    assert out == local
