"""Work descriptions, for executors whose workers read their own inputs (``--executor dask``).

The client only lists: local files, objects under a URL, their sizes. What it hands on is a
description of the work, never bytes: a one-document file (``(path, root)``, as the local pool
gets it), a one-document object (:class:`ObjectDoc`), or a container (:class:`Container`: a WARC or
JSONL file or object, whole, or a line-aligned byte range of an uncompressed JSONL one). Each
worker opens the file or object itself (fsspec for URLs, with the credentials of the standard
environment) and reads it with the same readers as a local run, so the records are the same, byte
for byte. The hashes for provenance are computed where the bytes are read: a container object is
copied once to the worker's temporary folder, hashed on the way, and read from there.

Besides documents and rejects, reading yields :class:`Noted` items: a record that is not a document
(a skip), and an input's identity (sha256, bytes) for the run manifest, so the client never reads an
input to hash it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from corpus.document import Reject
from corpus.inputs.files import is_regular_file, read_file, relative_path
from corpus.inputs.objects import _guarded, _one_document
from corpus.inputs.storage import RemoteFile, fetch, filesystem, is_url
from corpus.inputs.streams import Skip, describe, hash_file, jsonl_records, open_stream, streamed, warc_stream
from corpus.inputs.work import RANGE_BYTES, Container, Identity, Noted, ObjectDoc

Unit = tuple[Path, Path] | ObjectDoc | Container


def is_unit(job: object) -> bool:
    return isinstance(job, (ObjectDoc, Container))


def read_units(units: list[object], max_bytes: int, identify: bool) -> Iterator[object]:
    """Every unit of a task read, in order (one-document objects fetched together first); other jobs (a
    container's record read by the client, a reject) pass through as they are."""
    objects = {id(u): _remote(u) for u in units if isinstance(u, ObjectDoc)}
    fetch([f for f in objects.values() if f.size is None or f.size <= max_bytes])
    for unit in units:
        if isinstance(unit, ObjectDoc):
            item = objects[id(unit)]
            raw = _one_document(item, unit.rel, unit.kind, unit.compression, max_bytes)
            if identify:
                yield Noted(unit.rel, identity=item.known or _object_identity(item))
            yield raw
        elif isinstance(unit, Container):
            read = read_container(unit, max_bytes, identify)
            yield from _guarded(unit.rel, read) if is_url(unit.where) else read  # as url_inputs guards an object
        elif isinstance(unit, tuple) and identify:
            yield Noted(relative_path(*unit), identity=_local_identity(unit[0]))
            yield read_file(*unit, max_bytes)
        elif isinstance(unit, tuple):
            yield read_file(*unit, max_bytes)
        else:
            yield unit


def _remote(unit: ObjectDoc) -> RemoteFile:
    fs, path = filesystem(unit.url)
    return RemoteFile(url=unit.url, rel=unit.rel, size=unit.size, fs=fs, path=path)


def _object_identity(item: RemoteFile) -> Identity:
    try:
        return item.identity()
    except Exception:  # noqa: BLE001 - denied or vanished: no hash, as the manifest has it
        return None, None


def _local_identity(path: Path) -> Identity:
    """(sha256, bytes) of a local input as the manifest records it (never of a FIFO or a device)."""
    if not is_regular_file(path):
        return None, None
    try:
        return hash_file(path), path.stat().st_size
    except OSError:
        return None, None


def read_container(unit: Container, max_bytes: int, identify: bool) -> Iterator[object]:
    """A container's records (a range's, or the whole file's), its skips as :class:`Noted`, and (whole
    ones, with ``identify``) its identity."""
    if unit.end is not None:
        items: Iterable[object] = _range_records(unit, max_bytes)
    elif is_url(unit.where):
        items = _object_records(unit, max_bytes, identify)
    else:
        path = Path(unit.where)
        identity = _local_identity(path)
        if identify:
            yield Noted(unit.rel, identity=identity)
        items = _records(path, unit, max_bytes, identity)
    for item in items:
        yield Noted(unit.rel, skip=item.reason) if isinstance(item, Skip) else item


def _records(path: Path, unit: Container, max_bytes: int, identity: Identity) -> Iterator[object]:
    """The local readers over the container's bytes in a local file (the object's copy, for a URL)."""
    if unit.kind == "warc":
        fmt = "warc.gz" if unit.compression == "gz" else "warc"
        return warc_stream(lambda: open(path, "rb"), unit.rel, unit.abspath, fmt, max_bytes,  # noqa: SIM115
                           lambda: identity)
    return streamed(lambda: open_stream(path, unit.compression), unit.rel,
                    lambda stream: jsonl_records(stream, unit.rel, unit.abspath, unit.fmt, max_bytes, identity))


def _object_records(unit: Container, max_bytes: int, identify: bool) -> Iterator[object]:
    """A container object: copied to the worker's temporary folder in blocks, hashed on the way (so it is
    transferred once), then read there by the local readers, with the object's URL as its abspath."""
    fs, path = filesystem(unit.where)
    with tempfile.TemporaryDirectory(prefix="newsclean-object-") as folder:
        local = os.path.join(folder, "object")
        digest, size = hashlib.sha256(), 0
        try:
            with fs.open(path, "rb", block_size=1 << 22) as source, open(local, "wb") as copy:
                for block in iter(lambda: source.read(1 << 22), b""):
                    digest.update(block)
                    size += len(block)
                    copy.write(block)
        except Exception as err:  # noqa: BLE001 - denied, vanished: this object only
            yield Reject(unit.rel, "unreadable", describe(err), unit.rel)
            return
        identity = (digest.hexdigest(), size)
        if identify:
            yield Noted(unit.rel, identity=identity)
        yield from _records(Path(local), unit, max_bytes, identity)


def _range_records(unit: Container, max_bytes: int) -> Iterator[object]:
    """The records of a line-aligned byte range of an uncompressed JSONL container, or of a range of whole
    gzip members of a .warc.gz (read into memory: the WARC reader seeks; a range is ``RANGE_BYTES``)."""
    if unit.kind == "warc":
        def window() -> IO[bytes]:
            return io.BytesIO(_range_bytes(unit))

        return warc_stream(window, unit.rel, unit.abspath, unit.fmt, max_bytes, lambda: unit.identity or (None, None),
                           (unit.start, unit.before))

    def opener() -> IO[bytes]:
        if is_url(unit.where):
            fs, path = filesystem(unit.where)
            raw = fs.open(path, "rb", block_size=1 << 22)
        else:
            raw = open(unit.where, "rb")  # noqa: SIM115 - closed with the window
        raw.seek(unit.start)
        return io.BufferedReader(_Window(raw, unit.end - unit.start), buffer_size=1 << 16)  # type: ignore[operator]

    def read(stream: IO[bytes]) -> Iterator[object]:
        for item in jsonl_records(stream, unit.rel, unit.abspath, unit.fmt, max_bytes, unit.identity or (None, None),
                                  unit.before):
            if not (isinstance(item, Reject) and item.reason == "empty"):  # a range of blank lines: not the file
                yield item

    return streamed(opener, unit.rel, read)


def _range_bytes(unit: Container) -> bytes:
    if is_url(unit.where):
        fs, path = filesystem(unit.where)
        return fs.cat_file(path, start=unit.start, end=unit.end)
    with open(unit.where, "rb") as handle:
        handle.seek(unit.start)
        return handle.read(unit.end - unit.start)  # type: ignore[operator]


class _Window(io.RawIOBase):
    """The next ``length`` bytes of an open file, then the end."""

    def __init__(self, raw: IO[bytes], length: int) -> None:
        self._raw = raw
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        data = self._raw.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def scan_jsonl(unit: Container, range_bytes: int = RANGE_BYTES) -> tuple[Identity, list[tuple[int, int]]]:
    """On a worker: (sha256 and size of an uncompressed JSONL container, the (offset, lines before) at which
    each range begins: the first line start at or past every ``range_bytes``)."""
    if is_url(unit.where):
        fs, path = filesystem(unit.where)
        handle = fs.open(path, "rb", block_size=1 << 22)
    else:
        handle = open(unit.where, "rb")  # noqa: SIM115 - closed below
    digest, offset, lines, starts = hashlib.sha256(), 0, 0, [(0, 0)]
    target = range_bytes
    with handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
            while target < offset + len(block):
                cut = block.find(b"\n", max(0, target - offset - 1))
                if cut < 0:
                    break
                start = offset + cut + 1
                starts.append((start, lines + block.count(b"\n", 0, cut + 1)))
                target = start + range_bytes
            lines += block.count(b"\n")
            offset += len(block)
    starts = [s for s in starts if s[0] < offset]
    return (digest.hexdigest(), offset), starts


def scan_warc_gz(unit: Container, range_bytes: int = RANGE_BYTES) -> tuple[Identity, list[tuple[int, int]]]:
    """On a worker: (sha256 and size of a .warc.gz, the (compressed, uncompressed) offsets at which each range
    begins: the first gzip member at or past every ``range_bytes`` whose text begins a WARC record). The file is
    inflated once to find them; a member that cannot be inflated ends the cuts there (the rest is one range,
    read as the whole file's reader reads it), and a file that is one gzip stream is one range."""
    if is_url(unit.where):
        fs, path = filesystem(unit.where)
        handle = fs.open(path, "rb", block_size=1 << 22)
    else:
        handle = open(unit.where, "rb")  # noqa: SIM115 - closed below
    digest, size, starts = hashlib.sha256(), 0, [(0, 0)]
    inflater = _Cuts(range_bytes)
    with handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
            size += len(block)
            inflater.feed(block)
    starts += inflater.cuts
    return (digest.hexdigest(), size), starts


class _Cuts:
    """The member starts of a gzip stream fed block by block that may begin a range (see :func:`scan_warc_gz`)."""

    def __init__(self, range_bytes: int) -> None:
        self.range_bytes = range_bytes
        self.target = range_bytes
        self.cuts: list[tuple[int, int]] = []
        self.offset = 0  # compressed offset of the next byte fed
        self.produced = 0
        self.member: tuple[int, int] | None = None  # (compressed, uncompressed) start of the member being read
        self.decomp: Any = None
        self.broken = False

    def feed(self, data: bytes) -> None:
        while data and not self.broken:
            if self.decomp is None:
                skipped = len(data) - len(data.lstrip(b"\0"))  # padding between members
                data, self.offset = data[skipped:], self.offset + skipped
                if not data:
                    return
                self.decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self.member = (self.offset, self.produced)
            try:
                out = self.decomp.decompress(data, 1 << 20)
            except zlib.error:
                self.broken = True
                return
            if self.member is not None and out:
                if self.member[0] >= self.target and out.startswith(b"WARC/"):
                    self.cuts.append(self.member)
                    self.target = self.member[0] + self.range_bytes
                self.member = None
            self.produced += len(out)
            rest = self.decomp.unused_data if self.decomp.eof else self.decomp.unconsumed_tail
            self.offset += len(data) - len(rest)
            data = rest
            if self.decomp.eof:
                self.decomp = None


def ranges(unit: Container, identity: Identity, starts: list[tuple[int, int]]) -> list[Container]:
    """The container as ranges (from :func:`scan_jsonl` or :func:`scan_warc_gz` on a worker)."""
    ends = [s for s, _ in starts[1:]] + [identity[1] or 0]
    return [Container(unit.where, unit.rel, unit.abspath, unit.kind, unit.compression, unit.size, start, end, before,
                      identity) for (start, before), end in zip(starts, ends, strict=True)]
