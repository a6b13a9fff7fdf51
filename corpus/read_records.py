"""Stage 1, for files that hold many documents: WARC archives and crawler JSON Lines.

Both are read as streams in the main process (a multi-GB WARC never sits in memory);
every document inside becomes a :class:`~corpus.read.RawInput` of its own, so the
workers share even a single large file. Records that are not documents (WARC requests,
non-HTML or non-200 responses) are counted as skips; a record that cannot be read is a
reject, and the rest of the file still goes through.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from corpus.document import Reject, Source, location
from corpus.identity import record_id
from corpus.read import (
    DEFAULT_MAX_BYTES,
    RawInput,
    check_readable,
    classify,
    read_file,
    relative_path,
    walk,
)

JSONL_FIELDS = ("html", "text", "url", "title", "date", "author", "id")
STDIN_RECORDS = "\0stdin-jsonl"  # a PATH that means: JSONL records on standard input
_GZIP_MAGIC = b"\x1f\x8b\x08"


@dataclass
class Skip:
    """A record inside a container that is not a document (counted, not listed)."""

    reason: str  # "warc-not-response", "warc-not-200", "warc-not-html"


def read_inputs(paths: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES, *, defer_files: bool = False,
                on_file: Callable[[str, Path | None], None] | None = None, base: Path | None = None,
                ) -> Iterator[RawInput | Reject | Skip | tuple[Path, Path]]:
    """The reader stage: every input under ``paths`` as documents, rejects and skips, in order.

    One-document files (HTML, text) are read here, or with ``defer_files`` handed on as
    (path, root) for a worker to read with :func:`corpus.read.read_file`; WARC and JSONL
    files are always streamed here. ``on_file`` hears of every input file (rel, path).
    With ``base`` (the PATH arguments' common folder) paths are shown relative to it, or,
    when outside it (listed on stdin), relative to the working folder or absolute; without
    it, relative to the PATH argument they were found under.
    """
    notify = on_file or (lambda rel, path: None)
    for arg in paths:
        if arg == STDIN_RECORDS:
            notify("<stdin>", None)
            yield from jsonl_records(sys.stdin.buffer, "<stdin>", "<stdin>", "jsonl", max_bytes)
            continue
        for path, found_under in walk([arg]):
            root = found_under if base is None else base if _is_under(path, base) else Path.cwd()
            kind, compression = classify(path)
            rel = relative_path(path, root)
            notify(rel, path)
            if kind not in ("warc", "jsonl"):
                yield (path, root) if defer_files else read_file(path, root, max_bytes)
            elif (problem := check_readable(path, rel, kind, compression)) is not None:
                yield problem
            elif kind == "warc":
                yield from warc_records(path, rel, os.path.abspath(path), max_bytes)
            else:
                yield from _jsonl_file(path, rel, compression, max_bytes)


def _is_under(path: Path, base: Path) -> bool:
    return os.path.abspath(path).startswith(os.path.join(os.path.abspath(base), ""))


def _file_identity(path: Path) -> tuple[str | None, int | None]:
    """(sha256, size) of a container file as stored, for its records' provenance."""
    try:
        return hash_file(path), path.stat().st_size
    except OSError:
        return None, None


def _jsonl_file(path: Path, rel: str, compression: str | None, max_bytes: int) -> Iterator[RawInput | Reject]:
    fmt = "jsonl" + (f".{compression}" if compression else "")
    try:
        with open_stream(path, compression) as stream:
            yield from jsonl_records(stream, rel, os.path.abspath(path), fmt, max_bytes, _file_identity(path))
    except (OSError, EOFError) as err:  # a truncated .gz: the lines before it went through
        yield Reject(rel, "decode-error", f"stream ends early: {err}", rel)


def open_stream(path: Path, compression: str | None) -> IO[bytes]:
    """A binary stream of the file's content, decompressed on the fly."""
    if compression == "gz":
        return gzip.open(path, "rb")
    if compression == "zst":
        import zstandard  # the optional "zstd" extra; checked before the file is opened

        raw = zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)  # noqa: SIM115
        return io.BufferedReader(raw)  # line iteration needs a buffered stream
    return open(path, "rb")  # noqa: SIM115 - closed by the caller


