"""The one record type that travels through every stage of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Removal:
    """One piece of text a named rule took out, so users can audit the cleaner."""

    rule: str
    text: str


@dataclass
class Source:
    """Where a document came from; enough to find the exact input bytes again."""

    path: str  # relative to the PATH argument it was found under, POSIX separators
    abspath: str  # absolute path, used for the stable id (never written to records)
    sha256: str
    bytes: int
    format: str  # "html" or "text" (with ".gz" when it was compressed)
    position: int = 0  # index of the record inside its file (0 for one-document files)


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
    lang: str | None = None
    lang_prob: float = 0.0
    duplicate_of: str | None = None
    text_hash: str | None = None
    extractor: str = ""
    extractor_version: str = ""
    removed: list[Removal] = field(default_factory=list)

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
            "provenance": {
                "path": self.source.path,
                "position": self.source.position,
                "sha256": self.source.sha256,
                "bytes": self.source.bytes,
                "format": self.source.format,
                "extractor": self.extractor,
                "extractor_version": self.extractor_version,
                "newsclean_version": newsclean_version,
                "removed": [{"rule": r.rule, "text": r.text} for r in self.removed],
            },
        }

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


@dataclass
class Reject:
    """An input that produced no document, with a short machine code and a human message."""

    path: str
    reason: str  # e.g. "binary", "empty", "unknown-type", "hidden", "no-text"
    message: str
