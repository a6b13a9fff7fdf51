"""Outputs at scale: a directory of partitioned JSONL or Parquet, and single Parquet files.

``-o DIR/`` (a trailing slash, or a directory that exists) writes ``part-00000.jsonl.gz``, ...
(or ``part-00000.parquet``, ... with ``--format parquet``), the run manifest and a ``_SUCCESS``
marker into a temporary sibling directory, renamed to DIR only when the run succeeded: a failed
run leaves no half directory, and a reader that sees DIR sees all of it. ``-o FILE.parquet``
writes one Parquet file, staged like every other output (:mod:`corpus.outputs.write`).
``-o s3://bucket/prefix/`` is a partitioned output in a store (:class:`RemotePartitioned`, below);
Dask workers write their own parts into either kind (:class:`PartWriter`).

Parquet has the JSONL records' columns: ``provenance`` is a struct (the container fields a
record does not have are null), ``meta`` (a crawler record's own fields, of any shape) is its
JSON text. :func:`record_from_row` turns a row back into the JSONL record.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from corpus.inputs.storage import filesystem, is_url
from corpus.outputs.write import StagedFile, StagedOutputs, UploadedFile, dumps, locked_temporary, release

PART_RECORDS = 100_000  # records per part file
ROW_GROUP = 10_000  # records per Parquet row group (bounds what is held before a write)
PARQUET_HINT = "Parquet output needs pyarrow: pip install -e '.[parquet]' in the checkout"
OWN_FILE = re.compile(r"part-\d{5}\.(?:jsonl\.gz|parquet)|manifest\.json|_SUCCESS")  # what -o DIR/ holds
CONTAINER_FIELDS = ("offset", "warc_record_id", "warc_target_uri", "warc_date", "line")


def is_directory_target(path: str) -> bool:
    return path.endswith(("/", os.sep)) or Path(path).is_dir()


def output_format(path: str, fmt: str | None) -> str:
    """``jsonl`` or ``parquet``: as asked, else as the name says."""
    return fmt or ("parquet" if path.lower().endswith(".parquet") else "jsonl")


def parquet_schema() -> Any:  # noqa: ANN401 - pyarrow.Schema (pyarrow is imported only when asked for)
    import pyarrow as pa

    removed = pa.list_(pa.struct([("rule", pa.string()), ("text", pa.string())]))
    provenance = pa.struct([("path", pa.string()), ("position", pa.int64()), ("sha256", pa.string()),
                            ("bytes", pa.int64()), ("record_sha256", pa.string()), ("record_bytes", pa.int64()),
                            ("format", pa.string()), ("extractor", pa.string()),
                            ("extractor_version", pa.string()), ("newsclean_version", pa.string()),
                            ("removed", removed), ("offset", pa.int64()), ("warc_record_id", pa.string()),
                            ("warc_target_uri", pa.string()), ("warc_date", pa.string()), ("line", pa.int64())])
    return pa.schema([("id", pa.string()), ("text_hash", pa.string()), ("title", pa.string()),
                      ("author", pa.string()), ("date", pa.string()), ("url", pa.string()),
                      ("sitename", pa.string()), ("lang", pa.string()), ("lang_prob", pa.float64()),
                      ("duplicate_of", pa.string()), ("text", pa.string()), ("source_id", pa.string()),
                      ("meta", pa.string()), ("provenance", provenance)])


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "meta": None if record["meta"] is None else json.dumps(record["meta"], ensure_ascii=False)}


def record_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row (``Table.to_pylist()``) as the JSONL record it was written from."""
    provenance = {k: v for k, v in row["provenance"].items() if not (k in CONTAINER_FIELDS and v is None)}
    return {**row, "meta": None if row["meta"] is None else json.loads(row["meta"]), "provenance": provenance}


class ParquetWriter:
    """Records into one Parquet file, a row group at a time."""

    def __init__(self, handle: IO[bytes]) -> None:
        import pyarrow.parquet as pq

        self._schema = parquet_schema()
        self._writer = pq.ParquetWriter(handle, self._schema, compression="zstd")
        self._rows: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self._rows.append(_row(record))
        if len(self._rows) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


class ParquetFile:
    """``-o FILE.parquet``: staged beside its target, renamed into place with the run's other outputs."""

    def __init__(self, path: str) -> None:
        self._staged = UploadedFile(path, binary=True) if is_url(path) else StagedFile(path, binary=True)
        self._writer = ParquetWriter(self._staged.binary)

    def write(self, record: dict[str, Any]) -> None:
        self._writer.write(record)

    def finish(self) -> None:
        self._writer.close()
        self._staged.finish()

    def publish(self) -> None:
        self._staged.publish()

    def discard(self) -> None:
        self._staged.discard()


