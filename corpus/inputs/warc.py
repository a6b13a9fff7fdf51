"""Splitting a WARC file into records without trusting it.

Real archives are cut off, concatenated, mislabelled and sometimes wrong inside: a record with
no ``Content-Length`` or a false one, junk between records, a gzip member that will not
inflate, a header line of a gigabyte. This module finds the records' bytes itself, with a bound
on every line, header and record before it is held in memory, and resynchronises on the next
``WARC/1.x`` header (or the next gzip member) when a length cannot be trusted; every record it
gives up on is reported with its offset and why, never dropped in silence. Each record's bytes
are then handed to warcio (in ``read_records``), which knows HTTP, chunking and encodings.

Offsets: in a ``.warc.gz`` written one record per gzip member (CC-NEWS and every crawler's
default) a record's offset is its member's byte offset in the file, as WARC indexes use; in a
WARC gzipped as one whole stream it is the record's offset in the uncompressed stream.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

GZIP_MAGIC = b"\x1f\x8b\x08"
MAX_HEADER_LINE = 64 * 1024  # a WARC header line longer than this is not one
MAX_HEADER_BYTES = 1024 * 1024  # nor a header block longer than this
_CHUNK = 1 << 16
_MARK = b"\nWARC/1."


@dataclass
class RawRecord:
    offset: int
    data: bytes  # the record: its WARC header block and exactly its content block


@dataclass
class BadRecord:
    offset: int
    reason: str  # a reject reason: "decode-error" or "too-large"
    message: str


class GzipError(Exception):
    def __init__(self, member: int, message: str) -> None:
        super().__init__(message)
        self.member = member


class _Members:
    """A file read as its gzip members one after another, each inflated in bounded steps."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._pending = b""
        self._decomp: zlib._Decompress | None = None
        self.compressed = 0  # offset in the file of the next compressed byte to feed
        self.member = 0  # offset of the member being inflated
        self.produced = 0  # uncompressed bytes produced so far
        self.member_produced = 0  # uncompressed offset where the current member began

    def read(self, size: int) -> bytes:
        while True:
            if not self._pending:
                self._pending = self._handle.read(_CHUNK)
            if self._decomp is None:
                skipped = len(self._pending) - len(self._pending.lstrip(b"\0"))  # padding between members
                self._pending, self.compressed = self._pending[skipped:], self.compressed + skipped
                if not self._pending:
                    if not self._handle_has_more():
                        return b""
                    continue
                self._decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self.member, self.member_produced = self.compressed, self.produced
            if not self._pending:
                raise GzipError(self.member, "the file ends inside this gzip member (truncated)")
            try:
                out = self._decomp.decompress(self._pending, size)
            except zlib.error as err:
                raise GzipError(self.member, f"corrupt gzip data: {err}") from None
            rest = self._decomp.unused_data if self._decomp.eof else self._decomp.unconsumed_tail
            self.compressed += len(self._pending) - len(rest)
            self._pending = rest
            if self._decomp.eof:
                self._decomp = None
            if out:
                self.produced += len(out)
                return out

    def _handle_has_more(self) -> bool:
        self._pending = self._handle.read(_CHUNK)
        return bool(self._pending)

    def resync(self) -> bool:
        """Skip to the next gzip member after the broken one; False when there is none."""
        self._handle.seek(self.member + 1)
        position, carry = self.member + 1, b""
        while chunk := self._handle.read(1 << 20):
            window = carry + chunk
            found = window.find(GZIP_MAGIC)
            if found >= 0:
                self.compressed = position - len(carry) + found
                self._handle.seek(self.compressed)
                self._pending, self._decomp = b"", None
                return True
            carry = window[-(len(GZIP_MAGIC) - 1):]
            position += len(chunk)
        return False


