"""The stages wired together: read → extract/clean → language → dedup → write.

Per-document work (extract, clean, language, signature) is a pure function of
the input, so it runs in a process pool and results come back in input order.
Documents are spooled to a temporary file while signatures, and only
signatures, stay in memory; once every document has been seen, near-duplicate
groups and corpus-wide repeated lines are known and the spool is streamed out.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from corpus import __version__
from corpus.clean import clean, remove_repeated_lines
from corpus.dedup import Deduplicator, MinHashParams, Signature, signature, text_hash
from corpus.document import Document, Reject
from corpus.extract import extract
from corpus.language import detect_language
from corpus.read import DEFAULT_MAX_BYTES, RawInput, read_file, walk
from corpus.repeated import RepeatedLines, keys_of
from corpus.rules import REPEATED_LINE_MIN_GROUPS
from corpus.state import StateIndex

DEFAULT_TIMEOUT = 60.0  # seconds per document: trafilatura takes ~0.05 s on a news page


@dataclass
class IngestOptions:
    languages: set[str] | None = None  # None keeps every language
    keep_duplicates: bool = False
    workers: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    repeated_line_min_groups: int = REPEATED_LINE_MIN_GROUPS  # 0 turns the corpus-level rule off
    timeout: float = DEFAULT_TIMEOUT  # seconds one document may take; 0 for no limit
    stream: bool = False  # write each record when done: first of a group kept, no repeated-line rule
    lang_backend: str = "langdetect"  # or "langid" (py3langid, the "fast" extra)
    minhash: MinHashParams = field(default_factory=MinHashParams)


@dataclass
class RunStats:
    files: int = 0
    documents: int = 0
    records: int = 0
    duplicates: int = 0
    filtered_language: int = 0
    rejects: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    removed_by_rule: Counter[str] = field(default_factory=Counter)

    @property
    def failures(self) -> int:
        """Rejects that are not mere skips of files that are not news (what --strict counts)."""
        return sum(self.rejects.values())

    def accounted(self) -> int:
        """Files with a known fate; equals ``files`` at the end of a run."""
        return self.documents + self.filtered_language + sum(self.rejects.values()) + sum(self.skipped.values())


SKIP_REASONS = {"hidden", "unsupported-type"}  # not news files: listed, but --strict ignores them


@dataclass
class Processed:
    """A document as a worker hands it back: already serialised, with what the main process needs.

    The main process only routes: it writes ``spool`` as it is, adds the signature to the
    dedup index and the line keys to the repeated-line sketch, so its own work per
    document stays small and the workers keep the cores busy.
    """

    id: str
    path: str
    lang: str | None
    empty: bool
    spool: str  # the Document as one JSON line
    signature: Signature | None
    line_keys: np.ndarray


class DocumentTimeout(BaseException):
    """Raised by the timer; a BaseException so that libraries' ``except Exception`` let it through."""


def _on_alarm(signum: int, frame: object) -> None:
    raise DocumentTimeout


def process(raw: RawInput, params: MinHashParams, lang_backend: str = "langdetect") -> Processed:
    """Everything that needs only the one document: runs in a worker process."""
    doc = detect_language(clean(extract(raw)), lang_backend)
    doc.text_hash = text_hash(doc.text)
    return Processed(doc.id, doc.source.path, doc.lang, not doc.text.strip(),
                     json.dumps(doc.to_spool(), ensure_ascii=False), signature(doc.text, params),
                     keys_of(doc.text, doc.title))


