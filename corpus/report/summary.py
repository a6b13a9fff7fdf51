"""``newsclean report``: what a run did, counted from its output, rejects and manifest.

Everything is streamed and counted, never held: a counter per language, rule, reason; bounded
"heavy hitters" tables (:class:`TopK`) for removed lines, sources and sites, so millions of
records fit in a few MB; and a second pass over the output only to fetch the titles and
sources of the largest duplicate groups.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import xxhash

from corpus.document import host_of
from corpus.inputs.streams import bounded_lines, describe
from corpus.limits import DEFAULT_MAX_BYTES

LENGTH_BINS = (0, 50, 100, 200, 400, 800, 1600, 3200)  # words of clean text: the histogram's lower edges
TOP = 10
WORDS_CHUNK = 1 << 16  # characters of a text counted at a time: a huge text is never split whole
LINE_LIMIT = DEFAULT_MAX_BYTES  # a longer line is refused before it is held, as ingest refuses it (--max-bytes)
REMOVED_LINES_SHOWN = 1_000  # lines of one removal offered to the top-lines table (all are counted)


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
    earlier: bool = False  # the kept record is not in the file: an earlier night kept it (--state)


def group_title(group: Group) -> str:
    """What a group is called: the kept record's title; a copy's own title, marked, when an earlier night
    kept the story; its id only when no record of it has a title."""
    if group.title and group.earlier:
        return f"{group.title} (kept on an earlier night)"
    return group.title or f"(no title: {group.kept_id})"


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
            **({"run": self.run} if self.run is not None else {}),
        }

    @property
    def run(self) -> dict[str, Any] | None:
        """What the run did, from its manifest: the output file holds only what was written, so the duplicates
        it left out, what it skipped and rejected are known only here (None without --manifest)."""
        if self.manifest is None:
            return None
        m = self.manifest
        totals = m.get("totals") or {}
        left_out = not (m.get("options") or {}).get("keep_duplicates", False)
        return {"started": m.get("started"), "finished": m.get("finished"), "files": totals.get("files", 0),
                "records": totals.get("records", 0), "duplicates": totals.get("duplicates", 0),
                "duplicates_left_out": totals.get("duplicates", 0) if left_out else 0,
                "other_language": totals.get("other_language", 0),
                "rejects": dict(totals.get("rejects") or {}), "skipped": dict(totals.get("skipped") or {})}

    def run_line(self) -> str | None:
        """The run's totals in one line (text and HTML), or None without a manifest."""
        run = self.run
        if run is None:
            return None
        parts = [plural(run["files"], "file") + " read", f"{plural(run['records'], 'record')} written",
                 plural(run["duplicates"], "duplicate") + (" (left out)" if run["duplicates_left_out"] else "")]
        if run["other_language"]:
            parts.append(f"{plural(run['other_language'], 'record')} in other languages (left out)")
        for key, label in (("rejects", "rejected"), ("skipped", "skipped")):
            counts = run[key]
            detail = ", ".join(f"{reason} {n:,}" for reason, n in sorted(counts.items()))
            parts.append(f"{sum(counts.values()):,} {label}" + (f" ({detail})" if detail else ""))
        return f"the run ({run['started']} to {run['finished']}): " + ", ".join(parts)