class PartitionedDirectory:
    """``-o DIR/``: part files, the manifest and ``_SUCCESS`` in a temporary sibling, renamed to DIR at the end."""

    def __init__(self, path: str, fmt: str = "jsonl", part_records: int = PART_RECORDS) -> None:
        self.path = Path(path.rstrip("/" + os.sep) or ".")
        if self.path.is_dir() and any(self.path.iterdir()) and not (self.path / "_SUCCESS").exists():
            raise FileExistsError(f"{self.path} holds files that are not a newsclean output (no _SUCCESS): "
                                  "not replaced")
        if self.path.is_dir():  # last night's output: only its own files may go with it
            others = sorted(p.name for p in self.path.iterdir() if not OWN_FILE.fullmatch(p.name))
            if others:
                raise FileExistsError(f"{self.path} holds files newsclean did not write ({', '.join(others[:3])}"
                                      f"{', ...' if len(others) > 3 else ''}): move them out, or write elsewhere")
        self.fmt = fmt
        self.part_records = part_records
        made, _, self._lock = locked_temporary(self.path.parent / self.path.name, directory=True)
        self.tmp = Path(made)
        mask = os.umask(0)
        os.umask(mask)
        self.tmp.chmod(0o777 & ~mask)  # the mode a new folder gets, not mkdtemp's private 0700
        self._part: StagedFile | ParquetWriter | None = None
        self._file: StagedFile | None = None
        self._in_part = 0
        self._parts = 0
        self.manifest: str | None = None
        self._published = False

    def _next_part(self) -> None:
        self._close_part()
        suffix = "parquet" if self.fmt == "parquet" else "jsonl.gz"
        self._file = StagedFile(str(self.tmp / f"part-{self._parts:05d}.{suffix}"), binary=self.fmt == "parquet")
        self._part = ParquetWriter(self._file.binary) if self.fmt == "parquet" else self._file
        self._parts += 1
        self._in_part = 0

    def _close_part(self) -> None:
        if isinstance(self._part, ParquetWriter):
            self._part.close()
        if self._file is not None:
            self._file.finish()
            self._file.publish()  # under its name, inside the staged directory
        self._part = self._file = None

    def write(self, record: dict[str, Any]) -> None:
        if self._part is None or self._in_part >= self.part_records:
            self._next_part()
        if isinstance(self._part, ParquetWriter):
            self._part.write(record)
        else:
            self._part.handle.write(dumps(record) + "\n")  # type: ignore[union-attr]
        self._in_part += 1

    def part_base(self) -> str:
        """Where workers write their parts (:class:`PartWriter`): the staged folder."""
        return str(self.tmp)

    def adopt(self, parts: int) -> None:
        """The workers wrote parts 0 .. ``parts`` - 1 into the staged folder."""
        self._parts = parts

    def finish(self) -> None:
        if self._part is None and self._parts == 0:
            self._next_part()  # an empty run still has one (empty) part: readers find the schema
        self._close_part()
        if self.manifest is not None:
            (self.tmp / "manifest.json").write_text(self.manifest, encoding="utf-8")
        (self.tmp / "_SUCCESS").write_bytes(b"")

    def publish(self) -> None:
        old = None
        if self.path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".old", dir=self.path.parent))
            os.replace(self.path, old / "previous")
        os.replace(self.tmp, self.path)
        self._published = True
        release(self._lock)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        if not self._published:
            if self._file is not None:
                self._file.discard()
            with suppress(OSError):
                shutil.rmtree(self.tmp)
            release(self._lock)


class JsonlOut:
    """The usual text output (a file, compressed as named, or stdout), behind the same ``write``."""

    def __init__(self, handle: IO[str], flush_each: bool = False) -> None:
        self.handle = handle
        self.flush_each = flush_each

    def write(self, record: dict[str, Any]) -> None:
        self.handle.write(dumps(record) + "\n")
        if self.flush_each:
            self.handle.flush()


def open_records(staged: StagedOutputs, output: str | None, fmt: str | None, stdout: IO[str],
                 flush_each: bool = False) -> JsonlOut | ParquetFile | PartitionedDirectory:
    """Where the records go: stdout, a file (JSONL, compressed as named, or Parquet), or a directory of parts."""
    if output is None:
        return JsonlOut(stdout, flush_each)
    fmt = output_format(output, fmt)
    if is_url(output) and is_directory_target(output):
        return staged.add(RemotePartitioned(output, fmt))  # type: ignore[return-value]
    if is_directory_target(output):
        return staged.add(PartitionedDirectory(output, fmt))  # type: ignore[return-value]
    if fmt == "parquet":
        return staged.add(ParquetFile(output))  # type: ignore[return-value]
    return JsonlOut(staged.open(output), flush_each)


def check_format(output: str | None, fmt: str | None) -> None:
    """Fail before any work when the asked-for format cannot be written (raises ValueError)."""
    if output is None and fmt == "parquet":
        raise ValueError("Parquet is not written to standard output: give -o FILE.parquet or -o DIR/")
    if output is not None and output_format(output, fmt) == "parquet":
        try:
            import pyarrow.parquet  # noqa: F401 - the optional "parquet" extra
        except ImportError:
            raise ValueError(PARQUET_HINT) from None


