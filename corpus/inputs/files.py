"""Stage 1: find input files, sniff what they are, and read their bytes.

Yields :class:`RawInput` for every file that can become a document and
:class:`~corpus.document.Reject` for every file that cannot, so nothing is
dropped without a word.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.document import Reject, Source
from corpus.identity import record_id
from corpus.limits import DEFAULT_MAX_BYTES, MAX_BYTES_CAP

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt"}
WARC_SUFFIXES = {".warc"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
BINARY_CONTROL_SHARE = 0.05  # more control bytes than this in the first 8 KB: not text
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)

_HTML_SNIFF = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|article|section|span|a\s)", re.I
)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


@dataclass
class RawInput:
    """The bytes of one input document, before any extraction."""

    id: str
    source: Source
    data: bytes
    kind: str  # "html" or "text": which extractor it goes to
    preset: dict[str, str] = field(default_factory=dict)  # metadata the input states (crawler JSONL)
    fallback: dict[str, str] = field(default_factory=dict)  # used when the page has none (WARC target URI)
    meta: dict[str, Any] | None = None  # a crawler record's other fields, passed through
    source_id: str | None = None  # a crawler record's own id


def common_base(paths: Iterable[str]) -> Path | None:
    """The folder the PATH arguments have in common: records name inputs relative to it, so two
    same-named files under different arguments stay distinct, and moving the crawl changes nothing."""
    folders = [os.path.abspath(p) if _is_dir(Path(p)) else os.path.dirname(os.path.abspath(p)) for p in paths]
    return Path(os.path.commonpath(folders)) if folders else None


def walk(paths: Iterable[str]) -> Iterator[tuple[Path, Path]]:
    """Yield (file, root) for every file under each PATH, recursively, in sorted order.

    Hidden files and folders are yielded too (the reader rejects them with a
    reason); symlinked folders are followed once, so a link loop cannot recurse.
    """
    for arg in paths:
        root = Path(arg)
        if _is_dir(root):
            yield from _walk_dir(root, root, set())
        else:
            yield root, root.parent if str(root.parent) else Path(".")


def _is_dir(path: Path | os.DirEntry) -> bool:
    """is_dir that says False, rather than raising, for link loops and vanished entries."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _walk_dir(folder: Path, root: Path, seen: set[str]) -> Iterator[tuple[Path, Path]]:
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        yield folder, root  # the reader turns the failure into an "unreadable" reject
        return
    for entry in entries:
        path = Path(entry.path)
        if _is_dir(entry) and not entry.name.startswith("."):
            yield from _walk_dir(path, root, seen)
        else:
            yield path, root  # a hidden folder too: counted as a "hidden" skip, not entered


def classify(path: Path) -> tuple[str | None, str | None]:
    """(kind, compression) from the file name.

    kind: "html" or "text" (one document per file), "warc" or "jsonl" (many), None (unsupported);
    compression: "gz", "zst" or None.
    """
    suffixes = [s.lower() for s in path.suffixes]
    compression = suffixes[-1][1:] if suffixes and suffixes[-1] in (".gz", ".zst") else None
    if compression:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in HTML_SUFFIXES:
        return "html", compression
    if last in TEXT_SUFFIXES:
        return "text", compression
    if last in WARC_SUFFIXES and compression != "zst":
        return "warc", compression
    if last in JSONL_SUFFIXES:
        return "jsonl", compression
    return None, compression


def zstd_available() -> bool:
    try:
        import zstandard  # noqa: F401 - the optional "zstd" extra
    except ImportError:
        return False
    return True


