"""The batch run's line evidence plumbing: the key spool between passes and the batched sketch."""

from __future__ import annotations

import numpy as np

from corpus.clean.key_spool import KeySpool
from corpus.clean.repeated import SKETCH_BATCH_KEYS, SKETCH_SATURATION, RepeatedLines


def test_the_key_spool_gives_back_each_documents_arrays_in_order_every_time_it_is_read() -> None:
    rng = np.random.default_rng(3)
    docs = [tuple(rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64) for n in sizes)
            for sizes in [(3, 0, 2, 1, 4, 6), (0, 0, 0, 0, 0, 0), (40, 7, 0, 5, 0, 2), (1, 1, 1, 1, 1, 1)]]
    with KeySpool() as spool:
        for arrays in docs:
            spool.add(*arrays)
        for _ in range(2):  # the count pass, then the chrome pass
            back = list(spool)
            assert len(back) == len(docs)
            for wrote, read in zip(docs, back, strict=True):
                assert [a.tolist() for a in wrote] == [a.tolist() for a in read]
                assert all(a.dtype == np.uint64 for a in read)


def test_the_sketch_saturates_instead_of_wrapping_however_keys_are_batched() -> None:
    key = np.array([12345], dtype=np.uint64)
    many = RepeatedLines(threshold=2)
    many.sketch(np.repeat(key, SKETCH_SATURATION + 9000))  # one batch, past what a uint16 holds
    assert many._candidates(key).tolist() == [12345]
    assert all(int(row[row > 0].max()) == SKETCH_SATURATION for row in many._sketch)


def test_a_batched_sketch_proposes_what_one_document_at_a_time_would() -> None:
    rng = np.random.default_rng(5)
    pool = rng.integers(0, 2**64 - 1, size=500, dtype=np.uint64)
    docs = [rng.choice(pool, size=int(rng.integers(1, 60))) for _ in range(3000)]
    batched, single = RepeatedLines(threshold=3), RepeatedLines(threshold=3)
    for keys in docs:
        batched.sketch(keys)
        single.sketch(keys)
        single._sketch_pending()  # as before batching: every document added at once
    assert sum(len(k) for k in docs) > SKETCH_BATCH_KEYS  # several batches were flushed on the way
    batched._sketch_pending()
    assert np.array_equal(batched._sketch, single._sketch)
    probe = np.concatenate([pool, rng.integers(0, 2**64 - 1, size=200, dtype=np.uint64)])
    assert batched._candidates(probe).tolist() == single._candidates(probe).tolist()