# Part files written by whoever holds the records (a Dask worker, or the client), and ``-o URL/``.
#
# PartWriter writes one part-NNNNN.jsonl.gz (or .parquet) into a staging folder: a local (shared)
# folder, where it is staged and renamed like every output, or a URL prefix, where it is uploaded as
# one object when complete. RemotePartitioned is ``-o s3://bucket/clean/``: parts go under a
# run-scoped staging prefix beside the target (s3://bucket/.clean.RUN.part/), written by the workers
# or by the client; when the run ends well the client replaces last night's files at the target: its
# _SUCCESS removed first, then its parts, then the new parts copied in (server-side), then
# manifest.json, and _SUCCESS last. A failed run removes its staging prefix and leaves the target as it was.


def part_name(number: int, fmt: str) -> str:
    return f"part-{number:05d}." + ("parquet" if fmt == "parquet" else "jsonl.gz")


def joined(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}" if is_url(base) else os.path.join(base, name)


class PartWriter:
    """One part file under ``base`` (a staging folder or prefix); it appears there whole, at :meth:`close`."""

    def __init__(self, base: str, number: int, fmt: str) -> None:
        target = joined(base, part_name(number, fmt))
        parquet = fmt == "parquet"
        self._file = UploadedFile(target, binary=parquet) if is_url(base) else StagedFile(target, binary=parquet)
        self._parquet = ParquetWriter(self._file.binary) if parquet else None

    def write(self, record: dict[str, Any]) -> None:
        if self._parquet is not None:
            self._parquet.write(record)
        else:
            self._file.handle.write(dumps(record) + "\n")  # type: ignore[union-attr]

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        self._file.finish()
        self._file.publish()

    def discard(self) -> None:
        self._file.discard()


class RemotePartitioned:
    """``-o URL/``: part files under a run-scoped staging prefix, published at the end (see the module)."""

    def __init__(self, url: str, fmt: str = "jsonl", part_records: int = PART_RECORDS) -> None:
        self.url = url.rstrip("/")
        self.fs, self._path = filesystem(self.url)
        existing = self._names()
        if existing and "_SUCCESS" not in existing:
            raise FileExistsError(f"{self.url}/ holds objects that are not a newsclean output (no _SUCCESS): "
                                  "not replaced")
        others = sorted(name for name in existing if not OWN_FILE.fullmatch(name))
        if others:
            raise FileExistsError(f"{self.url}/ holds objects newsclean did not write ({', '.join(others[:3])}"
                                  f"{', ...' if len(others) > 3 else ''}): move them out, or write elsewhere")
        parent, name = self.url.rsplit("/", 1)
        self.staging = f"{parent}/.{name}.{uuid.uuid4().hex[:12]}.part"
        self.fmt = fmt
        self.part_records = part_records
        self.manifest: str | None = None
        self._part: PartWriter | None = None
        self._in_part = 0
        self._parts = 0
        self._published = False

    def _names(self) -> list[str]:
        self.fs.invalidate_cache(self._path)
        try:
            return [entry.rstrip("/").rsplit("/", 1)[-1] for entry in self.fs.ls(self._path, detail=False)]
        except FileNotFoundError:
            return []

    def part_base(self) -> str:
        """Where the workers write their parts."""
        return self.staging

    def adopt(self, parts: int) -> None:
        """The workers wrote parts 0 .. ``parts`` - 1."""
        self._parts = parts

    def write(self, record: dict[str, Any]) -> None:
        """A record written here (by the client): parts of ``part_records`` records, uploaded as each fills."""
        if self._part is None or self._in_part >= self.part_records:
            self._next_part()
        self._part.write(record)  # type: ignore[union-attr]
        self._in_part += 1

    def _next_part(self) -> None:
        if self._part is not None:
            self._part.close()
        self._part = PartWriter(self.staging, self._parts, self.fmt)
        self._parts += 1
        self._in_part = 0

    def finish(self) -> None:
        if self._part is None and self._parts == 0:
            self._next_part()  # an empty run still has one (empty) part: readers find the schema
        if self._part is not None:
            self._part.close()
            self._part = None

    def publish(self) -> None:
        target = self._path
        old = self._names()
        if "_SUCCESS" in old:  # readers stop trusting the folder before anything in it changes
            self.fs.rm_file(f"{target}/_SUCCESS")
        for name in old:
            if name != "_SUCCESS":
                self.fs.rm_file(f"{target}/{name}")
        _, staging = filesystem(self.staging)
        for number in range(self._parts):
            name = part_name(number, self.fmt)
            self.fs.copy(f"{staging}/{name}", f"{target}/{name}")
        if self.manifest is not None:
            self.fs.pipe_file(f"{target}/manifest.json", self.manifest.encode("utf-8"))
        self.fs.pipe_file(f"{target}/_SUCCESS", b"")
        self._published = True
        self._remove_staging()

    def discard(self) -> None:
        if not self._published:
            if self._part is not None:
                self._part.discard()
            self._remove_staging()

    def _remove_staging(self) -> None:
        with suppress(Exception):  # nothing there yet, or gone already
            self.fs.rm(filesystem(self.staging)[1], recursive=True)