def process_safely(raw: RawInput, params: MinHashParams, timeout: float,
                   lang_backend: str = "langdetect") -> Processed | Reject:
    """:func:`process` under a time limit; any failure becomes a Reject instead of ending the run."""
    timed = timeout > 0 and hasattr(signal, "setitimer")
    if timed:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return process(raw, params, lang_backend)
    except DocumentTimeout:
        return Reject(raw.source.path, "timeout", f"took longer than --timeout {timeout:g} s")
    except RecursionError:
        return Reject(raw.source.path, "malformed", "markup nested too deeply to parse")
    except Exception as err:  # noqa: BLE001 - one bad page must not end a night's run
        return Reject(raw.source.path, "error", f"{type(err).__name__}: {err}"[:300])
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _read_and_process(args: tuple[Path, Path, IngestOptions]) -> Processed | Reject:
    path, root, options = args
    raw = read_file(path, root, options.max_bytes)
    if isinstance(raw, Reject):
        return raw
    return process_safely(raw, options.minhash, options.timeout, options.lang_backend)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which stops the pool and says so once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Ingest:
    """One ingest run. Iterate :meth:`records` to get the output records in input order.

    Two ways to decide duplicates (see the README's "Streaming" section):

    - batch (default): documents are spooled to a temporary file; once all are seen,
      each group keeps its most complete text and repeated lines are counted over the
      whole run; then the spool is streamed out.
    - stream (``options.stream``): each record is written as soon as it is done; the
      first document of a group (in input order) is kept, later ones are its duplicates,
      and the repeated-line rule is off (it needs the whole run).

    Either way memory holds signatures and band keys, never texts.
    """

    def __init__(self, options: IngestOptions, on_file: Callable[[], None] | None = None,
                 on_reject: Callable[[Reject], None] | None = None, state: StateIndex | None = None,
                 first_seen: str = "") -> None:
        self.options = options
        self.state = state
        self.stats = RunStats()
        self._dedup = Deduplicator(options.minhash, earlier=state)
        self._first_seen = first_seen  # when this run started: stored in the state, never in records
        self._on_file = on_file or (lambda: None)
        self._on_reject = on_reject or (lambda reject: None)

    def _files(self, paths: Iterable[str]) -> Iterator[tuple[Path, Path]]:
        for path, root in walk(paths):
            self.stats.files += 1
            yield path, root

    def _reject(self, reject: Reject) -> None:
        if reject.reason in SKIP_REASONS:
            self.stats.skipped[reject.reason] += 1
        else:
            self.stats.rejects[reject.reason] += 1
        self._on_reject(reject)
        self._on_file()

    def _processed(self, paths: Iterable[str]) -> Iterator[Processed | Reject]:
        """Reading and everything per document happen in the workers; results come back in input order."""
        jobs = ((path, root, self.options) for path, root in self._files(paths))
        if self.options.workers <= 1:
            yield from map(_read_and_process, jobs)
            return
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ctx.Pool(self.options.workers, initializer=_ignore_sigint) as pool:
            yield from pool.imap(_read_and_process, jobs, chunksize=4)

    def _documents(self, paths: Iterable[str]) -> Iterator[Processed]:
        """Processed documents that go on to dedup; rejects and other languages are counted here."""
        for result in self._processed(paths):
            if isinstance(result, Reject):
                self._reject(result)
                continue
            if result.empty:
                self._reject(Reject(result.path, "no-text", "no article text left after extraction and cleaning"))
                continue
            self._on_file()
            if self.options.languages is not None and result.lang not in self.options.languages:
                self.stats.filtered_language += 1
                continue
            yield result

    def records(self, paths: Iterable[str]) -> Iterator[dict[str, Any]]:
        if self.state is not None:
            self.state.begin()  # the run's one write transaction, committed by save_state()
        if self.options.stream:
            yield from self._stream(paths)
        else:
            yield from self._batch(paths)

    def _stream(self, paths: Iterable[str]) -> Iterator[dict[str, Any]]:
        for index, done in enumerate(self._documents(paths)):
            matched = self._dedup.add(index, done.signature, done.id)
            doc = Document.from_spool(json.loads(done.spool))
            yield from self._finish(doc, self._dedup.decide(index, matched), index, set())

    def _batch(self, paths: Iterable[str]) -> Iterator[dict[str, Any]]:
        threshold = self.options.repeated_line_min_groups
        lines = RepeatedLines(threshold) if threshold > 0 else None
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8", prefix="newsclean-spool-") as spool, \
                tempfile.TemporaryFile(prefix="newsclean-lines-") as line_spool:
            count = 0
            for index, done in enumerate(self._documents(paths)):
                spool.write(done.spool + "\n")
                self._dedup.add(index, done.signature, done.id)
                if lines is not None:
                    lines.sketch(done.line_keys)
                    np.array([len(done.line_keys)], dtype=np.uint32).tofile(line_spool)
                    done.line_keys.tofile(line_spool)
                count += 1
            kept_of, followers = self._dedup.groups()
            repeated = self._repeated_lines(lines, line_spool, count, followers) if lines is not None else set()
            spool.seek(0)
            line_spool.seek(0)
            for index in range(count):
                doc = Document.from_spool(json.loads(spool.readline()))
                has_repeated = bool(repeated) and not repeated.isdisjoint(self._keys_at(line_spool).tolist())
                yield from self._finish(doc, kept_of.get(index, index), index, repeated if has_repeated else set())

    def save_state(self) -> int:
        """Commit this run's kept records to the state; call once the output is safe."""
        return self.state.commit() if self.state is not None else 0

    @staticmethod
    def _repeated_lines(lines: RepeatedLines, line_spool: IO[bytes], count: int, followers: set[int]) -> set[int]:
        """Line keys found in at least N different stories: exact counts, one vote per duplicate group."""
        line_spool.seek(0)
        for index in range(count):
            keys = Ingest._keys_at(line_spool)
            if index not in followers:
                lines.count(keys)
        return lines.repeated()

    @staticmethod
    def _keys_at(line_spool: IO[bytes]) -> np.ndarray:
        """The next document's line keys from the binary side spool."""
        (size,) = np.fromfile(line_spool, dtype=np.uint32, count=1)
        return np.fromfile(line_spool, dtype=np.uint64, count=int(size))

    def _finish(self, doc: Document, kept: int | str, index: int, repeated: set[int]) -> Iterator[dict[str, Any]]:
        self.stats.documents += 1
        before = doc.text
        remove_repeated_lines(doc, repeated)
        if doc.text != before:
            doc.text_hash = text_hash(doc.text)
        if kept != index:
            self.stats.duplicates += 1
            if not self.options.keep_duplicates:
                return
            doc.duplicate_of = kept if isinstance(kept, str) else self._dedup.id_of(kept)
        elif self.state is not None and (sig := self._dedup.signature_of(index)) is not None:
            self.state.add(doc.id, doc.source.abspath, sig, self._first_seen)
        for removal in doc.removed:
            self.stats.removed_by_rule[removal.rule] += removal.text.count("\n") + 1
        self.stats.records += 1
        yield doc.to_record(__version__)
