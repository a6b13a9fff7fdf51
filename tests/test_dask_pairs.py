"""Dask's candidate pairs for one story delivered N times grow with N, not N squared (issue 27), and the groups
the client's walk finds from them are still the local Deduplicator's."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("dask")
import dask  # noqa: E402

from corpus.dedup.deduplicator import Deduplicator  # noqa: E402
from corpus.dedup.minhash import MinHashParams, signature  # noqa: E402
from corpus.run import dask_dedup, dask_pairs  # noqa: E402

STORY = ("The regional water authority said on Monday that reservoir levels had fallen to their lowest point in "
         "thirty years after the driest summer on record.\n\nEngineers have started pumping water from two disused "
         "quarries into the main reservoir, a measure last used during the drought of 1995.\n\nHouseholds in the "
         "northern districts have been asked to cut their use by a fifth, and a ban on watering gardens with hoses "
         "will start next week.\n\nThe authority said the measures would stay in place until the end of the "
         "year at least, and that a second pumping station could open in the spring if the winter stayed dry.")
WORDS = ["council", "harbour", "bridge", "minister", "budget", "river", "station", "league", "court", "strike",
         "market", "school", "hospital", "museum", "election", "railway", "festival", "storm", "harvest", "ferry",
         "tunnel", "orchard", "library", "bakery"]


def copies(n: int) -> list[str]:
    """One story ``n`` times: half byte-identical, half with a line of their own (near-identical: estimated
    Jaccard about 0.94 with the story, over :data:`corpus.dedup.minhash.COVERED_JACCARD`)."""
    return [STORY if i % 2 == 0 else f"{STORY}\n\nFiled by the news desk, copy {i:04d}." for i in range(n)]


def mixed(seed: int) -> list[str]:
    """Stories, their copies (exact, near, cut), roundups of two and texts that share a paragraph, shuffled."""
    rng = np.random.default_rng(seed)

    def story() -> str:
        return "\n\n".join(" ".join(rng.choice(WORDS, 16)) + "." for _ in range(4))

    stories = [story() for _ in range(6)]
    texts = list(stories)
    for s in stories[:4]:
        paragraphs = s.split("\n\n")
        texts += [s, s, s + "\n\nFiled by the desk.", "\n\n".join(paragraphs[:3]), "\n\n".join(paragraphs[1:])]
    texts += [stories[0] + "\n\n" + stories[1], stories[2].split("\n\n")[0] + "\n\n" + story()]
    return [texts[i] for i in rng.permutation(len(texts))]


def parts(texts: list[str], params: MinHashParams, size: int = 7) -> list[list]:
    """The documents as the cluster's partitions hold them (index, id, processed), ``size`` a partition."""
    chosen = [(i, f"{i:032x}", SimpleNamespace(signature=signature(t, params))) for i, t in enumerate(texts)]
    return [chosen[k:k + size] for k in range(0, len(chosen), size)]


def pair_count(texts: list[str], params: MinHashParams, size: int = 7, shuffled: int | None = None) -> int:
    """Candidate pairs, the band rows shuffled into ``shuffled`` partitions (one: all in one task)."""
    pieces = parts(texts, params, size)
    rows = dask_dedup.frame_of(pieces, dask_dedup.band_rows, dask_dedup.BUCKETS, params)
    sigs = dask_dedup.frame_of(pieces, dask_dedup.signature_rows, dask_dedup.SIGNATURE_COLUMNS)
    return len(dask_pairs.candidate_pairs(rows, sigs, params, shuffled).compute())


def dask_groups(texts: list[str], params: MinHashParams, size: int = 7, per_partition: int = 5) -> list[list[int]]:
    """The groups the cluster finds, its dedup tables in partitions of ``per_partition`` documents (a run's
    default puts a small run in one, where no shuffle is needed)."""
    edges, sigs = dask_dedup.confirmed_edges(parts(texts, params, size), params, len(texts), per_partition)
    ordered = edges.compute().sort_values(["b", "a"], kind="stable")
    union, _ = dask_dedup.walked([ordered], sigs, params)
    return sorted(sorted(g) for g in union.groups())


def local_groups(texts: list[str], params: MinHashParams) -> list[list[int]]:
    dedup = Deduplicator(params)
    for i, text in enumerate(texts):
        dedup.add(i, signature(text, params), f"{i:032x}")
    return sorted(sorted(g) for g in dedup._groups.groups())


@pytest.fixture(autouse=True)
def _threads():
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):
        yield


@pytest.mark.parametrize("shuffled", [None, 3, 1])
def test_a_story_delivered_n_times_proposes_about_n_pairs_not_n_squared(shuffled: int | None):
    params = MinHashParams()
    small, large = pair_count(copies(40), params, shuffled=shuffled), pair_count(copies(160), params, shuffled=shuffled)
    assert small <= 2 * 40 and large <= 2 * 160  # all pairs would be 780 and 12,720
    assert large <= 4.5 * small  # four times the copies, about four times the pairs


@pytest.mark.parametrize("per_partition", [5, dask_pairs.DOCS_PER_PARTITION])
def test_the_groups_from_the_fewer_pairs_are_the_local_runs(per_partition: int):
    params = MinHashParams()
    assert dask_groups(copies(30), params, per_partition=per_partition) == local_groups(copies(30), params) \
        == [list(range(30))]
    for seed in range(4):
        texts = mixed(seed)
        assert dask_groups(texts, params, per_partition=per_partition) == local_groups(texts, params), seed


def test_a_run_s_dedup_tables_are_sized_by_its_documents_not_by_the_cluster_s_partitions():
    assert dask_pairs.dedup_partitions(1) == dask_pairs.dedup_partitions(dask_pairs.DOCS_PER_PARTITION) == 1
    assert dask_pairs.dedup_partitions(dask_pairs.DOCS_PER_PARTITION + 1) == 2
    assert dask_pairs.dedup_partitions(1_000_000, 50_000) == 20


def test_copies_whose_first_is_not_first_in_its_bands_still_cost_about_n_pairs():
    """The first copy shares a band with an earlier text (a cut of it), so no band has it first everywhere:
    the byte-identical copies are still known to be covered by their equal signatures."""
    params = MinHashParams()
    cut = "\n\n".join(STORY.split("\n\n")[:2])
    texts = [cut] + [STORY] * 60
    assert pair_count(texts, params) <= 2 * len(texts)
    assert dask_groups(texts, params) == local_groups(texts, params)


def test_near_copies_on_both_sides_of_the_covered_threshold_still_cost_about_n_pairs():
    """Near copies of a short story match it at about 0.9, some under: the first of those is in the local band
    index too, and covers the copies after it; the rounds find that before the walk."""
    params = MinHashParams()
    short = "\n\n".join(STORY.split("\n\n")[:3])

    def near(n: int) -> list[str]:
        return [short if i % 2 == 0 else f"{short}\n\nFiled by the news desk, copy {i}." for i in range(n)]

    small, large = pair_count(near(100), params, 50), pair_count(near(400), params, 50)
    assert small <= 3 * 100 and large <= 3 * 400  # all pairs: 4,950 and 79,800
    assert pair_count(near(400), params, 50, shuffled=1) == large  # the rounds in one task find as much
    assert dask_groups(near(100), params, 50) == local_groups(near(100), params)
    assert dask_groups(near(100), params, 50, per_partition=1000) == local_groups(near(100), params)