def _source(rel: str, abspath: str, position: int, fmt: str, record: bytes, extra: dict[str, Any],
            file: tuple[str | None, int | None]) -> Source:
    return Source(path=rel, abspath=abspath, sha256=file[0], bytes=file[1], format=fmt, position=position,
                  record_sha256=hashlib.sha256(record).hexdigest(), record_bytes=len(record), extra=extra)


def jsonl_records(stream: IO[bytes], rel: str, abspath: str, fmt: str, max_bytes: int,
                  file: tuple[str | None, int | None] = (None, None)) -> Iterator[RawInput | Reject]:
    """One document per line: an object with ``html`` or ``text``; other fields kept under ``meta``."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        where = location(rel, {"line": number})
        if len(line) > max_bytes:
            yield Reject(where, "too-large", f"line {number}: {len(line)} bytes is over --max-bytes {max_bytes}", rel)
            continue
        try:
            obj = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            yield Reject(where, "malformed", f"line {number}: not JSON ({err.__class__.__name__}: {err})", rel)
            continue
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


def warc_records(path: Path, rel: str, abspath: str, max_bytes: int) -> Iterator[RawInput | Reject | Skip]:
    """Each HTTP 200 response with an HTML body; a corrupt record is a reject, then reading resumes
    at the next gzip member (or the next ``WARC/`` header in an uncompressed file)."""
    from warcio.archiveiterator import ArchiveIterator

    fmt = "warc.gz" if path.name.lower().endswith(".gz") else "warc"
    file = _file_identity(path)
    with open(path, "rb") as handle:
        start = 0
        while True:
            handle.seek(start)
            records = ArchiveIterator(handle)
            next_start = start  # where the record being read begins: known even when it is corrupt
            try:
                for record in records:
                    # warcio finds a record's offset by reading it to the end: body first, offset after
                    item = _warc_document(record, rel, abspath,
                                          lambda base=start, it=records: base + it.get_record_offset(), fmt, max_bytes,
                                          file)
                    records.read_to_end()
                    next_start = start + records.get_record_offset() + records.get_record_length()
                    if item is not None:
                        yield item
                return
            except Exception as err:  # noqa: BLE001 - warcio raises many kinds on corrupt input
                yield Reject(location(rel, {"offset": next_start}), "decode-error",
                             f"record at byte {next_start}: {err.__class__.__name__}: {err}", rel)
                resume = _next_record_start(handle, next_start + 1, fmt)
                if resume is None:
                    return
                start = resume


def _warc_document(record: Any, rel: str, abspath: str, offset_of: Callable[[], int], fmt: str,  # noqa: ANN401
                   max_bytes: int, file: tuple[str | None, int | None]) -> RawInput | Reject | Skip | None:
    if record.rec_type != "response":
        return Skip("warc-not-response") if record.rec_type in ("request", "metadata", "resource",
                                                                "revisit") else None
    headers = record.http_headers
    if headers is None or headers.get_statuscode() != "200":
        return Skip("warc-not-200")
    ctype = (headers.get_header("Content-Type") or "").lower()
    if "html" not in ctype:
        return Skip("warc-not-html")
    data = record.content_stream().read(max_bytes + 1)
    offset = offset_of()
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


def _next_record_start(handle: IO[bytes], position: int, fmt: str) -> int | None:
    """Where the next record may start after a corrupt one."""
    marker = _GZIP_MAGIC if fmt == "warc.gz" else b"WARC/1."
    handle.seek(position)
    carry = b""
    base = position
    while True:
        chunk = handle.read(1 << 20)
        if not chunk:
            return None
        window = carry + chunk
        found = window.find(marker)
        if found >= 0:
            return base - len(carry) + found
        carry = window[-(len(marker) - 1):]
        base += len(chunk)


def hash_file(path: Path) -> str:
    """sha256 of a file read in blocks (containers are never read whole)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

