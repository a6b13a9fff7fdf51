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

import bisect
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup.minhash import MinHashParams, Signature, StoredRecord
from corpus.dedup.state import StateError, band_keys
from corpus.inputs.storage import filesystem, is_url

BATCH_ROWS = 8_192
"""Rows read at a time (a small batch leaves less behind in the allocator: 65,536 cost 150 MB more at 300,000)."""


DOC_COLUMNS = ["row", "id", "first_seen", "run", "shingles", "words", "signature"]


class Place:
    """Where a Parquet state's files are: a local folder, or a prefix in object storage (``s3://bucket/state``,
    through fsspec, with the credentials and endpoint of the standard environment, as inputs and outputs are).
    Paths are strings joined with "/", URLs with their scheme for a remote state (what messages show); every
    read and write of the state goes through here."""

    def __init__(self, root: str) -> None:
        self.remote = is_url(root)
        self.root = root
        self.fs = filesystem(root)[0] if self.remote else None
        self._keys: list[str] | None = None  # object storage: every object under the root, listed once

    def __call__(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def key(self, path: str) -> str:
        """The path as the backend (and pyarrow, given it) takes it: no scheme."""
        return path.split("://", 1)[1] if self.remote else path

    def _listed(self) -> list[str]:
        """Every object under the root (URLs, sorted), listed once (a request per 1,000 objects) and kept until
        this Place writes or removes one: a state is read under its lock, so only this run changes it, and a
        year of nightly parts costs a few listings, not a request for each part and band."""
        if self._keys is None:
            scheme = self.root.split("://", 1)[0] + "://"
            self.fs.invalidate_cache()  # another process (a run, a prune) may have written since this one listed
            try:
                found = self.fs.find(self.key(self.root))
            except FileNotFoundError:
                found = []
            self._keys = sorted(scheme + f for f in found)
        return self._keys

    def _under(self, path: str) -> list[str]:
        keys, prefix = self._listed(), path.rstrip("/") + "/"
        start = end = bisect.bisect_left(keys, prefix)
        while end < len(keys) and keys[end].startswith(prefix):
            end += 1
        return keys[start:end]

    def tops(self) -> set[str]:
        """The names directly under the root, from the listing (object storage)."""
        return {k[len(self.root) + 1:].split("/", 1)[0] for k in self._listed()}

    def _changed(self) -> None:
        self._keys = None

    def exists(self, path: str) -> bool:
        if not self.remote:
            return os.path.exists(path)
        keys = self._listed()
        at = bisect.bisect_left(keys, path)
        return at < len(keys) and keys[at] == path or bool(self._under(path))

    def files(self, path: str, suffix: str = ".parquet") -> list[str]:
        """Every file under ``path`` whose name ends with ``suffix``, in the order of their paths."""
        if not self.remote:
            return [str(p) for p in sorted(Path(path).rglob(f"*{suffix}"))]
        return sorted((f for f in self._under(path) if f.endswith(suffix)), key=lambda f: f.split("/"))

    def names(self) -> list[str]:
        """The names directly under the root (files and folders), sorted; [] when there is none."""
        if not self.remote:
            return sorted(os.listdir(self.root)) if os.path.isdir(self.root) else []
        self.fs.invalidate_cache(self.key(self.root))
        try:
            return sorted(n.rstrip("/").rsplit("/", 1)[-1] for n in self.fs.ls(self.key(self.root), detail=False))
        except FileNotFoundError:
            return []

    def read(self, path: str) -> bytes:
        if self.remote:
            return self.fs.cat_file(self.key(path))
        return Path(path).read_bytes()

    def read_versioned(self, path: str) -> tuple[bytes, str | None]:
        """(the bytes, the object's ETag: None locally); the ETag is asked first, so that a change between the
        two requests makes the later conditional write fail rather than pass."""
        if not self.remote:
            return Path(path).read_bytes(), None
        self.fs.invalidate_cache(self.key(path))
        tag = self.fs.info(self.key(path)).get("ETag")
        return self.fs.cat_file(self.key(path)), tag

    def version(self, path: str) -> str | None:
        """The object's ETag now (None when there is none, or locally)."""
        if not self.remote:
            return None
        self.fs.invalidate_cache(self.key(path))
        try:
            return self.fs.info(self.key(path)).get("ETag")
        except FileNotFoundError:
            return None

    def replace(self, path: str, data: bytes, tag: str | None) -> str | None:
        """Write ``data`` as ``path`` whole, in one step (the commit point); returns the new ETag. Locally a
        temporary file, synced, then ``os.replace``; in object storage one PUT, made conditional: on the ETag
        read (``If-Match``), or on there being none yet (``If-None-Match: *``), so that a ``state.json``
        another run wrote since this one read it is never overwritten."""
        if not self.remote:
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=os.path.dirname(path) or ".")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            return None
        self._changed()
        try:
            if tag is None:
                done = self.fs.pipe_file(self.key(path), data, mode="create")
            else:
                done = self.fs.pipe_file(self.key(path), data, IfMatch=tag)
        except OSError as err:
            if refused(err):
                raise StateError(f"{path} was changed by another run since this one read it: not overwritten (was "
                                 "the state's lock removed while a run held it?); run again") from err
            raise
        return (done or {}).get("ETag") or self.version(path)

    def remove(self, path: str) -> None:
        """A file or folder and all it holds; nothing when it is not there."""
        if not self.remote:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)
            return
        self._changed()
        with suppress(FileNotFoundError):
            self.fs.rm(self.key(path), recursive=True)

    def stage(self, name: str) -> str:
        """Where a part folder to be called ``name`` is written: locally a new temporary folder beside it (renamed
        by :meth:`publish`), after the leftovers of runs killed before their commit; in object storage the part's
        own prefix (no rename there), emptied first: a part no ``state.json`` lists is never read."""
        if self.remote:
            self.remove(self(name))
            return self(name)
        for leftover in Path(self.root).glob(".data-*"):  # a run killed before its commit
            shutil.rmtree(leftover, ignore_errors=True)
        self.remove(self(name))  # written by a run killed between its rename and its commit: never listed
        return tempfile.mkdtemp(prefix=f".{name}.", dir=self.root)

    def publish(self, staged: str, name: str) -> None:
        if not self.remote:
            os.replace(staged, self(name))

    def holds(self, staged: str) -> bool:
        return bool(self._under(staged)) if self.remote else any(Path(staged).iterdir())

    def size(self) -> int:
        if self.remote:
            self.fs.invalidate_cache()
            return sum(info["size"] for info in self.fs.find(self.key(self.root), detail=True).values())
        return sum(f.stat().st_size for f in Path(self.root).rglob("*") if f.is_file())

    def copy(self, source: str, target: str) -> None:
        if self.remote:
            self._changed()
            self.fs.copy(self.key(source), self.key(target))
        else:
            shutil.copy2(source, target)

    @property
    def arrow(self) -> Any:  # noqa: ANN401 - the filesystem pyarrow is given (None: local paths)
        return self.fs

    def parquet(self, path: str) -> Any:  # noqa: ANN401 - pyarrow.parquet.ParquetFile
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.key(path), filesystem=self.arrow)

    def read_table(self, path: str, columns: list[str] | None = None) -> Any:  # noqa: ANN401 - pyarrow.Table
        import pyarrow.parquet as pq

        return pq.read_table(self.key(path), columns=columns, filesystem=self.arrow)

    def tables(self, paths: list[str], columns: list[str]) -> Iterator[Any]:
        """The tables of these Parquet files, in order; in object storage fetched together first (the backend runs
        the requests concurrently: one at a time, a year of nightly parts would cost a round trip per band file)."""
        if not self.remote:
            for path in paths:
                yield self.read_table(path, columns)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        fetched = self.fs.cat([self.key(p) for p in paths], on_error="return") if paths else {}
        for path in paths:
            data = fetched.get(self.key(path))
            if isinstance(data, BaseException):
                raise StateError(f"{path} cannot be read ({data}): the state is damaged")
            yield pq.read_table(pa.BufferReader(data), columns=columns)

    def dataset(self, path: str) -> Any:  # noqa: ANN401 - pyarrow.dataset.Dataset
        import pyarrow.dataset as ds

        return ds.dataset(self.key(path), partitioning="hive", filesystem=self.arrow)

    def write_table(self, table: Any, path: str) -> None:  # noqa: ANN401
        import pyarrow.parquet as pq

        self._changed()
        pq.write_table(table, self.key(path), filesystem=self.arrow)

    def write_bands(self, table: Any, path: str) -> None:  # noqa: ANN401
        import pyarrow.dataset as ds

        self._changed()
        ds.write_dataset(table, self.key(path), format="parquet", partitioning=["band"], partitioning_flavor="hive",
                         filesystem=self.arrow)


