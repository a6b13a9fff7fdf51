"""Stage 1 for a PATH that is a URL (``s3://bucket/prefix/``): the objects under it, read as a folder's files.

The same kinds, sorting, hidden-file and size rules as a local folder, and the same readers: WARC
and JSONL objects are streamed record by record through :func:`~corpus.inputs.streams.warc_stream`
and :func:`~corpus.inputs.streams.jsonl_records`, never fetched whole; a one-document object is read
(at most ``--max-bytes`` + 1 of it) by the main process, so workers never talk to the store. Ids are
hashes of bytes, so an object gets the ids its file gets on disk.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from corpus.document import Reject
from corpus.inputs.files import RawInput, classify, document, shown, zstd_available
from corpus.inputs.storage import RemoteFile, fetch, is_url, relative, walk_url
from corpus.inputs.streams import Skip, jsonl_records, streamed, warc_stream

BATCH_FILES = 64  # one-document objects fetched together (see corpus.inputs.storage.fetch) ...
BATCH_BYTES = 64 << 20  # ... holding at most this many bytes

Notify = Callable[[str, "Path | RemoteFile | None"], None]


def url_inputs(url: str, max_bytes: int, notify: Notify, exclude: Iterable[str] = (), units: bool = False) -> Iterator[
        RawInput | Reject | Skip]:
    """Every document under one URL PATH, or the reject each object became; ``exclude``: the run's own
    outputs (URLs), never read as input. ``units``: objects are not read here but handed on as work
    descriptions (:mod:`corpus.inputs.units`), for the workers to read."""
    own = {u for u in exclude if is_url(u)}
    hidden_seen = ""
    entries = list(walk_url(url))  # the listing is whole in memory already; the objects are not

    def wanted(item: RemoteFile) -> bool:  # a one-document object that will be read whole
        kind = classify(PurePosixPath(item.name))[0]  # type: ignore[arg-type] - suffixes are all it reads
        return kind in ("html", "text") and item.size is not None and item.size <= max_bytes \
            and item.url not in own and _hidden(item, url) is None

    fetched_to = 0  # entries before this index were in a batch, or are not to be fetched together
    for number, item in enumerate(entries):
        if not units and number >= fetched_to and isinstance(item, RemoteFile) and wanted(item):
            fetched_to = _prefetch(entries, number, wanted)
        if isinstance(item, tuple):  # nothing there, or no access: the whole PATH is one reject
            rel, why = item
            notify(rel, None)
            yield Reject(rel, "unreadable", why)
            continue
        if item.url in own:
            continue
        hidden = _hidden(item, url)
        if hidden is not None:
            if hidden != hidden_seen:  # a hidden "folder" is one skip, as a local walk does not enter it
                hidden_seen = hidden
                what = "file" if hidden == item.rel else "folder"
                notify(hidden, item if what == "file" else None)  # a local walk hashes a hidden file too
                yield Reject(hidden, "hidden", f"hidden {what} skipped")
            continue
        yield from _unit(item, max_bytes, notify) if units else _object(item, max_bytes, notify)


def _prefetch(entries: list[RemoteFile | tuple[str, str]], start: int, wanted: Callable[[RemoteFile], bool]) -> int:
    """Fetch the next one-document objects from ``start`` on together, within the batch bounds; returns
    the index of the first entry the batch did not reach."""
    batch: list[RemoteFile] = []
    total = 0
    for index in range(start, len(entries)):
        item = entries[index]
        if isinstance(item, RemoteFile) and wanted(item):
            if len(batch) >= BATCH_FILES or batch and total + (item.size or 0) > BATCH_BYTES:
                fetch(batch)
                return index
            batch.append(item)
            total += item.size or 0
    fetch(batch)
    return len(entries)


def url_records(url: str, max_bytes: int, parse: Callable[[IO[bytes], str, int], Iterator[Any]]) -> Iterator[Any]:
    """``newsclean dedup s3://…/clean.jsonl.gz``: ``parse`` over the object's decompressed stream (over each
    object, in order, for a prefix), as for a local FILE; a missing object is one ``unreadable`` reject."""
    for item in walk_url(url):
        if isinstance(item, tuple):
            yield Reject(item[0], "unreadable", item[1])
            continue
        compression = classify(PurePosixPath(item.name))[1]  # type: ignore[arg-type] - suffixes are all it reads
        rel = shown(item.name)
        if compression == "zst" and not zstd_available():
            yield Reject(rel, "unsupported-type", "a .zst file: pip install -e '.[zstd]' in the checkout to read it")
            continue
        yield from _guarded(rel, streamed(lambda item=item, compression=compression: _opened(item, compression), rel,
                                          lambda stream, rel=rel: parse(stream, rel, max_bytes)))


def _hidden(item: RemoteFile, url: str) -> str | None:
    """The object's rel up to its first hidden segment below the PATH argument (None: nothing hidden)."""
    inner = relative(item.url, url.rstrip("/"))
    if inner == item.url:  # the argument is this object
        inner = item.name
    segments = inner.split("/")
    for number, segment in enumerate(segments):
        if segment.startswith("."):
            cut = len("/".join(segments[number + 1:]))
            return item.rel[: len(item.rel) - cut].rstrip("/") if cut else item.rel
    return None


