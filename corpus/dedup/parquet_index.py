"""The earlier nights of a Parquet state, for the local executor's lookups: compact arrays, signatures on disk.

In memory per stored record: its shingle and word counts and run (4 bytes each), its id and first-seen
instant as Arrow strings (the instants dictionary-encoded: a night's records share a handful), and per LSH
band 4 bytes of key and 4 of record: about 400 bytes with the default parameters (42 bands), where Python
objects per record and per band entry took about 14 KB (issue 27). The signatures (512 bytes a record) are
written to a temporary file and mapped: a lookup reads only its candidates' pages, which the system may drop
again. Whether an id is stored already is asked of the files at the commit, for the run's new records only.

Files are read one part and one band at a time, a batch of rows at a time, so little is left behind in the
allocators. A band key is kept as its low 32 bits within its band: an accidental equality only adds a
candidate, which the caller confirms on the signatures.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup.minhash import MinHashParams, Signature, StoredRecord
from corpus.dedup.state import StateError, band_keys

BATCH_ROWS = 8_192
"""Rows read at a time (a small batch leaves less behind in the allocator: 65,536 cost 150 MB more at 300,000)."""


DOC_COLUMNS = ["row", "id", "first_seen", "run", "shingles", "words", "signature"]


def open_part(path: Path, columns: list[str]) -> Any:  # noqa: ANN401 - pyarrow.parquet.ParquetFile
    """A part's Parquet file, with the columns a reader needs; StateError naming it when it cannot be read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise StateError(f"{path} cannot be read ({err}): the state is damaged") from err
    missing = [c for c in columns if c not in parquet.schema_arrow.names]
    if missing:
        raise StateError(f"{path} has no column {', '.join(missing)}: the state is damaged")
    return parquet


def rows_of(path: Path) -> int:
    parquet = open_part(path, DOC_COLUMNS)
    try:
        return parquet.metadata.num_rows
    finally:
        parquet.close()


class ParquetIndex:
    """Lookups and the stored-id test over the parts of a Parquet state (see the module's docstring)."""

    def __init__(self, folders: list[Path], params: MinHashParams) -> None:
        import pyarrow as pa

        self.params = params
        docs = [f / "docs.parquet" for f in folders if (f / "docs.parquet").exists()]
        count = sum(rows_of(path) for path in docs)
        self._spill = tempfile.TemporaryFile(prefix="newsclean-signatures-")  # noqa: SIM115 - closed by close()
        self._sizes = np.empty((count, 3), dtype=np.int32)  # shingles, words, run
        rows = np.empty(count, dtype=np.int64)
        ids, seen = [], []
        at = 0
        for path in docs:  # one part open at a time: a reader holds what it has buffered until it is closed
            parquet = open_part(path, DOC_COLUMNS)
            try:
                for batch in parquet.iter_batches(BATCH_ROWS, columns=DOC_COLUMNS):
                    n = batch.num_rows
                    self._spill.write(_signatures(batch.column("signature"), params.num_perm, path).tobytes())
                    for k, name in enumerate(("shingles", "words", "run")):
                        self._sizes[at: at + n, k] = batch.column(name).to_numpy()
                    rows[at: at + n] = batch.column("row").to_numpy()
                    ids.append(batch.column("id"))
                    seen.append(batch.column("first_seen").dictionary_encode())
                    at += n
            except (pa.ArrowException, OSError, KeyError, ValueError, TypeError) as err:
                raise StateError(f"{path} cannot be read ({type(err).__name__}: {err}): the state is damaged") from err
            finally:
                parquet.close()
                pa.default_memory_pool().release_unused()  # what reading the part left in Arrow's allocator
        self._ids = pa.chunked_array(ids, pa.string()) if ids else pa.chunked_array([], pa.string())
        self._seen = pa.chunked_array(seen) if seen else None
        self._spill.flush()
        self._values = np.memmap(self._spill, dtype="<u4", mode="r", shape=(count, params.num_perm)) if count \
            else np.empty((0, params.num_perm), dtype=np.uint32)
        self._bands = self._load_bands(folders, rows)

    def _load_bands(self, folders: list[Path], rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per band: (sorted low 32 bits of the keys, the position of each key's record)."""
        import pyarrow.parquet as pq

        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        bands = []
        for band in range(self.params.bands):
            keys, positions = [], []
            for folder in folders:
                for path in sorted((folder / "bands" / f"band={band}").glob("*.parquet")):
                    if not len(sorted_rows):
                        continue
                    table = pq.read_table(path, columns=["key", "row"])
                    wanted = table.column("row").to_numpy()
                    found = np.minimum(np.searchsorted(sorted_rows, wanted), len(sorted_rows) - 1)
                    known = sorted_rows[found] == wanted  # a band entry of a record docs.parquet lacks is left out
                    keys.append(table.column("key").to_numpy()[known].astype(np.uint32))
                    positions.append(order[found[known]].astype(np.int32))
            band_keys_ = np.concatenate(keys) if keys else np.empty(0, np.uint32)
            band_positions = np.concatenate(positions) if positions else np.empty(0, np.int32)
            by_key = np.argsort(band_keys_, kind="stable")
            bands.append((band_keys_[by_key], band_positions[by_key]))
        return bands

    def __len__(self) -> int:
        return len(self._values)

    def nbytes(self) -> int:
        """What the arrays and Arrow columns hold in memory (the signatures are in the mapped file)."""
        arrow = self._ids.nbytes + (self._seen.nbytes if self._seen is not None else 0)
        bands = sum(k.nbytes + p.nbytes for k, p in self._bands)
        return self._sizes.nbytes + arrow + bands

    def lookup(self, sig: Signature) -> list[StoredRecord]:
        """Stored records sharing an LSH band key with ``sig`` (candidates to confirm), in stored order."""
        found: set[int] = set()
        for (keys, positions), key in zip(self._bands, band_keys(sig.hashvalues, self.params), strict=True):
            low = np.uint32(key & 0xFFFFFFFF)
            a, b = np.searchsorted(keys, low, "left"), np.searchsorted(keys, low, "right")
            if a < b:
                found.update(positions[a:b].tolist())
        return [self.record(i) for i in sorted(found)]

    def record(self, i: int) -> StoredRecord:
        shingles, words, run = self._sizes[i].tolist()
        assert self._seen is not None
        return StoredRecord(self._ids[i].as_py(), self._seen[i].as_py(),
                            Signature(np.array(self._values[i], dtype=np.uint32), shingles, words), run)

    def close(self) -> None:
        self._values = np.empty((0, self.params.num_perm), dtype=np.uint32)
        self._spill.close()


def _signatures(column: Any, num_perm: int, path: Path) -> np.ndarray:  # noqa: ANN401 - a pyarrow binary array
    """A batch's signature column as a (rows, num_perm) array, from the Arrow buffers without a bytes object
    per record; a signature of another length is damage, named."""
    import pyarrow as pa

    size = 4 * num_perm
    if not pa.types.is_binary(column.type) or column.null_count:
        raise StateError(f"{path}: the signature column holds {column.type} values or nulls: the state is damaged")
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset: column.offset + len(column) + 1]
    lengths = np.diff(offsets)
    if len(lengths) and (lengths != size).any():
        bad = int(np.flatnonzero(lengths != size)[0])
        raise StateError(f"{path}: a record's signature has {int(lengths[bad])} bytes, not {size}: cut short")
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[0] + size * len(column)] \
        if len(column) else np.empty(0, np.uint8)
    return data.view("<u4").reshape(len(column), num_perm)