def refused(err: BaseException) -> bool:
    """A conditional write or delete the store turned down (HTTP 412): s3fs gives FileExistsError for an object
    that exists, an OSError naming the pre-condition for an ETag that does not match."""
    return isinstance(err, FileExistsError) or "pre-condition" in str(err) or "PreconditionFailed" in str(err)


def read_remote(url: str, columns: list[str]) -> Any:  # noqa: ANN401 - pandas.DataFrame
    """On a Dask worker: one Parquet file of a state in object storage, opened with the worker's own credentials."""
    import pyarrow.parquet as pq

    fs, key = filesystem(url)
    return pq.read_table(key, columns=columns, filesystem=fs).to_pandas()


def open_part(place: Place, path: str, columns: list[str]) -> Any:  # noqa: ANN401 - pyarrow.parquet.ParquetFile
    """A part's Parquet file, with the columns a reader needs; StateError naming it when it cannot be read."""
    import pyarrow as pa

    try:
        parquet = place.parquet(path)
    except (pa.ArrowException, OSError) as err:
        raise StateError(f"{path} cannot be read ({err}): the state is damaged") from err
    missing = [c for c in columns if c not in parquet.schema_arrow.names]
    if missing:
        raise StateError(f"{path} has no column {', '.join(missing)}: the state is damaged")
    return parquet


