"""Record streams inside containers: crawler JSON Lines and WARC archives, read as streams (a
multi-GB WARC never sits in memory), each record a :class:`~corpus.inputs.files.RawInput` of its own
with the container's and the record's hashes for provenance. Records that are not documents are
skips; a record that cannot be read is a reject, and the rest of the file still goes through.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from corpus.document import Reject, Source, location
from corpus.identity import record_id
from corpus.inputs.files import RawInput, shown
from corpus.inputs.warc import BadRecord, split_warc

JSONL_FIELDS = ("html", "text", "url", "title", "date", "author", "id")
_SURROGATE = re.compile("[\ud800-\udfff]")


Opener = Callable[[], AbstractContextManager[IO[bytes]]]  # opens a file's or an object's bytes as a stream


@dataclass
class Skip:
    """A record inside a container that is not a document (counted, not listed)."""

    reason: str  # "warc-not-response", "warc-not-200", "warc-not-html"


def _file_identity(path: Path) -> tuple[str | None, int | None]:
    """(sha256, size) of a container file as stored, for its records' provenance."""
    try:
        return hash_file(path), path.stat().st_size
    except OSError:
        return None, None


def _jsonl_file(path: Path, rel: str, compression: str | None, max_bytes: int) -> Iterator[RawInput | Reject]:
    fmt = "jsonl" + (f".{compression}" if compression else "")
    yield from streamed(lambda: open_stream(path, compression), rel, lambda stream: jsonl_records(
        stream, rel, shown(os.path.abspath(path)), fmt, max_bytes, _file_identity(path)))


def streamed(opener: Opener, rel: str,
             read: Callable[[IO[bytes]], Iterator[Any]]) -> Iterator[Any]:
    """``read`` over the file's (decompressed) stream; a stream cut short (a truncated .gz) ends as one
    ``decode-error`` reject, after the lines before it went through."""
    try:
        with opener() as stream:
            yield from read(stream)
    except (OSError, EOFError) as err:
        yield Reject(rel, "decode-error", f"stream ends early: {err}", rel)


def open_stream(path: Path, compression: str | None) -> IO[bytes]:
    """A binary stream of the file's content, decompressed on the fly."""
    if compression == "gz":
        return gzip.open(path, "rb")
    if compression == "zst":
        import zstandard  # the optional "zstd" extra; checked before the file is opened

        raw = zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True,  # noqa: SIM115
                                                         read_across_frames=True)
        return io.BufferedReader(raw)  # line iteration needs a buffered stream
    return open(path, "rb")  # noqa: SIM115 - closed by the caller


def _source(rel: str, abspath: str, position: int, fmt: str, record: bytes, extra: dict[str, Any],
            file: tuple[str | None, int | None]) -> Source:
    return Source(path=rel, abspath=abspath, sha256=file[0], bytes=file[1], format=fmt, position=position,
                  record_sha256=hashlib.sha256(record).hexdigest(), record_bytes=len(record), extra=extra)


def bounded_lines(stream: IO[bytes], limit: int, before: int = 0) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for each line, never holding more than ``limit`` bytes of one: a longer
    line comes as None as soon as it is known to be too long, and is read past in blocks after.
    ``before``: lines that come before the stream (a byte range of a file starts at line ``before`` + 1)."""
    number = before
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) <= limit or line.endswith(b"\n"):
            yield number, line
            continue
        yield number, None
        while line and not line.endswith(b"\n"):
            line = stream.readline(1 << 20)


def _no_surrogates(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    """JSON may escape lone surrogates ("\\ud800"), which no UTF-8 output can hold: they become U+FFFD."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_no_surrogates(k): _no_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_surrogates(v) for v in value]
    return value


def parse_json_line(line: bytes) -> Any:  # noqa: ANN401 - any JSON value
    """A JSON line as strict JSON: NaN and Infinity become null; raises ValueError on anything else wrong
    (bad JSON, bad UTF-8, a 5,000-digit number, nesting too deep to parse)."""
    try:
        return _no_surrogates(json.loads(line, parse_constant=lambda name: None))
    except RecursionError:
        raise ValueError("nested too deeply to parse") from None


def json_lines(stream: IO[bytes], name: str, max_bytes: int,
               before: int = 0) -> Iterator[tuple[int, str, bytes, Any] | Reject]:
    """(line number, location, line, parsed value) for each non-blank JSON line, or the reject it became: a
    line over ``max_bytes`` (found before it is held) or one that is not JSON."""
    for number, line in bounded_lines(stream, max_bytes, before):
        if line is not None and not line.strip():
            continue
        where = location(name, {"line": number})
        if line is None:
            yield Reject(where, "too-large", f"line {number}: over --max-bytes {max_bytes}", name)
            continue
        try:
            yield number, where, line, parse_json_line(line)
        except ValueError as err:
            yield Reject(where, "malformed", f"line {number}: not JSON ({err.__class__.__name__}: {err})", name)