def relative_path(path: Path, root: Path) -> str:
    """The path as records show it: relative to ``root`` (see :func:`common_base`), POSIX.

    Paths are bytes to the system; a name that is not UTF-8 is shown with its odd bytes escaped
    (``bad\\xff.html``), so records and messages stay valid UTF-8 while the file is still read.
    """
    absolute, base = os.path.abspath(path), os.path.abspath(root)
    if os.sep == "/" and not absolute.startswith("//") and not base.startswith("//"):
        # both normalised: a path under the root is the root, a slash, then the rest (pathlib's relative_to,
        # which compares the two paths' parts, took 8 us a file, twice for each: when listed and when read)
        under = base if base == "/" else base + "/"
        rel = "." if absolute == base else absolute[len(under):] if absolute.startswith(under) else path.as_posix()
    else:  # Windows, or POSIX's implementation-defined "//" root
        try:
            rel = Path(absolute).relative_to(base).as_posix()
        except ValueError:
            rel = path.as_posix()
    return shown(path.name if rel == "." else rel)


def shown(name: str) -> str:
    """A file name as text: undecodable bytes (surrogate escapes) become ``\\xNN``."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


def check_readable(path: Path, rel: str, kind: str | None, compression: str | None) -> Reject | None:
    """The checks every file gets before its content is read: special files (FIFOs, devices,
    sockets) are refused on what ``stat`` says, before anything could block on opening them."""
    problem, _ = _stat_checked(path, rel, kind, compression)
    if problem is not None:
        return problem
    try:
        with open(path, "rb"):
            pass
    except OSError as err:
        return Reject(rel, "unreadable", err.strerror or str(err))
    return None


def _stat_checked(path: Path, rel: str, kind: str | None, compression: str | None,
                  ) -> tuple[Reject | None, os.stat_result | None]:
    """:func:`check_readable` but the opening: (why not, or None; what ``stat`` said)."""
    if path.name.startswith("."):
        return Reject(rel, "hidden", "hidden " + ("folder" if _is_dir(path) else "file") + " skipped"), None
    try:
        info = path.stat()
    except ValueError:  # a NUL byte in the name: no file can have it
        return Reject(rel, "unreadable", "a file name with a NUL byte"), None
    except OSError as err:
        what = "a symbolic link that cannot be followed" if path.is_symlink() else "cannot be read"
        return Reject(rel, "unreadable", f"{what}: {err.strerror or err}"), None
    if stat.S_ISDIR(info.st_mode):
        return Reject(rel, "unreadable", "a folder that cannot be listed"), info
    if not stat.S_ISREG(info.st_mode):
        return Reject(rel, "unreadable", f"not a regular file ({_file_kind(info.st_mode)})"), info
    if kind is None:
        return Reject(rel, "unsupported-type",
                      f"no reader for {shown(path.suffix) or 'files without an extension'}"), info
    if compression == "zst" and not zstd_available():
        return Reject(rel, "unsupported-type",
                      "a .zst file: pip install -e '.[zstd]' in the checkout to read it"), info
    return None, info


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def is_regular_file(path: Path) -> bool:
    """True only for a regular file (following links): what may be opened and hashed without blocking."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when the bytes look like UTF-16 saved without a BOM."""
    head = data[:4096]
    half = len(head) // 2
    if half < 8:
        return None
    even_nuls = head[0::2].count(0) / half
    odd_nuls = head[1::2].count(0) / half
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """Many NUL or control bytes in the head mean it is not text (BOMs and UTF-16 excepted).

    A stray NUL in a text file does not make it binary: it is dropped when decoded.
    """
    head = data[:8192]
    if head.startswith(_BOMS) or utf16_without_bom(head):
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > len(head) * BINARY_CONTROL_SHARE


def looks_html(data: bytes) -> bool:
    return bool(_HTML_SNIFF.search(data[:65536]))