def rows_of(place: Place, path: str) -> int:
    parquet = open_part(place, path, DOC_COLUMNS)
    try:
        return parquet.metadata.num_rows
    finally:
        parquet.close()


class ParquetIndex:
    """Lookups and the stored-id test over the parts of a Parquet state (see the module's docstring)."""

    def __init__(self, place: Place, folders: list[str], params: MinHashParams) -> None:
        import pyarrow as pa

        self.params = params
        self.place = place
        docs = [f"{f}/docs.parquet" for f in folders if place.exists(f"{f}/docs.parquet")]
        count = sum(rows_of(place, path) for path in docs)
        self._spill = tempfile.TemporaryFile(prefix="newsclean-signatures-")  # noqa: SIM115 - closed by close()
        self._sizes = np.empty((count, 3), dtype=np.int32)  # shingles, words, run
        rows = np.empty(count, dtype=np.int64)
        ids, seen = [], []
        at = 0
        for path in docs:  # one part open at a time: a reader holds what it has buffered until it is closed
            parquet = open_part(place, path, DOC_COLUMNS)
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

    def _load_bands(self, folders: list[str], rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per band: (sorted low 32 bits of the keys, the position of each key's record)."""
        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        bands = []
        for band in range(self.params.bands):
            keys, positions = [], []
            paths = [p for f in folders for p in self.place.files(f"{f}/bands/band={band}")] if len(sorted_rows) else []
            for table in self.place.tables(paths, ["key", "row"]):
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

    @property
    def ids(self) -> Any:  # noqa: ANN401 - a pyarrow ChunkedArray of strings
        """Every stored record's id."""
        return self._ids

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


def _signatures(column: Any, num_perm: int, path: str) -> np.ndarray:  # noqa: ANN401 - a pyarrow binary array
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
