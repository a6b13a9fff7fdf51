"""``--state DIR/``: the earlier nights' signatures as Parquet, for runs on a cluster (SQLite is one machine's).

Layout, all under DIR:

- ``state.json``: schema, MinHash parameters and id scheme (checked like :mod:`corpus.dedup.state`), and
  the runs (number, fingerprint, start, mode, records kept) with the data folder each one added;
- ``data-NNNNN/docs.parquet``: one row per kept record (row, id, path, first_seen, run, shingles,
  words, signature as 4-byte little-endian values);
- ``data-NNNNN/bands/band=B/*.parquet``: (key, row) for each of its LSH bands, partitioned by band,
  with the 64-bit keys of :func:`corpus.dedup.state.band_keys`: what the Dask shuffle joins;
- ``data-NNNNN/lines.parquet``: the run's repeated-line counts (key as int64, n), as :mod:`corpus.dedup.state`
  keeps them (schema 2; a schema-1 folder has none and is read as such).

A run writes its folder once, at its end, under a temporary name; renaming it and then replacing
``state.json`` (one ``os.replace``) is the commit: a run killed before leaves the state as it was
(a folder ``state.json`` does not list is never read, and is removed by the next run).

DIR may be a prefix in object storage (``s3://bucket/state/``, :class:`corpus.dedup.parquet_index.Place`): there
a run writes its part under its own name (there is no rename), and ``state.json``, one PUT made conditional on
the version this run read, is still the commit; the lock is an object (:mod:`corpus.dedup.state_kinds`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from corpus.clean.repeated import Counts
from corpus.dedup.minhash import MinHashParams, Signature
from corpus.dedup.parquet_index import BATCH_ROWS, ParquetIndex, Place, open_part, read_remote
from corpus.dedup.state import (
    StateError,
    StoredRecord,
    band_keys,
    foreign_database,
    params_record,
)
from corpus.identity import ID_SCHEME
from corpus.inputs.storage import is_url

SCHEMA_VERSION = 2
META = "state.json"
LOCK = "lock.json"  # a state in object storage: the run that holds it (corpus.dedup.state_kinds)
PART_NAME = re.compile(r"data-\d{5}(\.p\d+)?")  # a run's part folder; anything else in "data" is damage
RUN_FIELDS = {"run": int, "fingerprint": str, "started": str, "mode": str, "kept": int, "data": str}
PART_TYPES = {"docs.parquet": {"row": int, "id": str, "path": str, "first_seen": str, "run": int, "shingles": int,
                              "words": int, "signature": bytes},
              "bands": {"key": int, "row": int}, "lines.parquet": {"key": int, "n": int}}
COLUMNS = {"docs.parquet": ("row", "id", "path", "first_seen", "run", "shingles", "words", "signature"),
           "bands": ("key", "row"), "lines.parquet": ("key", "n")}


def is_parquet_state(path: str) -> bool:
    """A --state that is a folder (or ends with /), or a URL, is Parquet; a file is SQLite."""
    return is_url(path) or path.endswith(("/", os.sep)) or Path(path).is_dir()


def state_refusal(path: str) -> str | None:
    """Why ``path`` must not be used as a --state (the user's own folder, another program's database),
    or None. A Parquet state is made only in a new or empty folder; one without its state.json is damaged."""
    if not is_parquet_state(path):
        return foreign_database(path)
    folder = path.rstrip("/" + os.sep) or "."
    held = [name for name in Place(folder).names() if name != LOCK]
    if not held or META in held:
        return None
    if any(name.startswith(("data-", ".data-")) for name in held):
        return (f"{folder} has Parquet state data but no {META}: the state is damaged (restore {META} from a "
                "backup, or move the folder aside to start a new state)")
    return (f"{folder} is a folder of other files ({', '.join(held[:3])}{', ...' if len(held) > 3 else ''}), "
            "not a newsclean Parquet state: give a new or empty folder")


class ParquetState:
    """The interface of :class:`corpus.dedup.state.StateIndex` over a folder of Parquet files (or a prefix)."""

    def __init__(self, path: str, params: MinHashParams | None = None) -> None:
        self.path = path.rstrip("/" + os.sep) or "."
        self.place = Place(self.path)
        if not self.place.remote:
            Path(self.path).mkdir(parents=True, exist_ok=True)
        meta_path = self.meta_path = self.place(META)
        self._tag: str | None = None  # the version of state.json read (object storage): the commit's condition
        if self.place.exists(meta_path):
            self.meta, self._tag = _read_meta(self.place, meta_path)
            if params is None:
                params = stored_params_of(self.meta, meta_path)
        elif params is None:
            raise StateError(f"{self.path} is not a newsclean Parquet state (no {META})")
        else:
            self.meta = {"schema": SCHEMA_VERSION, "minhash": params_record(params), "ids": ID_SCHEME, "runs": []}
        self.params = params
        if self.meta.get("schema") == 1:  # before line counts: the same files; written as 2 at the next commit
            self.meta["schema"] = SCHEMA_VERSION
        self._check()
        self._pending: list[tuple[str, str, str, int, Signature]] = []
        self._lines = Counts()
        self._added: set[str] = set()  # ids this run added
        self._index: ParquetIndex | None = None

    def _check(self) -> None:
        if self.meta.get("schema") != SCHEMA_VERSION:
            raise StateError(f"{self.path}: Parquet state schema {self.meta.get('schema')} is not this newsclean's "
                             f"({SCHEMA_VERSION}): upgrade newsclean, or use another --state")
        if self.meta.get("ids") != ID_SCHEME:
            raise StateError(f"{self.path} holds ids of another scheme ({self.meta.get('ids')}); use another --state")
        if self.meta.get("minhash") != params_record(self.params):
            raise StateError(f"{self.path} was built with other MinHash parameters ({self.meta.get('minhash')}); "
                             "its signatures cannot be compared with this run's: use another --state")
        self._check_runs()

    def _check_runs(self) -> None:
        """Every run entry whole, and every part it lists present: a missing part would make earlier nights'
        stories look new (and a later run could write over them), so it is refused by name."""
        meta = self.meta_path
        runs = self.meta.get("runs")
        if not isinstance(runs, list):
            raise StateError(f"{meta}: 'runs' is not a list: the state is damaged (restore {META} from a backup)")
        for i, entry in enumerate(runs):
            if not isinstance(entry, dict):
                raise StateError(f"{meta}: run entry {i} is not an object: the state is damaged")
            for key, kind in RUN_FIELDS.items():
                value = entry.get(key)
                if not isinstance(value, kind) or kind is int and isinstance(value, bool):
                    raise StateError(f"{meta}: run entry {i} has no {kind.__name__} {key!r} ({value!r}): the state "
                                     "is damaged")
            if not entry["data"]:
                continue
            if not PART_NAME.fullmatch(entry["data"]):
                raise StateError(f"{meta}: run {entry['run']} lists the data {entry['data']!r}, which is not a part "
                                 "folder of this state: the state is damaged")
            part = self.place(entry["data"])
            wanted = [part] + ([f"{part}/docs.parquet", f"{part}/bands"] if entry["kept"] else [])
            for needed in wanted:
                if not self.place.exists(needed):
                    raise StateError(f"{needed} (run {entry['run']}) is missing: the state is damaged (restore it "
                                     "from a backup, or move the folder aside to start a new state)")
            if entry["kept"] and not self.place.files(f"{part}/bands"):
                raise StateError(f"{part}/bands (run {entry['run']}) holds no band files: the state is damaged")

    def verify(self) -> None:
        """Read every part through (``state check``, ``state import``): raises StateError naming the part
        and the record that is unsound (a value missing or of another type, a signature cut short)."""
        self._check_runs()
        size = self.params.num_perm * 4
        for folder in self._folders:
            for name, types in PART_TYPES.items():
                path = f"{folder}/{name}"
                if not self.place.exists(path):
                    continue
                table = self._read_part(path, name)
                columns = {c: table.column(c).to_pylist() for c in types}
                for n in range(table.num_rows):
                    for column, kind in types.items():
                        value = columns[column][n]
                        if not isinstance(value, kind) or kind is int and isinstance(value, bool):
                            raise StateError(f"{path}: record {n + 1} has no {kind.__name__} {column!r} "
                                             f"({str(value)[:40]!r}): the state is damaged")
                    if name == "docs.parquet" and len(columns["signature"][n]) != size:
                        raise StateError(f"{path}: record {n + 1} ({columns['id'][n]!r}) has a signature of "
                                         f"{len(columns['signature'][n])} bytes, not {size}: cut short")
        list(self.stored_lines())

    def _read_part(self, path: str, name: str) -> Any:  # noqa: ANN401 - pyarrow.Table
        import pyarrow as pa

        try:
            table = self.place.dataset(path).to_table()
        except (pa.ArrowException, OSError) as err:
            raise StateError(f"{path} cannot be read ({err}): the state is damaged") from err
        missing = [c for c in COLUMNS[name] if c not in table.column_names]
        if missing:
            raise StateError(f"{path} has no column {', '.join(missing)}: the state is damaged")
        return table

    @property
    def _folders(self) -> list[str]:
        return [self.place(run["data"]) for run in self.meta["runs"] if run.get("data")]

    def stored_docs(self) -> Iterator[tuple[int, str, str, str, int, int, int, bytes]]:
        """Every stored record, part by part and a batch of rows at a time (never the whole state at once)."""
        import pyarrow as pa

        columns = list(COLUMNS["docs.parquet"])
        for path in (f"{f}/docs.parquet" for f in self._folders):
            if not self.place.exists(path):
                continue
            parquet = open_part(self.place, path, columns)
            try:
                for batch in parquet.iter_batches(BATCH_ROWS, columns=columns):
                    yield from zip(*(batch.column(c).to_pylist() for c in columns), strict=True)
            except (pa.ArrowException, OSError) as err:
                raise StateError(f"{path} cannot be read ({err}): the state is damaged") from err

    def stored_bands(self) -> Iterator[tuple[int, int]]:
        """Every (64-bit band key, row), one band file at a time."""
        for folder in self._folders:
            for path in self.place.files(f"{folder}/bands"):
                table = self._read_part(path, "bands")
                yield from zip(table.column("key").to_pylist(), table.column("row").to_pylist(), strict=True)

    def stored_runs(self) -> list[tuple[int, str, str, str, int]]:
        runs: dict[int, tuple[int, str, str, str, int]] = {}
        for r in self.meta["runs"]:  # a rerun that kept more lists its run again: the first entry speaks
            if r["run"]:
                runs.setdefault(r["run"], (r["run"], r["fingerprint"], r["started"], r["mode"], r["kept"]))
        return list(runs.values())

    def docs_frame(self) -> Any:  # noqa: ANN401 - a dask DataFrame
        """The stored records as a dask dataframe the workers read themselves (they must see this folder, or reach
        the object store with the credentials and endpoint of their own environment); their band keys are made
        from the signatures where they are matched (:mod:`corpus.run.dask_dedup`), so no band file is read."""
        import dask.dataframe as dd

        folders = [f for f in self._folders if self.place.exists(f"{f}/docs.parquet")]  # some kept line counts only
        if not folders:
            return dd.from_pandas(self._no_docs(), npartitions=1)
        columns = ["row", "id", "first_seen", "run", "shingles", "words", "signature"]
        paths = [f"{f}/docs.parquet" for f in folders]
        if self.place.remote:  # each worker opens its file itself: the client lists, and reads nothing
            docs = dd.from_map(read_remote, paths, columns=columns,
                               meta=self._no_docs().rename(columns={"hv": "signature"}))
        else:
            docs = dd.read_parquet(paths, columns=columns)
        return docs.rename(columns={"signature": "hv"})

    @staticmethod
    def _no_docs() -> Any:  # noqa: ANN401 - a pandas DataFrame
        import pandas as pd

        return pd.DataFrame({"row": pd.Series(dtype="int64"), "id": pd.Series(dtype=object),
                             "first_seen": pd.Series(dtype=object), "run": pd.Series(dtype="int64"),
                             "shingles": pd.Series(dtype="int64"), "words": pd.Series(dtype="int64"),
                             "hv": pd.Series(dtype=object)})

    @property
    def index(self) -> ParquetIndex:
        """The stored records in memory as compact arrays (:mod:`corpus.dedup.parquet_index`), read on first use."""
        if self._index is None:
            self._index = ParquetIndex(self.place, self._folders, self.params)
        return self._index

    def lookup(self, sig: Signature) -> list[StoredRecord]:
        """For the local executor: stored records sharing a band key with ``sig`` (candidates to confirm)."""
        return self.index.lookup(sig)

    def begin(self) -> None:
        self._pending = []

    def next_run(self) -> int:
        return max((r["run"] for r in self.meta["runs"]), default=0) + 1

    def rerun_of(self, fingerprint: str, any_mode: bool = False) -> int | None:
        runs = [r["run"] for r in self.meta["runs"]
                if r["fingerprint"] == fingerprint and (any_mode or r["mode"] == "batch")]
        return min(runs) if runs else None

    def stored_lines(self) -> Iterator[tuple[int, Counts]]:
        for r in self.meta["runs"]:
            path = self.place(r["data"], "lines.parquet") if r.get("data") else None
            if path is not None and self.place.exists(path):
                try:
                    table = self.place.read_table(path)
                    counts = Counts(table.column("key").to_numpy().view(np.uint64), table.column("n").to_numpy())
                except (KeyError, ValueError, OSError) as err:  # pyarrow's errors are ValueErrors or OSErrors
                    raise StateError(f"{path} cannot be read ({describe_error(err)}): the state is damaged") from err
                yield r["run"], counts

    def line_counts(self, before: int | None = None) -> Counts:
        runs = [c for run, c in self.stored_lines() if before is None or run < before]
        return Counts.summed((c.keys for c in runs), (c.counts for c in runs))

    def add_lines(self, run: int, counts: Counts) -> None:
        self._lines = counts

    def add(self, doc_id: str, path: str, sig: Signature, first_seen: str, run: int = 0) -> None:
        """A kept record for the commit; one whose id is stored already (a rerun) keeps its entry."""
        if doc_id not in self._added:
            self._added.add(doc_id)
            self._pending.append((doc_id, path, first_seen, run, sig))

    def _drop_stored(self) -> None:
        """Leave out the pending records whose ids are stored: the ids are read part by part, a batch at a time
        (or taken from the lookups' index, when the run read it: a state in S3 is then not read twice)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if not self._pending:
            return
        wanted = pa.array([p[0] for p in self._pending], pa.string())
        stored: set[str] = set()
        if self._index is not None:  # read for the lookups already (under the lock the parts have not changed)
            ids = self._index.ids
            stored.update(pc.filter(ids, pc.is_in(ids, value_set=wanted)).to_pylist())
        for path in (f"{f}/docs.parquet" for f in self._folders) if self._index is None else ():
            if self.place.exists(path):
                parquet = open_part(self.place, path, ["id"])
                try:
                    for batch in parquet.iter_batches(BATCH_ROWS, columns=["id"]):
                        ids = batch.column("id")
                        stored.update(pc.filter(ids, pc.is_in(ids, value_set=wanted)).to_pylist())
                except (pa.ArrowException, OSError) as err:
                    raise StateError(f"{path} cannot be read ({err}): the state is damaged") from err
                finally:
                    parquet.close()
        if stored:
            self._pending = [p for p in self._pending if p[0] not in stored]

    def commit(self, run: int = 0, fingerprint: str = "", started: str = "", mode: str = "batch",
               rerun: bool = False) -> int:
        """Write this run's records as a new data folder, then list it in ``state.json`` (the commit)."""
        self._drop_stored()
        kept = len(self._pending)
        number = len(self.meta["runs"])
        listed = {r["data"] for r in self.meta["runs"]}
        while f"data-{number:05d}" in listed:  # never over a part a run lists (row numbers stay unique too)
            number += 1
        data = f"data-{number:05d}" if kept or len(self._lines) else ""
        if data:
            self._unchanged()
            if self.place.remote:  # parts of runs killed before their commit (a local run's are staged apart)
                for name in sorted(n for n in self.place.tops() - listed if PART_NAME.fullmatch(n)):
                    self.place.remove(self.place(name))
            self._write(data, number)
        if not rerun or kept:
            self.meta["runs"].append({"run": run, "fingerprint": fingerprint, "started": started,
                                      "mode": mode, "kept": kept, "data": data})
        try:
            self._save_meta()
        except BaseException as err:  # the part is never listed: removed (after a StateError, by the next run)
            if data and not isinstance(err, StateError):
                self.place.remove(self.place(data))
            raise
        self._pending = []
        self._lines = Counts()
        self._forget_index()  # the new part is read with the others when next needed
        return kept

    def _save_meta(self) -> None:
        """Replace ``state.json`` whole (:meth:`Place.replace`): what it lists is the state."""
        self._tag = self.place.replace(self.meta_path, json.dumps(self.meta, indent=1).encode(), self._tag)

    def _unchanged(self) -> None:
        """In object storage, before a part is written: ``state.json`` is still the version this run read (the
        lock makes it so; this notices a lock removed by hand while its run was alive, before any part is)."""
        if self.place.remote and self.place.version(self.meta_path) != self._tag:
            raise StateError(f"{self.meta_path} was changed by another run since this one read it: nothing "
                             "written (was the state's lock removed while a run held it?); run again")

    def count_before(self, before: str) -> int:
        return sum(1 for doc in self.stored_docs() if doc[3] < before)

    def prune(self, before: str) -> int:
        """Forget records first seen before ``before`` (and the line counts of runs started before it), as
        :meth:`corpus.dedup.state.StateIndex.prune` does: each data folder that changes is rewritten under a new
        name, ``state.json`` then lists the new folders (the commit), and the old ones are removed."""
        import pyarrow.compute as pc

        removed, replaced = 0, []
        for entry in self.meta["runs"]:
            data = entry.get("data")
            if not data:
                continue
            folder = self.place(data)
            has_docs = self.place.exists(f"{folder}/docs.parquet")
            docs = self.place.read_table(f"{folder}/docs.parquet") if has_docs else None
            old_docs = 0 if docs is None else pc.sum(pc.less(docs["first_seen"], before)).as_py() or 0
            has_lines = self.place.exists(f"{folder}/lines.parquet")
            drop_lines = has_lines and str(entry.get("started") or "") < before
            if not old_docs and not drop_lines:
                continue
            base, number = data.split(".")[0], 1
            while self.place.exists(self.place(f"{base}.p{number}")):
                number += 1
            name = f"{base}.p{number}"
            if not replaced:
                self._unchanged()
            staged = self.place.stage(name)
            if docs is not None and docs.num_rows > old_docs:
                kept = docs.filter(pc.greater_equal(docs["first_seen"], before))
                self.place.write_table(kept, f"{staged}/docs.parquet")
                bands = self.place.dataset(f"{folder}/bands").to_table()
                self.place.write_bands(bands.filter(pc.is_in(bands["row"], value_set=kept["row"])), f"{staged}/bands")
            if has_lines and not drop_lines:
                self.place.copy(f"{folder}/lines.parquet", f"{staged}/lines.parquet")
            removed += old_docs
            if self.place.holds(staged):
                self.place.publish(staged, name)
                entry["data"] = name
            else:
                self.place.remove(staged)
                entry["data"] = ""
            replaced.append(folder)
        if replaced:
            self._save_meta()
            for folder in replaced:
                self.place.remove(folder)
        self._forget_index()
        return removed

    def _write(self, name: str, number: int) -> None:
        import pyarrow as pa

        staged = self.place.stage(name)
        try:
            if len(self._lines):
                self.place.write_table(pa.table({"key": pa.array(self._lines.keys.view(np.int64), pa.int64()),
                                                 "n": pa.array(self._lines.counts, pa.int64())}),
                                       f"{staged}/lines.parquet")
            if self._pending:
                self._write_records(staged, number)
            self.place.publish(staged, name)
        except BaseException:  # an error, Ctrl-C, SIGTERM: what was written of the part goes (it is not listed)
            self.place.remove(staged)
            raise

    def _write_records(self, staged: str, number: int) -> None:
        import pyarrow as pa

        rows = [(number << 32) | n for n in range(len(self._pending))]
        sigs = [p[4] for p in self._pending]
        self.place.write_table(pa.table({
            "row": pa.array(rows, pa.int64()), "id": [p[0] for p in self._pending],
            "path": [p[1] for p in self._pending], "first_seen": [p[2] for p in self._pending],
            "run": pa.array([p[3] for p in self._pending], pa.int64()),
            "shingles": pa.array([s.shingles for s in sigs], pa.int64()),
            "words": pa.array([s.words for s in sigs], pa.int64()),
            "signature": pa.array([np.asarray(s.hashvalues, np.uint32).tobytes() for s in sigs], pa.binary()),
        }), f"{staged}/docs.parquet")
        keys = np.array([band_keys(s.hashvalues, self.params) for s in sigs], dtype=np.int64)
        self.place.write_bands(pa.table({"band": np.tile(np.arange(self.params.bands, dtype=np.int32), len(sigs)),
                                         "key": keys.reshape(-1),
                                         "row": np.repeat(np.array(rows, dtype=np.int64), self.params.bands)}),
                               f"{staged}/bands")

    def rollback(self) -> None:
        self._pending = []
        self._lines = Counts()

    def _forget_index(self) -> None:
        if self._index is not None:
            self._index.close()
        self._index = None
        self._added = set()

    def close(self) -> None:
        self.rollback()
        self._forget_index()

    def info(self) -> dict[str, Any]:
        records, oldest, newest = 0, None, None
        for doc in self.stored_docs():
            records += 1
            oldest = doc[3] if oldest is None or doc[3] < oldest else oldest
            newest = doc[3] if newest is None or doc[3] > newest else newest
        return {"path": self.path, "schema": SCHEMA_VERSION, "format": "parquet", "records": records,
                "runs": len(self.stored_runs()),
                "bytes": self.place.size(),
                "oldest": oldest, "newest": newest, "minhash": json.loads(self.meta["minhash"])}


def _read_meta(place: Place, path: str) -> tuple[dict[str, Any], str | None]:
    """``state.json`` as a dict, and its version (object storage)."""
    try:
        data, tag = place.read_versioned(path)
        meta = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise StateError(f"{path} cannot be read ({describe_error(err)}): the state is damaged (restore it from "
                         "a backup)") from err
    if not isinstance(meta, dict):
        raise StateError(f"{path} is not a JSON object: the state is damaged")
    return meta, tag


def describe_error(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def stored_params_of(meta: dict[str, Any], where: str = META) -> MinHashParams:
    try:
        data = json.loads(meta["minhash"])
        return MinHashParams(**{k: data[k] for k in MinHashParams().as_dict()})
    except (KeyError, TypeError, ValueError) as err:
        raise StateError(f"{where}: no usable MinHash parameters ({describe_error(err)}): the state is "
                         "damaged") from err