class _Scanner:
    """A read-ahead buffer over a stream, with an absolute position and bounded reads."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self.buf = bytearray()
        self.pos = 0  # stream offset of buf[0]
        self.eof = False

    def reset(self, pos: int) -> None:
        self.buf, self.pos, self.eof = bytearray(), pos, False

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self._read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _consume(self, n: int) -> None:
        del self.buf[:n]
        self.pos += n

    def peek(self, n: int) -> bytes:
        while len(self.buf) < n and self._more():
            pass
        return bytes(self.buf[:n])

    def readline(self, limit: int) -> bytes | None:
        """The next line (with its newline); None, consuming nothing, when it runs past ``limit``."""
        searched = 0
        while True:
            found = self.buf.find(b"\n", searched, limit)
            if found >= 0:
                line = bytes(self.buf[: found + 1])
                self._consume(found + 1)
                return line
            if len(self.buf) >= limit:
                return None
            searched = len(self.buf)
            if not self._more():
                line = bytes(self.buf)
                self._consume(len(line))
                return line

    def read(self, n: int) -> bytes:
        self.peek(n)
        data = bytes(self.buf[:n])
        self._consume(len(data))
        return data

    def skip(self, n: int) -> int:
        """Drop ``n`` bytes without holding them; returns how many there were."""
        dropped = 0
        while dropped < n:
            if not self.buf and not self._more():
                break
            step = min(n - dropped, len(self.buf))
            self._consume(step)
            dropped += step
        return dropped

    def unread(self, data: bytes) -> None:
        self.buf[:0] = data
        self.pos -= len(data)

    def to_next_header(self) -> bool:
        """Move past the current byte to the start of the next ``WARC/1.`` line; False at the end."""
        self.skip(1)
        while True:
            found = self.buf.find(_MARK)
            if found >= 0:
                self._consume(found + 1)
                return True
            self._consume(max(0, len(self.buf) - len(_MARK)))
            if not self._more():
                self._consume(len(self.buf))
                return False


def _content_length(header: bytes) -> int | None:
    for line in header.split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return None
            return length if length >= 0 else None
    return None


def _split(scanner: _Scanner, max_bytes: int, offset_of: Callable[[int], int]) -> Iterator[RawRecord | BadRecord]:
    """Records from one stream; a problem with one record is reported and reading resumes at the next."""
    while True:
        while scanner.peek(1) in (b"\r", b"\n"):  # the blank lines between records
            scanner.read(1)
        if not scanner.peek(1):
            return
        offset = offset_of(scanner.pos)
        problem = _one(scanner, max_bytes)
        if isinstance(problem, RawRecord):
            yield RawRecord(offset, problem.data)
            continue
        reason, message, resync = problem
        yield BadRecord(offset, reason, message)
        if resync and not scanner.to_next_header():
            return


def _one(scanner: _Scanner, max_bytes: int) -> RawRecord | tuple[str, str, bool]:
    """One record at the scanner's position, or (reason, message, whether to search for the next header)."""
    first = scanner.readline(MAX_HEADER_LINE)
    if first is None or not first.startswith(b"WARC/1."):
        if first:
            scanner.unread(first)  # the search for the next header starts inside this line
        return ("decode-error", "no WARC/1.x header where a record should start (junk, or a wrong length before it)",
                True)
    header = bytearray(first)
    while True:
        line = scanner.readline(MAX_HEADER_LINE)
        if line is None:
            return "decode-error", f"a WARC header line longer than {MAX_HEADER_LINE} bytes", True
        header += line
        if line in (b"\r\n", b"\n", b""):
            break
        if len(header) > MAX_HEADER_BYTES:
            return "decode-error", f"a WARC header block longer than {MAX_HEADER_BYTES} bytes", True
    if not line:
        return "decode-error", "the file ends inside a WARC header", True
    length = _content_length(bytes(header))
    if length is None:
        return "decode-error", "a WARC record without a valid Content-Length", True
    if length > max_bytes:
        if scanner.skip(length) < length:
            return "decode-error", "the file ends inside this record's content", True
        if not _at_boundary(scanner):
            return "decode-error", f"Content-Length {length} is not followed by a record boundary", True
        return "too-large", f"content of {length} bytes is over --max-bytes {max_bytes}", False
    content = scanner.read(length)
    if len(content) < length:  # the length was wrong: look for the next record inside what it claimed
        scanner.unread(content)
        return "decode-error", f"the file ends inside this record's content ({len(content)} of {length} bytes)", True
    if not _at_boundary(scanner) and (inner := content.find(_MARK)) >= 0:
        scanner.unread(content[inner + 1:])  # a length running into the next record: give that record back
        return "decode-error", f"Content-Length {length} runs into the next record", False
    return RawRecord(0, bytes(header) + content)  # junk after it, if any, is the next problem reported


def _at_boundary(scanner: _Scanner) -> bool:
    """After a record's content: blank lines, then the end of the stream or the next record."""
    ahead = scanner.peek(64)
    stripped = ahead.lstrip(b"\r\n")
    return not stripped or stripped.startswith(b"WARC/1.")


def split_warc(handle: IO[bytes], max_bytes: int, base: tuple[int, int] = (0, 0)) -> Iterator[RawRecord | BadRecord]:
    """Every record of a WARC file, plain or gzipped (per record or as a whole), or why not. ``base``: the
    handle holds the file's gzip members from compressed offset ``base[0]``, uncompressed ``base[1]`` on (a
    range of a .warc.gz, :func:`corpus.inputs.units.scan_warc_gz`): offsets are the whole file's."""
    if handle.read(len(GZIP_MAGIC)) != GZIP_MAGIC:  # a ".warc.gz" that is not gzip is read as what it is
        handle.seek(0)
        yield from _split(_Scanner(handle.read), max_bytes, lambda pos: pos)
        return
    handle.seek(0)
    members = _Members(handle)
    scanner = _Scanner(members.read)

    def offset_of(pos: int) -> int:
        return members.member + base[0] if pos == members.member_produced else pos + base[1]

    while True:
        try:
            yield from _split(scanner, max_bytes, offset_of)
            return
        except GzipError as err:
            at = err.member + base[0]
            yield BadRecord(at, "decode-error", f"gzip member at byte {at}: {err}")
            if not members.resync():
                return
            scanner.reset(members.produced)
