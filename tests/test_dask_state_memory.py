"""What the Dask client holds of a SQLite state (issue 27): it reads the stored records through SQLite's page
cache, not its memory map (a whole-table scan through the map leaves the file resident in the client), and
sends them to the cluster a chunk at a time, holding one chunk at most. The peak itself is measured by
bench/bench_state_memory.py (`make bench`)."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.dedup.minhash import MinHashParams, Signature
from corpus.dedup.state import StateIndex


@pytest.fixture
def state(tmp_path) -> StateIndex:
    params = MinHashParams()
    index = StateIndex(str(tmp_path / "state.db"), params)
    rng = np.random.default_rng(1)
    index.begin()
    for n in range(23):
        index.add(f"{n:032x}", f"/c/{n}.html", Signature(rng.integers(0, 2**32, params.num_perm, dtype=np.uint32),
                                                         300, 320), "2026-01-01T00:00:00+00:00", 1)
    index.commit(1, "night-1", "2026-01-01T00:00:00+00:00")
    yield index
    index.close()


def mmap_size(index: StateIndex) -> int:
    return index._db.execute("PRAGMA mmap_size").fetchone()[0]


def test_the_stored_records_are_scanned_without_the_memory_map_which_comes_back_after(state):
    mapped = mmap_size(state)
    assert mapped > 0  # lookups read through it
    rows = state.stored_docs()
    first = next(rows)
    assert mmap_size(state) == 0
    assert len(list(rows)) == 22 and first[1] == f"{0:032x}"
    assert mmap_size(state) == mapped
    partial = state.stored_docs()
    next(partial)
    partial.close()  # a scan given up half way gives the map back too
    assert mmap_size(state) == mapped


def test_the_client_sends_the_state_a_chunk_at_a_time_and_keeps_none(state, scheduler, monkeypatch):
    dask = pytest.importorskip("dask")
    from distributed import Client

    from corpus.run import dask_dedup

    monkeypatch.setattr(dask_dedup, "STATE_CHUNK", 5)
    read = []
    real_docs, real_scattered = state.stored_docs, dask_dedup.scattered

    def counted():
        for row in real_docs():
            read.append(row[0])
            yield row

    sent = []

    def scattered(client, frame, what, **kwargs):
        sent.append((len(frame), len(read)))
        return real_scattered(client, frame, what, **kwargs)

    monkeypatch.setattr(state, "stored_docs", counted)
    monkeypatch.setattr(dask_dedup, "scattered", scattered)
    with Client(scheduler), dask.config.set({"dataframe.convert-string": False}):
        bands, docs = dask_dedup.state_frames(state, MinHashParams())
        assert sorted(docs.compute().id) == [f"{n:032x}" for n in range(23)]
        assert len(bands) == 23 * MinHashParams().bands
    assert [size for size, _ in sent] == [5, 5, 5, 5, 3]
    # each chunk is sent before the next is read: the client holds one chunk of rows at a time
    assert [seen for _, seen in sent] == [5, 10, 15, 20, 23]