def jsonl_records(stream: IO[bytes], rel: str, abspath: str, fmt: str, max_bytes: int,
                  file: tuple[str | None, int | None] = (None, None), before: int = 0) -> Iterator[RawInput | Reject]:
    """One document per line: an object with ``html`` or ``text``; other fields kept under ``meta``.
    A bad line is one reject with its line number; a file with no lines at all is one ``empty`` reject.
    ``before``: the stream is a byte range of the file that starts after this many lines."""
    found = False
    for item in json_lines(stream, rel, max_bytes, before):
        found = True
        if isinstance(item, Reject):
            yield item
            continue
        number, where, line, obj = item
        if not isinstance(obj, dict):
            yield Reject(where, "malformed", f"line {number}: a JSON {type(obj).__name__}, not an object", rel)
            continue
        body = obj.get("html") if isinstance(obj.get("html"), str) else obj.get("text")
        if not isinstance(body, str) or not body.strip():
            yield Reject(where, "malformed", f"line {number}: no 'html' or 'text' string", rel)
            continue
        kind = "html" if isinstance(obj.get("html"), str) else "text"
        preset = {k: str(obj[k]) for k in ("url", "title", "date", "author") if obj.get(k) not in (None, "")}
        meta = {k: v for k, v in obj.items() if k not in JSONL_FIELDS}
        data = body.encode("utf-8")
        source = _source(rel, abspath, number, fmt, line.rstrip(b"\r\n"), {"line": number}, file)
        source_id = str(obj["id"]) if obj.get("id") not in (None, "") else None
        yield RawInput(id=record_id(source.record_sha256), source=source, data=data, kind=kind, preset=preset,
                       meta=meta or None, source_id=source_id)
    if not found:
        yield Reject(rel, "empty", "no records (an empty feed)", rel)


def warc_records(path: Path, rel: str, abspath: str, max_bytes: int) -> Iterator[RawInput | Reject | Skip]:
    """Each HTTP 200 response with an HTML body of a WARC file (see :func:`warc_stream`)."""
    fmt = "warc.gz" if path.name.lower().endswith(".gz") else "warc"
    return warc_stream(lambda: open(path, "rb"), rel, abspath, fmt, max_bytes, lambda: _file_identity(path))


def warc_stream(opener: Opener, rel: str, abspath: str, fmt: str, max_bytes: int,
                identity: Callable[[], tuple[str | None, int | None]],
                base: tuple[int, int] | None = None) -> Iterator[RawInput | Reject | Skip]:
    """Each HTTP 200 response with an HTML body. Records are found by :mod:`corpus.inputs.warc`, which
    trusts no length; a record that cannot be read is a reject at its offset, and reading goes on.
    ``base``: the opener gives a range of a .warc.gz from these (compressed, uncompressed) offsets on."""
    from warcio.archiveiterator import ArchiveIterator

    file = identity()
    found = base is not None  # a range with no record is not an empty file
    with opener() as handle:
        for item in split_warc(handle, max_bytes, base or (0, 0)):
            found = True
            where = location(rel, {"offset": item.offset})
            if isinstance(item, BadRecord):
                yield Reject(where, item.reason, f"record at byte {item.offset}: {item.message}", rel)
                continue
            try:
                record = next(iter(ArchiveIterator(io.BytesIO(item.data), no_record_parse=False)))
                document = _warc_document(record, rel, abspath, item.offset, fmt, max_bytes, file)
            except Exception as err:  # noqa: BLE001 - warcio raises many kinds on corrupt input
                document = Reject(where, "decode-error", f"record at byte {item.offset}: {describe(err)}", rel)
            if document is not None:
                yield document
    if not found:
        yield Reject(rel, "empty", "a WARC file with no records")


def _warc_document(record: Any, rel: str, abspath: str, offset: int, fmt: str,  # noqa: ANN401
                   max_bytes: int, file: tuple[str | None, int | None]) -> RawInput | Reject | Skip | None:
    if record.rec_type != "response":
        return Skip("warc-not-response") if record.rec_type in ("request", "metadata", "resource",
                                                                "revisit", "warcinfo") else None
    headers = record.http_headers
    if headers is None or headers.get_statuscode() != "200":
        return Skip("warc-not-200")
    ctype = (headers.get_header("Content-Type") or "").lower()
    if "html" not in ctype:
        return Skip("warc-not-html")
    data = record.content_stream().read(max_bytes + 1)
    if len(data) > max_bytes:
        return Reject(location(rel, {"offset": offset}), "too-large",
                      f"record at byte {offset}: over --max-bytes {max_bytes}", rel)
    if not data.strip():
        return Reject(location(rel, {"offset": offset}), "empty", f"record at byte {offset}: empty body", rel)
    uri = record.rec_headers.get_header("WARC-Target-URI")
    extra = {
        "offset": offset,
        "warc_record_id": record.rec_headers.get_header("WARC-Record-ID"),
        "warc_target_uri": uri,
        "warc_date": record.rec_headers.get_header("WARC-Date"),
    }
    source = _source(rel, abspath, offset, fmt, data, extra, file)
    return RawInput(id=record_id(source.record_sha256), source=source, data=data, kind="html",
                    fallback={"url": uri} if uri else {})


def describe(err: BaseException) -> str:
    """An exception in words, even when it carries none (a MemoryError says nothing)."""
    text = str(err)
    if isinstance(err, MemoryError):
        return "ran out of memory (MemoryError)" + (f": {text}" if text else "")
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def hash_file(path: Path) -> str:
    """sha256 of a file read in blocks (containers are never read whole). The reader (for its records'
    provenance) and ``--manifest`` both ask for a container's hash: the file is read once for both."""
    info = path.stat()
    return _hash_file(os.path.realpath(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _hash_file(real: str, device: int, inode: int, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(real, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