def read_file(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> RawInput | Reject:
    """A one-document file (HTML or text, maybe compressed) as a RawInput, or why not."""
    rel = relative_path(path, root)
    kind, compression = classify(path)
    problem, info = _stat_checked(path, rel, kind, compression)  # the checks of check_readable, one stat
    if problem is not None:
        return problem
    assert info is not None
    try:
        with open(path, "rb") as handle:  # opened once: to test that it can be, and to read it
            if kind not in ("html", "text"):
                return Reject(rel, "unsupported-type", f"a {kind} file holds many documents (read by read_records)")
            if info.st_size > max_bytes:
                return Reject(rel, "too-large", f"{info.st_size} bytes is over --max-bytes {max_bytes}")
            raw = handle.read()
    except OSError as err:
        return Reject(rel, "unreadable", err.strerror or str(err))
    return document(raw, rel, shown(os.path.abspath(path)), kind, compression, max_bytes)


def document(raw: bytes, rel: str, abspath: str, kind: str, compression: str | None,
             max_bytes: int) -> RawInput | Reject:
    """A one-document file's bytes as stored (a local file or an object) as a RawInput, or why not."""
    data = raw
    if compression:
        try:
            data = _gunzip(raw, max_bytes) if compression == "gz" else _unzstd(raw, max_bytes)
        except OverflowError:
            return Reject(rel, "too-large", f"decompresses to more than --max-bytes {max_bytes}")
        except Exception as err:  # noqa: BLE001 - zlib, EOF and zstandard errors alike
            return Reject(rel, "decode-error", f"bad {compression} stream: {err}")
    if not data.strip():
        return Reject(rel, "empty", "no content")
    if looks_binary(data):
        return Reject(rel, "binary", "binary content, not text or HTML")
    if kind == "html" and not looks_html(data):
        kind = "text"  # named .html but holds no markup: read it as the text it is
    digest = hashlib.sha256(raw).hexdigest()
    source = Source(
        path=rel,
        abspath=abspath,
        sha256=digest,
        bytes=len(raw),
        format=kind + (f".{compression}" if compression else ""),
        record_sha256=digest,
        record_bytes=len(raw),
    )
    return RawInput(id=record_id(digest), source=source, data=data, kind=kind)


def _unzstd(raw: bytes, limit: int) -> bytes:
    """Every frame (``cat a.zst b.zst`` is one stream), never past ``limit``; a cut frame is an error."""
    import zstandard

    out = bytearray()
    rest = raw
    while rest:
        decomp = zstandard.ZstdDecompressor().decompressobj()
        out += decomp.decompress(rest)
        if len(out) > limit:
            raise OverflowError
        if not decomp.eof:
            raise EOFError("truncated zstd stream")
        rest = decomp.unused_data
    return bytes(out)


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Every gzip member (``cat a.gz b.gz`` is one file), never past ``limit`` (a gzip bomb stops there)."""
    limit = min(limit, MAX_BYTES_CAP)
    out = bytearray()
    rest = raw
    while rest:
        decomp = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        out += decomp.decompress(rest, limit + 1 - len(out))
        if len(out) > limit:
            raise OverflowError
        if not decomp.eof:
            raise EOFError("truncated gzip stream")
        rest = decomp.unused_data.lstrip(b"\0")  # padding between members is allowed
    return bytes(out)


def _looks_western(data: bytes) -> bool:
    """Latin-1/cp1252 text: high bytes are accented letters, sparse among ASCII letters.

    Short Western texts are where charset detection guesses worst; Cyrillic or Greek
    single-byte text has nearly every letter above 0x7F, so it is left to detection.
    """
    head = data[:65536]
    high = sum(1 for b in head if b >= 0x80)
    ascii_letters = sum(1 for b in head if 65 <= b <= 90 or 97 <= b <= 122)
    if not high or high > 0.3 * (high + ascii_letters):
        return False
    text = head.decode("cp1252", errors="replace")
    letters = sum(1 for ch in text if ord(ch) >= 0x80 and ch.isalpha())
    return letters >= 0.7 * sum(1 for ch in text if ord(ch) >= 0x80)


def has_bom_or_utf16(data: bytes) -> bool:
    return data.startswith(_BOMS) or utf16_without_bom(data) is not None


def decode_text(data: bytes) -> str:
    """Bytes to str: BOM, UTF-16 shape, then UTF-8, then charset detection; never raises."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    utf16 = utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _looks_western(data):
        return data.decode("cp1252", errors="replace")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None:
        return data.decode(best.encoding, errors="replace")
    return data.decode("utf-8", errors="replace")