def _object(item: RemoteFile, max_bytes: int, notify: Notify) -> Iterator[RawInput | Reject | Skip]:
    rel = shown(item.rel)
    kind, compression = classify(PurePosixPath(item.name))  # type: ignore[arg-type] - suffixes are all it reads
    if kind is None:
        notify(rel, item)
        suffix = PurePosixPath(item.name).suffix
        yield Reject(rel, "unsupported-type", f"no reader for {shown(suffix) or 'files without an extension'}")
    elif compression == "zst" and not zstd_available():
        notify(rel, item)
        yield Reject(rel, "unsupported-type", "a .zst file: pip install -e '.[zstd]' in the checkout to read it")
    elif kind == "warc":
        notify(rel, item)
        fmt = "warc.gz" if compression == "gz" else "warc"
        yield from _guarded(rel, warc_stream(item.open, rel, item.url, fmt, max_bytes, lambda: _identity(item)))
    elif kind == "jsonl":
        notify(rel, item)
        fmt = "jsonl" + (f".{compression}" if compression else "")
        yield from _guarded(rel, streamed(lambda: _opened(item, compression), rel, lambda stream: jsonl_records(
            stream, rel, item.url, fmt, max_bytes, _identity(item))))
    else:
        yield _one_document(item, rel, kind, compression, max_bytes)
        notify(rel, item)


def _unit(item: RemoteFile, max_bytes: int, notify: Notify) -> Iterator[RawInput | Reject | Skip]:
    """An object as the work description a worker reads (see :mod:`corpus.inputs.units`); what is refused on
    its name or listed size is refused here, as :func:`_object` does."""
    from corpus.inputs.work import Container, ObjectDoc

    rel = shown(item.rel)
    kind, compression = classify(PurePosixPath(item.name))  # type: ignore[arg-type] - suffixes are all it reads
    if kind is None or compression == "zst" and not zstd_available() or kind not in ("warc", "jsonl") and (
            item.size is not None and item.size > max_bytes):
        yield from _object(item, max_bytes, notify)
        return
    notify(rel, item)
    if kind in ("warc", "jsonl"):
        yield Container(item.url, rel, item.url, kind, compression, item.size)  # type: ignore[misc]
    else:
        yield ObjectDoc(item.url, rel, item.size, kind, compression)  # type: ignore[misc]


def _one_document(item: RemoteFile, rel: str, kind: str, compression: str | None,
                  max_bytes: int) -> RawInput | Reject:
    if item.size is not None and item.size > max_bytes:
        return Reject(rel, "too-large", f"{item.size} bytes is over --max-bytes {max_bytes}")
    try:
        raw = item.read(max_bytes)
    except Exception as err:  # noqa: BLE001 - denied, vanished, a dropped connection: this object only
        return Reject(rel, "unreadable", str(err) or type(err).__name__)
    if len(raw) > max_bytes:
        return Reject(rel, "too-large", f"over --max-bytes {max_bytes}")
    item.known = (hashlib.sha256(raw).hexdigest(), len(raw))  # the manifest need not fetch it again
    return document(raw, rel, item.url, kind, compression, max_bytes)


@contextmanager
def _opened(item: RemoteFile, compression: str | None) -> Iterator[IO[bytes]]:
    with item.open() as raw, decompressed(raw, compression) as stream:
        yield stream


def decompressed(raw: IO[bytes], compression: str | None) -> IO[bytes]:
    """A decompressing stream over an open binary stream (an object in storage); closing it leaves ``raw``
    open, for its owner to close."""
    if compression == "gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "zst":
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=False,
                                                                            read_across_frames=True))
    return raw


def _identity(item: RemoteFile) -> tuple[str | None, int | None]:
    try:
        return item.identity()
    except Exception:  # noqa: BLE001 - as for a local file that cannot be hashed: no hash, the records still go
        return None, None


def _guarded(rel: str, items: Iterator[RawInput | Reject | Skip]) -> Iterator[RawInput | Reject | Skip]:
    """A container whose object cannot be opened or read on (denied, vanished) ends as one ``unreadable``
    reject, after the records read before it went through."""
    try:
        yield from items
    except Exception as err:  # noqa: BLE001 - the store's errors are many kinds
        yield Reject(rel, "unreadable", f"{type(err).__name__}: {err}" if str(err) else type(err).__name__, rel)
