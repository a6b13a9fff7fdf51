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
- **A rerun** is told from a re-delivery by the run's fingerprint, a hash of every document's
  id in input order (:class:`RunFingerprint`), which batch mode knows before it decides
  anything: a run whose fingerprint the state already holds is a rerun and sees the state as
  it was before that run, so its output is byte-identical.

A crawler's own id is kept as ``source_id``; it decides nothing (crawlers reuse them).
"""

from __future__ import annotations

import hashlib

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

    Holds one small int per distinct id seen (the run's only per-document cost here).
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def assign(self, doc_id: str) -> str:
        while (key := int(doc_id[:16], 16) if _is_hex(doc_id) else hash(doc_id)) in self._seen:
            doc_id = next_copy_id(doc_id)
        self._seen.add(key)
        return doc_id


def _is_hex(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


class RunFingerprint:
    """What a run read, as one hash: the same inputs (same bytes, anywhere) give the same value."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256(ID_SCHEME.encode())
        self.documents = 0

    def add(self, doc_id: str) -> None:
        self._digest.update(doc_id.encode() + b"\n")
        self.documents += 1

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
