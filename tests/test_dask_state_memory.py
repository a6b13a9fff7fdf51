"""What the Dask client and workers hold of a state (issue 27): it reads the stored records through SQLite's page
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
    with Client(scheduler) as client, dask.config.set({"dataframe.convert-string": False}):
        chunks = dask_dedup.state_chunks(state, client)
        ids = []
        for chunk in chunks:
            ids += list(chunk.result().id)
            del chunk
        assert ids == [f"{n:032x}" for n in range(23)]
    assert [size for size, _ in sent] == [5, 5, 5, 5, 3]
    # each chunk is sent before the next is read: the client holds one chunk of rows at a time
    assert [seen for _, seen in sent] == [5, 10, 15, 20, 23]


def test_the_state_is_matched_a_window_of_chunks_at_a_time_and_finds_the_copies(tmp_path, scheduler, monkeypatch):
    """The earlier nights' records are never all on a worker: each chunk is matched against the run's band keys
    and let go, at most ``STATE_WINDOW`` of them on the cluster at a time; the copies are found all the same."""
    dask = pytest.importorskip("dask")
    from types import SimpleNamespace

    from distributed import Client

    from corpus.dedup.cluster_graph import frame_of
    from corpus.dedup.minhash import signature
    from corpus.run import dask_dedup

    params = MinHashParams()
    texts = [" ".join(f"{word}{n}" for word in ("harbour", "council", "ferry", "budget", "storm") * 12)
             for n in range(4)]
    index = StateIndex(str(tmp_path / "state.db"), params)
    rng = np.random.default_rng(2)
    index.begin()
    for n in range(23):
        sig = signature(texts[n // 10], params) if n in (3, 17) else \
            Signature(rng.integers(0, 2**32, params.num_perm, dtype=np.uint32), 300, 320)
        index.add(f"{n:032x}", f"/c/{n}.html", sig, "2026-01-01T00:00:00+00:00", 1)
    index.commit(1, "night-1", "2026-01-01T00:00:00+00:00")
    monkeypatch.setattr(dask_dedup, "STATE_CHUNK", 5)
    monkeypatch.setattr(dask_dedup, "STATE_WINDOW", 2)
    events = []
    real_scattered, real_result = dask_dedup.scattered, dask_dedup.result
    monkeypatch.setattr(dask_dedup, "scattered", lambda *a, **k: events.append("sent") or real_scattered(*a, **k))
    monkeypatch.setattr(dask_dedup, "result", lambda *a, **k: events.append("done") or real_result(*a, **k))
    chosen = [(i, f"{i + 100:032x}", SimpleNamespace(signature=signature(t, params))) for i, t in enumerate(texts)]
    parts = [chosen[:2], chosen[2:]]
    with Client(scheduler), dask.config.set({"dataframe.convert-string": False}):
        sigs = frame_of(parts, dask_dedup.signature_rows, dask_dedup.SIGNATURE_COLUMNS)
        found = dask_dedup.earlier_matches(parts, sigs, index, params)
    index.close()
    assert found == {0: [("2026-01-01T00:00:00+00:00", f"{3:032x}", 1)],
                     1: [("2026-01-01T00:00:00+00:00", f"{17:032x}", 1)]}
    assert events.count("sent") == 5
    on_cluster = 0
    for event in events:
        on_cluster += 1 if event == "sent" else -1
        assert on_cluster <= 2