def plural(n: int, word: str) -> str:
    """``1 duplicate``, ``2 duplicates``, with thousands separated."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def length_bin(words: int) -> int:
    return max(lo for lo in LENGTH_BINS if words >= lo)


def words_up_to(text: str, cap: int = LENGTH_BINS[-1]) -> int:
    """The words of ``text``, counted up to ``cap`` (the last bin's edge: more cannot change the bin), a chunk
    at a time: a text of 100 MB is never split into a list of its words."""
    words, at = 0, 0
    while at < len(text) and words < cap:
        chunk = text[at: at + WORDS_CHUNK]
        at += len(chunk)
        words += len(chunk.split()) - (at < len(text) and not chunk[-1].isspace() and not text[at].isspace())
    return words


def lines_of(text: str) -> Iterator[str]:
    """The lines of ``text`` one by one (no list of them all)."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def group_key(kept_id: str) -> int:
    """A duplicate group's key in the size table: 8 bytes a duplicate, not a string and a dict entry."""
    return xxhash.xxh64_intdigest(kept_id.encode("utf-8", "surrogatepass"))


def site_of(record: dict[str, Any]) -> str:
    if record.get("sitename"):
        return str(record["sitename"])
    return host_of(record.get("url")) or str((record.get("provenance") or {}).get("site") or "(unknown)")


def source_of(record: dict[str, Any]) -> str:
    """The input a record came from, at the level people name sources: its top folder, or its file."""
    path = str(record.get("provenance", {}).get("path") or "(unknown)")
    return path.split("/", 1)[0] if "/" in path else path


class NotOutput(ValueError):
    """The input is not something newsclean writes (a manifest, a crawler's feed, a folder of other files)."""


GZIP_MAGIC, ZSTD_MAGIC, PARQUET_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"PAR1"


_TEXT_FIELDS = ("title", "author", "date", "url", "sitename", "lang", "duplicate_of")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shape_problem(record: dict[str, Any]) -> str | None:
    """What in a record is not of the type newsclean writes (a hand-edited or foreign file), or None:
    a field ``report`` reads must never end the count in a traceback."""
    for name in _TEXT_FIELDS:
        if record.get(name) is not None and not isinstance(record[name], str):
            return f"{name!r} is a {type(record[name]).__name__}, not text"
    provenance = record["provenance"]
    for name in ("path", "site"):
        if provenance.get(name) is not None and not isinstance(provenance[name], str):
            return f"provenance.{name} is a {type(provenance[name]).__name__}, not text"
    removed = provenance.get("removed")
    if removed is not None and not (isinstance(removed, list) and all(
            isinstance(r, dict) and isinstance(r.get("rule"), str) and isinstance(r.get("text"), str)
            for r in removed)):
        return "provenance.removed is not a list of {rule, text}"
    return None


def printable(text: str) -> str:
    """Data made safe to show: control characters (a terminal's escape sequences among them) as U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


def is_newsclean_record(record: Any) -> bool:  # noqa: ANN401 - any JSON value
    return isinstance(record, dict) and isinstance(record.get("id"), str) and isinstance(record.get("text"), str) \
        and isinstance(record.get("provenance"), dict)


def _broken_stream_errors() -> tuple[type[BaseException], ...]:
    """What a cut or damaged .gz / .zst raises while it is read (EOFError would reach click as an "abort",
    which the command line shows as Ctrl-C)."""
    errors: tuple[type[BaseException], ...] = (EOFError, zlib.error, gzip.BadGzipFile)
    try:
        import zstandard
    except ImportError:
        return errors
    return (*errors, zstandard.ZstdError)


def _records(stream: IO[bytes], name: str = "<stdin>") -> Iterator[dict[str, Any]]:
    """newsclean's JSON Lines records; anything else ends the count with :class:`NotOutput` (a report of
    "0 records", or of a crawler's records counted as kept, would be wrong). A line is never held past
    ``LINE_LIMIT`` bytes (the size ingest refuses a JSONL line at): ``report - < /dev/zero`` ends at once."""
    try:
        for number, line in bounded_lines(stream, LINE_LIMIT):
            if line is None:
                raise NotOutput(f"{name}: line {number} is over {LINE_LIMIT // (1024 * 1024)} MB: not newsclean output")
            if line.strip():
                yield _record(line, number, name)
    except _broken_stream_errors() as err:
        raise NotOutput(f"{name} is cut short or damaged (a compressed file that ends early or has bad bytes: "
                        f"{describe(err)}): not newsclean output as written") from None


def _record(line: bytes, number: int, name: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError:
        if line.strip() in (b"{", b"["):
            raise NotOutput(f"{name} is one indented JSON document, not newsclean's JSON Lines output (a run "
                            "manifest? give it with --manifest)") from None
        raise NotOutput(f"{name}: line {number} is not JSON: not newsclean output") from None
    if is_newsclean_record(record):
        return record
    if isinstance(record, dict) and "totals" in record and "newsclean_version" in record:
        raise NotOutput(f"{name} is a run manifest, not a run's output: give it with --manifest")
    if isinstance(record, dict) and isinstance(record.get("id"), str) and isinstance(record.get("text"), str) \
            and "provenance" in record:
        shown = "null" if record["provenance"] is None else f"a {type(record['provenance']).__name__}"
        raise NotOutput(f"{name}: line {number}: its provenance is {shown}, not an object: not newsclean output "
                        "as written")
    if isinstance(record, dict) and ("html" in record or "text" in record):
        raise NotOutput(f"{name}: line {number} is a crawler's record, not newsclean output (no id, text "
                        "and provenance): run `newsclean ingest` or `newsclean clean` on it first")
    raise NotOutput(f"{name}: line {number} is not a newsclean record (needs id, text and provenance)")


def _rejects(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """A --rejects file: one JSON object per line (lines that are not are passed over)."""
    for line in stream:
        if line.strip():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def _parquet_records(raw: IO[bytes], name: str) -> Iterator[dict[str, Any]]:
    """The rows of a Parquet file newsclean wrote (``--format parquet``), as JSONL records."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(f"{name}: reading Parquet needs pyarrow: "
                          "pip install -e '.[parquet]' in the checkout") from None
    from corpus.outputs.sinks import record_from_row

    try:
        table = pq.ParquetFile(raw)
    except Exception as err:  # noqa: BLE001 - pyarrow's errors have no common base worth naming
        raise NotOutput(f"{name} is not a readable Parquet file ({err})") from None
    if not {"id", "text", "provenance"} <= set(table.schema_arrow.names):
        raise NotOutput(f"{name} is Parquet, but not newsclean output (no id, text and provenance columns)")
    for batch in table.iter_batches(batch_size=1_000):
        for row in batch.to_pylist():
            yield record_from_row(row)


