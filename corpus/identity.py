"""Record ids: what a document is, never where it sits.

A record's ``id`` is derived from the bytes of its input record (the page, the WARC payload,
the JSONL line), so moving, renaming or re-piping a crawl changes nothing, and ``clean |
dedup`` gives the ids ``ingest`` gives. Three things make ids unique where bytes alone would
not:

- **Within a run**, the n-th byte-identical copy gets the (n-1)-th copy's id re-hashed
  (:meth:`RunIdentities.assign`): two copies are two documents, one a duplicate of the other.
- **Across nights**, a document whose id an earlier run already stored is a re-delivery: it
  gets its id re-hashed with this run's fingerprint (:func:`redelivered_id`) and becomes
  ``duplicate_of`` the stored record, never of itself.
- **A rerun** is told from a re-delivery by the run's fingerprint, a hash of the set of every
  document's id, in any order (:class:`RunFingerprint`: ``find | sort`` or the PATHs in another
  order are the same run), which batch mode knows before it decides anything: a run whose
  fingerprint the state already holds is a rerun and sees the state as it was before that run,
  so its output is byte-identical.

A crawler's own id is kept as ``source_id``; it decides nothing (crawlers reuse them).
"""

from __future__ import annotations

import hashlib
import re
from array import array

ID_SCHEME = "content-sha256/1"  # stored in --state: ids of another scheme cannot be compared


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def record_id(record_sha256: str) -> str:
    """The id of the first copy of these record bytes in a run."""
    return _short(f"{ID_SCHEME}:{record_sha256}")


def next_copy_id(doc_id: str) -> str:
    """The id of the next byte-identical copy in the same run."""
    return _short(f"{doc_id}+copy")


def redelivered_id(doc_id: str, run_key: str) -> str:
    """The id of a document an earlier run already stored under ``doc_id``."""
    return _short(f"{doc_id}@{run_key}")


class RunIdentities:
    """Final ids in input order: byte-identical copies in one run get distinct ids.

    Holds one 64-bit key per distinct id seen (the run's only per-document cost here), in an
    open-addressing table of at most half full (8 to 32 bytes a document, not a Python int in a set).
    """

    def __init__(self) -> None:
        self._seen = _KeySet()

    def assign(self, doc_id: str) -> str:
        while not self._seen.add(int(doc_id[:16], 16) if is_content_id(doc_id) else hash(doc_id)):
            doc_id = next_copy_id(doc_id)
        return doc_id


class _KeySet:
    """A set of 64-bit keys in one ``array('Q')`` (linear probing; 0 marks a free slot, key 0 is held apart)."""

    def __init__(self) -> None:
        self._table = array("Q", bytes(8 * 1024))
        self._count = 0
        self._zero = False

    def add(self, key: int) -> bool:
        """Add ``key`` (any int; taken modulo 2**64): False if it was there already."""
        key &= _MASK
        if key == 0:
            seen, self._zero = self._zero, True
            return not seen
        if 2 * (self._count + 1) > len(self._table):
            self._grow()
        table, mask = self._table, len(self._table) - 1
        slot = (key ^ (key >> 32)) & mask
        while table[slot]:
            if table[slot] == key:
                return False
            slot = (slot + 1) & mask
        table[slot] = key
        self._count += 1
        return True

    def _grow(self) -> None:
        old = self._table
        self._table = array("Q", bytes(16 * len(old)))
        self._count = 0
        for key in old:
            if key:
                self.add(key)


_MASK = (1 << 64) - 1


_CONTENT_ID = re.compile("[0-9a-f]{32}")


def is_content_id(text: str) -> bool:
    """An id newsclean gives (32 lowercase hex digits: 16 bytes in memory and in the state); a crawler's is kept
    as it is."""
    return _CONTENT_ID.fullmatch(text) is not None


class RunFingerprint:
    """What a run read, as one hash: the same inputs (same bytes, anywhere, in any order) give the same value.

    A multiset hash: the sum, modulo 2**256, of each id's SHA-256, with the count of documents; it
    needs no memory per document and no order (the ids themselves do not depend on input order: the
    n-th byte-identical copy gets the n-th copy id whichever file it is in). :meth:`ordered_hexdigest`
    is the fingerprint newsclean stored before (ids in input order), so that a rerun of a night run by
    an earlier version is still recognised.
    """

    def __init__(self) -> None:
        self._sum = 0
        self._ordered = hashlib.sha256(ID_SCHEME.encode())
        self.documents = 0

    def add(self, doc_id: str) -> None:
        self._sum = (self._sum + int.from_bytes(hashlib.sha256(doc_id.encode()).digest(), "big")) % (1 << 256)
        self._ordered.update(doc_id.encode() + b"\n")
        self.documents += 1

    def hexdigest(self) -> str:
        return hashlib.sha256(f"{ID_SCHEME}:set:{self.documents}:{self._sum:064x}".encode()).hexdigest()

    def ordered_hexdigest(self) -> str:
        """The input-order fingerprint of earlier versions (read only to recognise their runs)."""
        return self._ordered.hexdigest()
