"""The SQLite state's band entries in memory, as tags only: which of a lookup's band keys some stored
record has, and how many records at most, without a B-tree search per band.

A lookup has 42 band keys; each is a search in the ``bands`` table's B-tree, about 1.5 µs of cache
misses each at 1,000,000 records, most of the lookup's time, and all but a few of them find nothing.
This index holds every stored entry's key (its bucket and 16-bit tag, see
:mod:`corpus.dedup.state_layout`) as a 16-bit value in a block of 64 slots chosen by the key's top
bits: a band is asked in one gathered comparison of its block. The count it gives is never below the
number of stored entries with that key (keys that share a block and a value only add to it; the few
entries of a full block are kept apart, in ``_spilled``), so a band whose count is 0 has no stored
entry, and a band whose count the records already found account for has no other: the state reads
only the buckets it must (:meth:`TagIndex.lookup`). A count too high costs a read, never a candidate:
entries rolled back may stay. About 3.3 bytes of memory a band entry (138 bytes a stored record at
1,000,000 records); read from the ``bands`` table once a run (:data:`corpus.dedup.state.TAGS_AFTER`).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np

from corpus.dedup.minhash import MinHashParams, StoredRecord
from corpus.dedup.state_layout import ENTRY, records_of, rows_with_entries, stored_record

SLOTS = 64  # 16-bit values a block: 128 bytes, two cache lines read for a band
LOAD = 46  # band entries a block at most on average (23 to 46, blocks being 2^k): about 1 block in 2,000 spills
SPILLED = 2  # the last slot of a block that has spilled entries (values are odd: never a value)
KEY_BITS = 36  # keys are bucket << 16 | tag: below 2^36
_ODD = np.uint16(1)
ENTRY_ROW = "newsclean_entry_row"  # the SQL function of entry_row, on the state's connection
# the record of the one entry of a bucket with a tag, in one query: (tag as 2 bytes, bucket)
ONE_ENTRY = ("SELECT d.rowid, d.id, i.text, d.shingles, d.words, d.signature, d.run FROM docs d "
             f"JOIN instants i ON i.n = d.first_seen WHERE d.rowid = (SELECT {ENTRY_ROW}(entries, ?) FROM bands "
             "WHERE bucket = ?)")


def entry_row(entries: bytes, tag: bytes) -> int | None:
    """The rowid of the first entry of a bucket's ``entries`` with this tag (2 bytes), or None."""
    at = entries.find(tag)
    while at >= 0:
        if at % ENTRY.itemsize == 0:
            return int.from_bytes(entries[at + 2: at + ENTRY.itemsize], "little")
        at = entries.find(tag, at + 1)
    return None