def _sniffed(head: bytes, name: str) -> str:
    """"parquet", "gz", "zst" or "" (plain) from the first bytes, else from the name."""
    if head.startswith(PARQUET_MAGIC) or name.lower().endswith(".parquet"):
        return "parquet"
    if head.startswith(GZIP_MAGIC):
        return "gz"
    if head.startswith(ZSTD_MAGIC):
        return "zst"
    return ""


def part_files(folder: Path) -> list[Path]:
    """The part files of a partitioned output (``-o DIR/``), in order; NotOutput for any other folder."""
    if not (folder / "_SUCCESS").is_file():
        raise NotOutput(f"{folder} is a folder but not a newsclean output (no _SUCCESS marker): give the output "
                        "file, or the folder a finished `-o DIR/` run wrote")
    return sorted(p for p in folder.iterdir() if p.name.startswith("part-") and p.is_file())


def output_records(output: str | Path | IO[bytes]) -> Iterator[dict[str, Any]]:
    """Every record of what newsclean wrote: a JSONL file (plain, .gz, .zst), a Parquet file, a partitioned
    output folder, a URL of one object (s3://..., through fsspec), or a stream (stdin)."""
    if not isinstance(output, (str, Path)):
        yield from _records(output)
        return
    from corpus.inputs.storage import is_url

    name = str(output)
    if is_url(name):
        yield from _url_records(name)
        return
    path = Path(name)
    if path.is_dir():
        for part in part_files(path):
            yield from output_records(part)
        return
    with open(path, "rb") as raw:
        kind = _sniffed(raw.read(4), name)
    if kind == "parquet":
        with open(path, "rb") as raw:
            yield from _parquet_records(raw, name)
        return
    from corpus.inputs.records import open_stream

    with open_stream(path, kind or None) as stream:
        yield from _records(stream, name)


def _url_records(url: str) -> Iterator[dict[str, Any]]:
    from corpus.inputs.objects import decompressed
    from corpus.inputs.storage import filesystem

    fs, path = filesystem(url)
    if fs.isdir(path):
        raise NotOutput(f"{url} is a prefix: report reads one object newsclean wrote (-o s3://bucket/out.jsonl.gz)")
    with fs.open(path, "rb") as raw:
        kind = _sniffed(raw.read(4), url)
        raw.seek(0)
        if kind == "parquet":
            yield from _parquet_records(raw, url)
            return
        with decompressed(raw, kind or None) as stream:
            # fsspec's own files read a line whole (no size): a buffered reader's readline(size) bounds it
            yield from _records(stream if kind else io.BufferedReader(stream), url)  # type: ignore[arg-type]


