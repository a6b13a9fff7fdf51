"""The one record type that travels through every stage of the pipeline."""

from __future__ import annotations

import marshal
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Removal:
    """One piece of text a named rule took out, so users can audit the cleaner."""

    rule: str
    text: str


def merged_removals(removals: Iterable[Removal]) -> list[Removal]:
    """Consecutive lines removed by one rule become one entry."""
    merged: list[Removal] = []
    for removal in removals:
        if merged and merged[-1].rule == removal.rule:
            merged[-1] = Removal(removal.rule, merged[-1].text + "\n" + removal.text)
        else:
            merged.append(removal)
    return merged


_LOCATION_MARKS = (("offset", "@"), ("line", ":"))


def location(path: str, extra: dict[str, Any]) -> str:
    """Where a document is, as rejects name it: the file, or "file@offset" (WARC), "file:line" (JSONL)."""
    return next((f"{path}{mark}{extra[key]}" for key, mark in _LOCATION_MARKS if key in extra), path)


def host_of(url: str | None) -> str | None:
    """The site a URL belongs to, as people name it: lowercase host without "www." (None: no host)."""
    try:
        host = urlsplit(url or "").hostname
    except ValueError:  # a malformed URL (an unclosed IPv6 bracket) names no site
        return None
    return host.removeprefix("www.") if host else None


_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")
_NOT_HOSTS = ("git", "d", "bak", "old", "tmp", "local", "orig", "backup", "txt", "html", "htm", "json", "jsonl",
              "warc", "gz", "zst", "zip", "tar", "xml", "csv", "md")


def host_in_path(path: str) -> str | None:
    """The site a file's folders name (``crawl/www.example.com/2026/x.txt``: example.com): the innermost
    folder that is a host name (dotted, a letters-only top-level domain); None when none is."""
    for part in reversed(PurePosixPath(path.replace("\\", "/")).parts[:-1]):
        part = part.lower()
        if _HOST.match(part) and part.rsplit(".", 1)[1] not in _NOT_HOSTS:
            return part.removeprefix("www.")
    return None


@dataclass
class Source:
    """Where a document came from; enough to find the exact input bytes again."""

    path: str  # distinct per input: relative to the common folder of the PATH arguments, POSIX separators
    abspath: str  # absolute path, for messages and the state's record of where a story was seen
    sha256: str | None  # of the whole input file as stored (None for standard input)
    bytes: int | None
    format: str  # "html", "text", "warc", "jsonl" (with ".gz"/".zst" when compressed)
    record_sha256: str = ""  # of this document's own bytes: the file, the WARC payload, the JSONL line
    record_bytes: int = 0
    position: int = 0  # where in its file: 0, a WARC record's byte offset, a JSONL line number
    extra: dict[str, Any] = field(default_factory=dict)  # provenance of container records (WARC headers)

    @property
    def location(self) -> str:
        return location(self.path, self.extra)


