"""RunIdentities keeps its keys in a compact table: it must answer as a set of the same keys would."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from corpus.identity import RunIdentities, _KeySet, next_copy_id


@given(st.lists(st.integers(min_value=-(2**70), max_value=2**70), max_size=300))
def test_the_key_set_answers_as_a_set_of_the_keys_modulo_2_64(keys):
    table, seen = _KeySet(), set()
    for key in keys:
        assert table.add(key) == (key % 2**64 not in seen)
        seen.add(key % 2**64)


def test_the_key_set_grows_and_keeps_every_key():
    rng = random.Random(5)
    keys = [rng.getrandbits(64) for _ in range(20_000)] + [0, 1, 2**64 - 1]
    table = _KeySet()
    assert all(table.add(k) for k in keys), "distinct keys are all new"
    assert not any(table.add(k) for k in keys), "and all known once added, after the table grew"


def test_copies_get_the_ids_a_set_of_keys_gave():
    ids = [f"{random.Random(n % 50).getrandbits(128):032x}" for n in range(400)] + ["not-hex", "not-hex"]
    seen: set[int] = set()
    expected = []
    for doc_id in ids:  # the rule as it was, with a Python set
        while (key := int(doc_id[:16], 16) if len(doc_id) == 32 and doc_id.isalnum() else hash(doc_id)) in seen:
            doc_id = next_copy_id(doc_id)
        seen.add(key)
        expected.append(doc_id)
    identities = RunIdentities()
    assert [identities.assign(doc_id) for doc_id in ids] == expected
    assert len(set(expected)) == len(ids)
