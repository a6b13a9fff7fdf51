"""``newsclean report``: what a run did, counted from its output, rejects and manifest.

Everything is streamed and counted, never held: a counter per language, rule, reason; bounded
"heavy hitters" tables (:class:`TopK`) for removed lines, sources and sites, so millions of
records fit in a few MB; and a second pass over the output only to fetch the titles and
sources of the largest duplicate groups.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from corpus.document import host_of

LENGTH_BINS = (0, 50, 100, 200, 400, 800, 1600, 3200)  # words of clean text: the histogram's lower edges
TOP = 10


class TopK:
    """Approximate counts of the most frequent keys in bounded memory (prune the rarest half when full)."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self.counts: Counter[str] = Counter()

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n
        if len(self.counts) > self.capacity:
            self.counts = Counter(dict(self.counts.most_common(self.capacity // 2)))

    def most_common(self, n: int = TOP) -> list[tuple[str, int]]:
        return self.counts.most_common(n)


@dataclass
class Group:
    kept_id: str
    size: int
    title: str | None = None
    sources: list[str] = field(default_factory=list)


@dataclass
class Report:
    records: int = 0
    kept: int = 0
    duplicates: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    lengths: Counter[int] = field(default_factory=Counter)  # bin lower edge → records
    rule_lines: Counter[str] = field(default_factory=Counter)
    removed_lines: dict[str, TopK] = field(default_factory=dict)
    sources: TopK = field(default_factory=TopK)
    sites: TopK = field(default_factory=TopK)
    group_sizes: Counter[int] = field(default_factory=Counter)  # group size → groups
    largest: list[Group] = field(default_factory=list)
    rejects: Counter[str] = field(default_factory=Counter)
    manifest: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records, "kept": self.kept, "duplicates": self.duplicates,
            "languages": dict(self.languages.most_common()),
            "length_words": {f"{lo}+": n for lo, n in sorted(self.lengths.items())},
            "removed_by_rule": dict(self.rule_lines.most_common()),
            "top_removed_lines": {rule: top.most_common(5) for rule, top in self.removed_lines.items()},
            "sources": self.sources.most_common(), "sites": self.sites.most_common(),
            "duplicate_group_sizes": dict(sorted(self.group_sizes.items())),
            "largest_groups": [g.__dict__ for g in self.largest],
            "rejects": dict(self.rejects.most_common()),
        }


def length_bin(words: int) -> int:
    return max(lo for lo in LENGTH_BINS if words >= lo)


def site_of(record: dict[str, Any]) -> str:
    if record.get("sitename"):
        return str(record["sitename"])
    return host_of(record.get("url")) or str((record.get("provenance") or {}).get("site") or "(unknown)")


def source_of(record: dict[str, Any]) -> str:
    """The input a record came from, at the level people name sources: its top folder, or its file."""
    path = str(record.get("provenance", {}).get("path") or "(unknown)")
    return path.split("/", 1)[0] if "/" in path else path


def _records(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    for line in stream:
        if line.strip():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def build(output: Path | IO[bytes], rejects: Path | None = None, manifest: Path | None = None,
          on_progress: Callable[[int], None] | None = None) -> Report:
    """Count a run. ``output`` may be a stream (stdin): then the largest groups have no titles."""
    from corpus.inputs.files import classify
    from corpus.inputs.streams import open_stream

    report = Report()
    groups: Counter[str] = Counter()
    advance = on_progress or (lambda n: None)

    def opened() -> IO[bytes]:
        return open_stream(output, classify(output)[1]) if isinstance(output, Path) else output

    with opened() as stream:
        for record in _records(stream):
            advance(1)
            _count(report, record, groups)
    for size in groups.values():
        report.group_sizes[size + 1] += 1
    top = dict(groups.most_common(TOP))
    report.largest = [Group(kept_id, size + 1) for kept_id, size in top.items()]
    if isinstance(output, Path) and top:
        by_id = {g.kept_id: g for g in report.largest}
        with opened() as stream:
            for record in _records(stream):
                key = record.get("duplicate_of") or record.get("id")
                if key in by_id:
                    group = by_id[key]
                    if record.get("duplicate_of") is None:
                        group.title = record.get("title")
                    if len(group.sources) < 8:
                        group.sources.append(site_of(record))
    if rejects is not None:
        with open(rejects, "rb") as stream:
            for reject in _records(stream):
                report.rejects[str(reject.get("reason"))] += 1
    if manifest is not None:
        report.manifest = json.loads(Path(manifest).read_text(encoding="utf-8"))
    return report


def _count(report: Report, record: dict[str, Any], groups: Counter[str]) -> None:
    report.records += 1
    if record.get("duplicate_of"):
        report.duplicates += 1
        groups[str(record["duplicate_of"])] += 1
    else:
        report.kept += 1
    report.languages[str(record.get("lang") or "(none)")] += 1
    report.lengths[length_bin(len(str(record.get("text") or "").split()))] += 1
    report.sources.add(source_of(record))
    report.sites.add(site_of(record))
    for removal in record.get("provenance", {}).get("removed") or []:
        rule, text = str(removal.get("rule")), str(removal.get("text"))
        for line in text.split("\n"):
            report.rule_lines[rule] += 1
            report.removed_lines.setdefault(rule, TopK(2_000)).add(line[:200])