@dataclass
class Document:
    """A news document and its provenance; stages fill in fields as it moves along."""

    id: str
    source: Source
    text: str = ""
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    sitename: str | None = None
    meta: dict[str, Any] | None = None  # a crawler record's own fields, passed through
    source_id: str | None = None  # a crawler record's own id: kept, but it decides nothing
    lang: str | None = None
    lang_prob: float = 0.0
    duplicate_of: str | None = None
    text_hash: str | None = None
    extractor: str = ""
    extractor_version: str = ""
    removed: list[Removal] = field(default_factory=list)

    @property
    def site(self) -> str | None:
        """The document's site: its url's host, else a host its path names (``provenance.site``)."""
        return host_of(self.url) or self.source.extra.get("site")

    def find_site(self) -> None:
        """A document without a url's host takes its site from its path (the input file's, or its
        absolute path's folders): kept as ``provenance.site``, with ``provenance.site_from``."""
        if host_of(self.url) is None and "site" not in self.source.extra:
            host = host_in_path(self.source.path) or host_in_path(self.source.abspath)
            if host is not None:
                self.source.extra.update(site=host, site_from="path")

    def to_record(self, newsclean_version: str) -> dict[str, Any]:
        """The JSON object written for this document (key order is part of the format)."""
        return {
            "id": self.id,
            "text_hash": self.text_hash,
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "url": self.url,
            "sitename": self.sitename,
            "lang": self.lang,
            "lang_prob": self.lang_prob,
            "duplicate_of": self.duplicate_of,
            "text": self.text,
            "source_id": self.source_id,
            "meta": self.meta,
            "provenance": {
                "path": self.source.path,
                "position": self.source.position,
                "sha256": self.source.sha256,
                "bytes": self.source.bytes,
                "record_sha256": self.source.record_sha256,
                "record_bytes": self.source.record_bytes,
                "format": self.source.format,
                "extractor": self.extractor,
                "extractor_version": self.extractor_version,
                "newsclean_version": newsclean_version,
                "removed": [{"rule": r.rule, "text": r.text} for r in self.removed],
                **self.source.extra,
            },
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], abspath: str = "") -> Document:
        """A written record read back (``newsclean dedup``): the inverse of :meth:`to_record`."""
        prov = dict(record["provenance"])
        known = ("path", "position", "sha256", "bytes", "record_sha256", "record_bytes", "format", "extractor",
                 "extractor_version", "newsclean_version", "removed")
        source = Source(path=prov["path"], abspath=abspath or prov["path"], sha256=prov.get("sha256"),
                        bytes=prov.get("bytes"), format=prov["format"], position=prov.get("position", 0),
                        record_sha256=prov.get("record_sha256") or prov.get("sha256") or "",
                        record_bytes=prov.get("record_bytes") or prov.get("bytes") or 0,
                        extra={k: v for k, v in prov.items() if k not in known})
        return cls(id=record["id"], source=source, text=record["text"], title=record.get("title"),
                   author=record.get("author"), date=record.get("date"), url=record.get("url"),
                   sitename=record.get("sitename"), meta=record.get("meta"), source_id=record.get("source_id"),
                   lang=record.get("lang"),
                   lang_prob=record.get("lang_prob", 0.0), text_hash=record.get("text_hash"),
                   extractor=prov.get("extractor", ""), extractor_version=prov.get("extractor_version", ""),
                   removed=[Removal(r["rule"], r["text"]) for r in prov.get("removed", [])])

    def to_spool(self) -> dict[str, Any]:
        """Everything needed to rebuild the document after a pass through disk."""
        data = dict(self.__dict__)
        data["source"] = dict(self.source.__dict__)
        data["removed"] = [(r.rule, r.text) for r in self.removed]
        return data

    @classmethod
    def from_spool(cls, data: dict[str, Any]) -> Document:
        data = dict(data)
        data["source"] = Source(**data["source"])
        data["removed"] = [Removal(rule, text) for rule, text in data["removed"]]
        return cls(**data)

    def spooled(self) -> bytes:
        """:meth:`to_spool` as bytes, for a batch run's temporary files and the pipes between processes. Never
        written anywhere a later Python reads it: ``marshal`` (its format is this Python's), which took a plain-text
        document 3 us out and 9 back where JSON took 47 and 16, and a document is spooled out and read back two or
        three times in a run."""
        return marshal.dumps(self.to_spool())

    @classmethod
    def from_spooled(cls, data: bytes) -> Document:
        return cls.from_spool(marshal.loads(data))


@dataclass
class Reject:
    """An input that produced no document, with a short machine code and a human message."""

    path: str  # the file, or "file@offset" / "file:line" for a record inside a WARC or JSONL file
    reason: str  # e.g. "binary", "empty", "unknown-type", "hidden", "no-text"
    message: str
    file: str | None = None  # the input file a record-level reject belongs to

    def __post_init__(self) -> None:
        # one clean line whatever the error quoted (corrupt archives quote their raw bytes)
        self.message = "".join(ch if ch.isprintable() else "?" for ch in self.message)[:300]

    @property
    def input(self) -> str:
        return self.file or self.path
