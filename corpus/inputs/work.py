"""Work descriptions: what the client hands a worker that reads its own inputs (see :mod:`corpus.inputs.units`)."""

from __future__ import annotations

from dataclasses import dataclass

RANGE_BYTES = 32 << 20  # an uncompressed JSONL container larger than two of these is read in ranges of this size
Identity = tuple[str | None, int | None]


@dataclass(frozen=True)
class ObjectDoc:
    """A one-document object (HTML, text, maybe compressed) in a store."""

    url: str
    rel: str
    size: int | None
    kind: str
    compression: str | None


@dataclass(frozen=True)
class Container:
    """A WARC or JSONL file (a local path) or object (a URL): whole, or the bytes ``start``..``end`` of it,
    which begin at a line start, after ``before`` lines (uncompressed JSONL), or at a gzip member that begins a
    record, ``before`` uncompressed bytes in (.warc.gz); ``identity`` is then known."""

    where: str
    rel: str
    abspath: str
    kind: str
    compression: str | None
    size: int | None = None
    start: int = 0
    end: int | None = None
    before: int = 0
    identity: Identity | None = None

    @property
    def fmt(self) -> str:
        base = "warc" if self.kind == "warc" else "jsonl"
        return base + (f".{self.compression}" if self.compression else "")

    @property
    def splittable(self) -> bool:
        """An uncompressed JSONL container (line-aligned ranges) or a .warc.gz (ranges of whole gzip members,
        ``before`` then being the uncompressed offset at ``start``), of more than two ranges' bytes."""
        return (self.kind == "jsonl" and not self.compression or self.kind == "warc" and self.compression == "gz") \
            and self.end is None and self.size is not None and self.size > 2 * RANGE_BYTES


@dataclass
class Noted:
    """What reading found besides documents: a record that is not one (``skip``), or ``identity``."""

    input: str
    skip: str | None = None
    identity: Identity | None = None
