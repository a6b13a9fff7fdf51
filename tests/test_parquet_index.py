"""The Parquet state's in-memory index (issue 27): compact arrays and mapped signatures, the same answers as SQLite."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.dedup.minhash import MinHashParams, Signature, is_match

pytest.importorskip("pyarrow")

from corpus.dedup.parquet_state import ParquetState  # noqa: E402
from corpus.dedup.state import StateIndex  # noqa: E402

PARAMS = MinHashParams()


def nights(rng: np.random.Generator, count: int = 3, size: int = 400) -> list[list[tuple[str, Signature, str]]]:
    return [[(f"{n * size + i:032x}", Signature(rng.integers(0, 2**32, PARAMS.num_perm, dtype=np.uint32), 300, 320),
              f"2026-01-0{n + 1}T00:00:00+00:00") for i in range(size)] for n in range(count)]


def near_copy(sig: Signature, rng: np.random.Generator, changed: int = 20) -> Signature:
    values = sig.hashvalues.copy()
    values[rng.choice(PARAMS.num_perm, changed, replace=False)] = rng.integers(0, 2**32, changed, dtype=np.uint32)
    return Signature(values, sig.shingles, sig.words)


def fill(state, stored) -> None:  # noqa: ANN001 - either kind
    for run, night in enumerate(stored, 1):
        state.begin()
        for doc_id, sig, seen in night:
            state.add(doc_id, f"/in/{doc_id}.html", sig, seen, run)
        state.commit(run, f"night-{run}", night[0][2], "batch")


def matches(state, sig: Signature) -> list[tuple[str, str, int]]:  # noqa: ANN001 - either kind
    return sorted((r.id, r.first_seen, r.run) for r in state.lookup(sig) if is_match(sig, r.signature, PARAMS))


def test_lookups_give_what_the_sqlite_state_gives(tmp_path):
    rng = np.random.default_rng(7)
    stored = nights(rng)
    parquet, sqlite = ParquetState(str(tmp_path / "state") + "/", PARAMS), StateIndex(str(tmp_path / "s.db"), PARAMS)
    fill(parquet, stored)
    fill(sqlite, stored)
    records = [r for night in stored for r in night]
    queries = [near_copy(records[i][1], rng) for i in range(0, len(records), 37)]
    queries += [Signature(rng.integers(0, 2**32, PARAMS.num_perm, dtype=np.uint32), 300, 320) for _ in range(20)]
    found = 0
    for sig in queries:
        assert matches(parquet, sig) == matches(sqlite, sig)
        found += bool(matches(parquet, sig))
    assert found == len(range(0, len(records), 37))  # every near copy, nothing for the others
    (only,) = matches(parquet, records[401][1])
    assert only == (records[401][0], "2026-01-02T00:00:00+00:00", 2)
    sqlite.close()


def test_the_index_holds_no_object_per_record_and_maps_the_signatures(tmp_path):
    rng = np.random.default_rng(8)
    state = ParquetState(str(tmp_path / "state") + "/", PARAMS)
    fill(state, nights(rng, 2, 1_000))
    index = state.index
    assert len(index) == 2_000 and isinstance(index._values, np.memmap)
    assert index.nbytes() / len(index) < 8 * PARAMS.bands + 100  # band entries and a few numbers a record
    state.close()


def test_a_record_stored_already_is_not_stored_again(tmp_path):
    rng = np.random.default_rng(9)
    stored = nights(rng, 1, 50)
    state = ParquetState(str(tmp_path / "state") + "/", PARAMS)
    fill(state, stored)
    state.begin()
    for doc_id, sig, seen in stored[0][:10]:
        state.add(doc_id, "/again.html", sig, seen, 2)
    state.add(f"{999:032x}", "/new.html", stored[0][0][1], "2026-01-05T00:00:00+00:00", 2)
    assert state.commit(2, "night-2", "2026-01-05T00:00:00+00:00", "batch") == 1
    assert sorted(d[1] for d in state.stored_docs()) == sorted([r[0] for r in stored[0]] + [f"{999:032x}"])