def build(output: str | Path | IO[bytes], rejects: Path | None = None, manifest: Path | None = None,
          on_progress: Callable[[int], None] | None = None) -> Report:
    """Count a run (see :func:`output_records` for what ``output`` may be). A stream (stdin) is read once:
    then the largest groups have no titles. Raises :class:`NotOutput` when it is not newsclean output."""
    report = Report()
    groups = Groups()
    advance = on_progress or (lambda n: None)
    if isinstance(output, (str, Path)) and manifest is None and Path(output, "manifest.json").is_file():
        manifest = Path(output, "manifest.json")  # a partitioned output holds its run's manifest
    for number, record in enumerate(output_records(output), 1):
        problem = shape_problem(record)
        if problem:
            raise NotOutput(f"record {number} of {output if isinstance(output, (str, Path)) else '<stdin>'}: "
                            f"{problem}: not newsclean output as written")
        advance(1)
        _count(report, record, groups)
        del record  # not held while the next line is read
    report.group_sizes, report.largest = groups.settle()
    if isinstance(output, (str, Path)) and report.largest:
        by_key = {group_key(g.kept_id): g for g in report.largest}
        kept_seen: set[str] = set()
        for record in output_records(output):
            key = str(record.get("duplicate_of") or record.get("id"))
            group = by_key.get(group_key(key))
            if group is not None:
                group.kept_id = key
                title = printable(record["title"]) if record.get("title") else None
                if record.get("duplicate_of") is None:
                    group.title, group.earlier = title, False
                    kept_seen.add(key)
                elif key not in kept_seen and group.title is None:  # until (unless) the kept record shows up
                    group.title, group.earlier = title, True
                if len(group.sources) < 8:
                    group.sources.append(printable(site_of(record)))
    if rejects is not None:
        with open(rejects, "rb") as stream:
            for reject in _rejects(stream):
                report.rejects[str(reject.get("reason"))] += 1
    if manifest is not None:
        report.manifest = read_manifest(manifest)
        if rejects is None and report.run is not None:  # the reasons, counted by the run itself
            report.rejects.update(report.run["rejects"])
            report.rejects.update(report.run["skipped"])
    return report


def read_manifest(path: Path) -> dict[str, Any]:
    """A run manifest (``--manifest``); ValueError when the file is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a newsclean run manifest (not one JSON document: {err})") from None
    if not isinstance(data, dict) or "totals" not in data or "newsclean_version" not in data:
        raise ValueError(f"{path} is not a newsclean run manifest (no totals, no newsclean_version)")
    return data


class Groups:
    """The duplicate groups' sizes in bounded memory per group: a 64-bit key per duplicate record (counted
    exactly at the end), and the ids of the largest groups, approximately, in a :class:`TopK`."""

    def __init__(self) -> None:
        self.keys = array("Q")
        self.ids = TopK(2_000)

    def add(self, kept_id: str) -> None:
        self.keys.append(group_key(kept_id))
        self.ids.add(kept_id)

    def settle(self) -> tuple[Counter[int], list[Group]]:
        """(groups by size, the ``TOP`` largest groups: largest first, ties in the order they first showed)."""
        keys, first, sizes = np.unique(np.frombuffer(self.keys, dtype=np.uint64), return_index=True,
                                       return_counts=True)
        by_size: Counter[int] = Counter({int(size) + 1: int(n) for size, n in zip(*np.unique(sizes, return_counts=True),
                                                                                   strict=True)})
        names = {group_key(kept_id): kept_id for kept_id in self.ids.counts}
        order = np.lexsort((first, -sizes))[:TOP]  # ties: the group whose first duplicate came first
        largest = [Group(names.get(int(keys[i]), f"{int(keys[i]):016x}"), int(sizes[i]) + 1) for i in order.tolist()]
        return by_size, largest


def _count(report: Report, record: dict[str, Any], groups: Groups) -> None:
    report.records += 1
    if record.get("duplicate_of"):
        report.duplicates += 1
        groups.add(str(record["duplicate_of"]))
    else:
        report.kept += 1
    report.languages[printable(str(record.get("lang") or "(none)"))] += 1
    report.lengths[length_bin(words_up_to(str(record.get("text") or "")))] += 1
    report.sources.add(printable(source_of(record)))
    report.sites.add(printable(site_of(record)))
    for removal in record.get("provenance", {}).get("removed") or []:
        rule, text = str(removal.get("rule")), str(removal.get("text"))
        for n, line in enumerate(lines_of(text)):
            report.rule_lines[rule] += 1
            if n < REMOVED_LINES_SHOWN:
                report.removed_lines.setdefault(rule, TopK(2_000)).add(printable(line[:200]))