class TagIndex:
    """Upper bounds of the number of stored band entries with a key (bucket << 16 | tag)."""

    def __init__(self, chunks: Iterable[np.ndarray], entries: int) -> None:
        """``chunks``: every stored entry's key (uint64 arrays); ``entries``: how many there are."""
        self._bits = max(10, min(KEY_BITS, ((max(entries, 1) - 1) // LOAD).bit_length()))
        self.blocks = 1 << self._bits
        self._shift = np.uint64(KEY_BITS - self._bits)  # a block is the top bits of a key
        self.capacity = 2 * max(entries, 1024 * LOAD)  # past this many (adds included), rebuild it: see full
        self.entries = 0
        self._slots = np.zeros((self.blocks, SLOTS), dtype=np.uint16)  # 0: empty (values are odd)
        self._fill = np.zeros(self.blocks, dtype=np.uint32)  # entries of each block, spilled ones included
        spilled = [np.zeros(0, dtype=np.uint64)]
        for keys in chunks:
            spilled.append(self._place(keys))
        self._spilled = np.sort(np.concatenate(spilled))  # block << 16 | value of each entry a full block left out
        self._spilled_since: dict[int, int] = {}  # the same, for entries added after the index was built

    def _where(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keys = keys.astype(np.uint64, copy=False)
        return keys >> self._shift, keys.astype(np.uint16) | _ODD

    def _place(self, keys: np.ndarray) -> np.ndarray:
        """Put entries in their blocks; returns the ones full blocks leave out, as block << 16 | value."""
        self.entries += len(keys)
        block, value = self._where(keys)
        if not len(block):
            return block
        if (block[1:] < block[:-1]).any():  # keys come in bucket order: blocks too, unless finer
            order = np.argsort(block, kind="stable")
            block, value = block[order], value[order]
        block = block.astype(np.int64)
        starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
        runs = np.diff(np.r_[starts, len(block)])
        first = block[starts]
        filled = self._fill[first].astype(np.int64)
        self._fill[first] = filled + runs
        position = np.arange(len(block)) - np.repeat(starts - filled, runs)  # the next free slot of its block, on
        kept = position < SLOTS - 1
        self._slots.reshape(-1)[block[kept] * SLOTS + position[kept]] = value[kept]
        self._slots[block[~kept], SLOTS - 1] = SPILLED
        return (block[~kept].astype(np.uint64) << np.uint64(16)) | value[~kept].astype(np.uint64)

    @property
    def full(self) -> bool:
        """More entries were added than it was built for: its blocks spill too much, a rebuild is due."""
        return self.entries > self.capacity

    @property
    def nbytes(self) -> int:
        return self._slots.nbytes + self._fill.nbytes + self._spilled.nbytes

    def add(self, keys: np.ndarray) -> None:
        """Entries added to the state after the index was built (a run's records, inside its transaction)."""
        block, value = self._where(keys)
        if len(np.unique(block)) == len(block) and (self._fill[block] < SLOTS - 1).all():  # the common case
            self._slots[block, self._fill[block]] = value
            self._fill[block] += 1
            self.entries += len(keys)
            return
        for b, v in zip(block.tolist(), value.tolist(), strict=True):
            if self._fill[b] < SLOTS - 1:
                self._slots[b, self._fill[b]] = v
            else:
                self._slots[b, SLOTS - 1] = SPILLED
                self._spilled_since[b << 16 | v] = self._spilled_since.get(b << 16 | v, 0) + 1
            self._fill[b] += 1
        self.entries += len(keys)

    def counts(self, keys: np.ndarray) -> np.ndarray | None:
        """For each key, a number of stored entries never below the number with that key; None when
        every one is 0 (no stored entry has any of these keys)."""
        block, value = self._where(keys)
        slots = self._slots.take(block, axis=0)
        same = slots == value[:, None]
        # count_nonzero and add.reduce, where ndarray.any and sum went through numpy's Python wrappers: a microsecond
        # each, three a lookup
        spilled = slots[:, -1]
        if not np.count_nonzero(spilled):
            return np.add.reduce(same, axis=1) if np.count_nonzero(same) else None
        counts = np.add.reduce(same, axis=1)
        over = np.flatnonzero(spilled)  # full blocks: their spilled entries too
        spilled = (block[over] << np.uint64(16)) | value[over].astype(np.uint64)
        counts[over] += np.searchsorted(self._spilled, spilled, "right") - np.searchsorted(self._spilled, spilled)
        if self._spilled_since:
            counts[over] += [self._spilled_since.get(key, 0) for key in spilled.tolist()]
        return counts if np.count_nonzero(counts) else None

    def lookup(self, db: sqlite3.Connection, keys: np.ndarray, hashvalues: np.ndarray,
               params: MinHashParams) -> list[StoredRecord]:
        """The stored records with an entry of these keys (a signature's, ``hashvalues``), in rowid order:
        see :meth:`corpus.dedup.state.StateIndex.lookup`. A band whose count is 1 is read first when there is
        one, its bucket and its record in one query (:data:`ONE_ENTRY`): a near-copy's usual case. Written
        for few numpy calls: a lookup's arrays are small, each call costs more than its work."""
        counts = self.counts(keys)
        if counts is None:
            return []
        width = params.bands * params.rows
        band = f"V{4 * params.rows}"  # a band's values as one item: bands compared in one step
        values = np.ascontiguousarray(hashvalues[:width], dtype=np.uint32).view(band)
        found: dict[int, StoredRecord] = {}
        first = int((counts == 1).argmax())
        if counts[first] == 1:  # at most one entry with this key: found in the bucket by the query itself
            key = int(keys[first])
            counts[first] = 0
            for row in db.execute(ONE_ENTRY, ((key & 0xFFFF).to_bytes(2, "little"), key >> 16)):
                found[row[0]] = rec = stored_record(row)
                counts -= rec.signature.hashvalues[:width].view(band) == values
            ask = np.flatnonzero(counts > 0)
            if not len(ask):
                return list(found.values())
        else:
            ask = np.flatnonzero(counts)[:1]
        while len(ask):
            counts[ask] = 0  # its bucket read: every record with the key found
            for row, rec in records_of(db, rows_with_entries(db, keys[ask].tolist()) - found.keys()).items():
                found[row] = rec
                counts -= rec.signature.hashvalues[:width].view(band) == values
            ask = np.flatnonzero(counts > 0)
        return [found[row] for row in sorted(found)]
