"""The stages wired together: read → extract/clean → language → dedup → write.

Per-document work (extract, clean, language, signature) is a pure function of
the input, so it runs in a process pool and results come back in input order.
Documents are spooled to a temporary file while signatures, and only
signatures, stay in memory; once every document has been seen, near-duplicate
groups and corpus-wide repeated lines are known and the spool is streamed out.
"""

from __future__ import annotations

import tempfile
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.clean.key_spool import KeySpool
from corpus.clean.learned import Learned
from corpus.clean.repeated import Counts, LineEvidence, learned_from, remove_corpus_chrome
from corpus.dedup.deduplicator import Deduplicator
from corpus.dedup.minhash import Signature, text_hash
from corpus.dedup.state import StateIndex
from corpus.document import Document, Reject
from corpus.identity import RunFingerprint, RunIdentities
from corpus.inputs.records import read_inputs
from corpus.inputs.streams import Skip
from corpus.inputs.work import Noted
from corpus.outputs.manifest import RunManifest
from corpus.run.chrome_pass import Evidence, Rewrite, rewritten
from corpus.run.executors import Executor, LocalExecutor
from corpus.run.options import IngestOptions
from corpus.run.process import Job, Processed, from_record
from corpus.signals import raise_if_stopped
from corpus.version import __version__


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


SPOOL_BUFFER = 1 << 20
"""Bytes a spool gathers before it writes (or reads) them: a plain-text document's 12 KB went out in a system call or
two, which cost 21 us a document where a buffer of this size costs 6.5."""
DEDUP_BATCH = 32
"""Documents a batch run adds to a deduplicator at once (:meth:`~corpus.dedup.deduplicator.Deduplicator.add_many`):
their band keys and their look-ups in the band index's sorted runs are made together."""
SKIP_REASONS = {"hidden", "unsupported-type"}  # not news files: listed, but --strict ignores them


class Ingest:
    """One ingest run. Iterate :meth:`records` to get the output records in input order.

    Two ways to decide duplicates (see the README's "Streaming" section):

    - batch (default): documents are spooled to a temporary file; once all are seen,
      each group keeps its most complete text and repeated lines are counted over the
      whole run; then the spool is streamed out.
    - stream (``options.stream``): each record is written as soon as it is done; the
      first document of a group (in input order) is kept, later ones are its duplicates,
      and repeated lines are judged on the earlier nights' counts and the stream's so far.

    Either way memory holds signatures and band keys, never texts.
    """

    def __init__(self, options: IngestOptions, on_file: Callable[[], None] | None = None,
                 on_reject: Callable[[Reject], None] | None = None, state: StateIndex | None = None,
                 first_seen: str = "", manifest: RunManifest | None = None,
                 on_input: Callable[[str], None] | None = None, executor: Executor | None = None) -> None:
        self.options = options
        self.executor = executor or LocalExecutor(options.workers, options.lang_backend)
        self.state = state
        self.stats = RunStats()
        self._dedup = Deduplicator(options.minhash, earlier=state)
        self._first_seen = first_seen  # when this run started: stored in the state, never in records
        self._identities = RunIdentities()
        self.fingerprint = RunFingerprint()
        self._run = 0  # this run's number in the state (a rerun keeps its first number)
        self._rerun = False
        self.lines = LineEvidence(options.repeated_line_min_groups, state is not None or options.stream)
        self._titles = array("Q")  # this run's title keys (links to its stories: "linked-headline")
        self._sites = array("Q")  # each document's site (its site keys' first: the host's story counter), or 0
        self._learned: Learned | None = None
        self.manifest = manifest
        self._units = getattr(self.executor, "reads_inputs", False)  # the workers read: the jobs are descriptions
        if self._units:
            self.executor.identify = manifest is not None  # type: ignore[attr-defined]
            if manifest is not None:
                manifest.deferred = True  # hashed by the workers that read the inputs, not here
        self.sink: Any = None  # a partitioned output the workers write parts of (corpus.run.dask_write)
        self._on_file = on_file or (lambda: None)
        self._on_input_file = on_input or (lambda rel: None)
        self._on_reject = on_reject or (lambda reject: None)

    def _jobs(self, paths: Iterable[str | Reject], base: Path | None) -> Iterator[Job]:
        """What the workers get, in input order: files to read, and the records of WARC and JSONL
        files (read here, as streams, so that one large file still keeps every worker busy)."""
        for item in read_inputs(paths, self.options.max_bytes, defer_files=True, on_file=self._on_input,
                                base=base, exclude=self.options.own_outputs, units=self._units):
            if isinstance(item, Skip):
                self.stats.skipped[item.reason] += 1
                self._on_outcome(None, item.reason)  # the container being read
            else:
                yield item

    def _reject(self, reject: Reject) -> None:
        if reject.reason in SKIP_REASONS:
            self.stats.skipped[reject.reason] += 1
        else:
            self.stats.rejects[reject.reason] += 1
        self._on_outcome(reject.input, reject.reason)
        self._on_reject(reject)
        self._on_file()

    def _processed(self, paths: Iterable[str | Reject], base: Path | None,
                   remote: bool = False) -> Iterator[Processed | Reject]:
        """Reading and everything per document happen in the executor; results come back in input order
        (``remote``: summaries only, the documents staying on the cluster for :mod:`corpus.run.dask_dedup`)."""
        jobs = ((job, self.options) for job in self._jobs(paths, base))
        return self.executor.map_remote(jobs) if remote else self.executor.map(jobs)  # type: ignore[attr-defined]

    def _documents(self, paths: Iterable[str | Reject], base: Path | None,
                   remote: bool = False) -> Iterator[Processed]:
        """Processed documents that go on to dedup; rejects and other languages are counted here."""
        for result in self._processed(paths, base, remote):
            raise_if_stopped()
            if isinstance(result, Noted):  # what a worker read besides documents
                self._noted(result)
                continue
            if isinstance(result, Reject):
                self._reject(result)
                continue
            if result.empty:
                self._reject(Reject(result.path, "no-text", "no article text left after extraction and cleaning",
                                    result.input))
                continue
            self._on_file()
            if self.options.languages is not None and result.lang not in self.options.languages:
                self.stats.filtered_language += 1
                self._on_outcome(result.input, "other-language")
                continue
            yield self._assigned(result, remote)

    def _assigned(self, done: Processed, remote: bool) -> Processed:
        """The document with its run id (a second byte-identical copy gets one of its own)."""
        own, done.id = done.id, self._identities.assign(done.id)
        if remote and done.id != own:
            done.renamed = True  # type: ignore[attr-defined] - the worker's copy still has its own id
        return done

    def release_identities(self) -> None:
        """Every document has been routed: the table that gave copies their ids can go (on a cluster, before
        the grouping, whose peak it would add to)."""
        self._identities = RunIdentities()

    def _noted(self, noted: Noted) -> None:
        if noted.skip is not None:
            self.stats.skipped[noted.skip] += 1
            self._on_outcome(noted.input, noted.skip)
        if noted.identity is not None and self.manifest is not None:
            self.manifest.identify(noted.input, noted.identity)

    def records(self, paths: Iterable[str | Reject], base: Path | None = None) -> Iterator[dict[str, Any]]:
        """``newsclean ingest``: every stage, from files (or stdin records) to output records.
        ``base``: the folder record paths are shown relative to (see :func:`corpus.inputs.files.common_base`)."""
        return self._decide(self._documents(paths, base, remote=self._on_cluster))

    def write_parts(self, sink: Any) -> None:  # noqa: ANN401 - a PartitionedDirectory or RemotePartitioned
        """On a cluster, the workers write the records into ``sink`` (a partitioned output) themselves:
        :meth:`records` then yields none."""
        if self._on_cluster and hasattr(sink, "part_base"):
            self.sink = sink

    @property
    def _on_cluster(self) -> bool:
        """Batch dedup where the documents are (a Dask cluster): they stay there until written."""
        return self.executor.distributed and not self.options.stream

    def cleaned(self, paths: Iterable[str], base: Path | None = None) -> Iterator[dict[str, Any]]:
        """``newsclean clean``: the per-document stages only; no dedup, no corpus-level rule."""
        for done in self._documents(paths, base):
            yield from self._finish(self._restore(done), 0, 0, set())

    def deduplicated(self, records: Iterable[tuple[str, dict[str, Any]] | Reject]) -> Iterator[dict[str, Any]]:
        """``newsclean dedup``: the corpus-level stages on records written by ``newsclean clean`` (on a cluster,
        the workers sign the records and keep them, as ingest's documents)."""
        return self._decide(self._from_records(records))

    def _from_records(self, records: Iterable[tuple[str, dict[str, Any]] | Reject]) -> Iterator[Processed]:
        if self._on_cluster:
            signed = self.executor.map_records(records, self.options)  # type: ignore[attr-defined]
        else:
            signed = (item if isinstance(item, Reject) else from_record(*item, self.options.minhash)
                      for item in records)
        for done in signed:
            self.stats.files += 1
            if isinstance(done, Reject):
                self._reject(done)
                continue
            yield self._assigned(done, self._on_cluster)

    @staticmethod
    def _restore(done: Processed) -> Document:
        doc = Document.from_spooled(done.spool)
        doc.id = done.id  # the run's final id (a second byte-identical copy gets its own)
        return doc

    def _decide(self, documents: Iterable[Processed]) -> Iterator[dict[str, Any]]:
        if self.state is not None:
            self.state.begin()  # the run's one write transaction, committed by save_state()
            self._run = self.state.next_run()
        if self.options.stream:
            yield from self._stream(documents)
        elif self._on_cluster:
            yield from self._decide_on_cluster(documents)
        else:
            yield from self._batch(documents)

    def _decide_on_cluster(self, documents: Iterable[Processed]) -> Iterator[dict[str, Any]]:
        """The batch decision with the documents on a Dask cluster (:mod:`corpus.run.dask_write`)."""
        from corpus.run.dask_write import decide_on_cluster

        return decide_on_cluster(self, documents)

    def _stream(self, documents: Iterable[Processed]) -> Iterator[dict[str, Any]]:
        """Stream-and-decide. The run's fingerprint is known only at its end, so a record the state
        already holds is always taken as a re-delivery (see the README's "Streaming" section)."""
        if self.state is not None:
            self.lines.set_earlier(self.state.line_counts())
        titles: set[int] = set()
        self._learned = Learned(self.lines.lines.so_far, lambda key: key in titles or bool(
            self.lines.lines.earlier.has(np.array([key], np.uint64))[0]), self.options.skip_rules)
        for index, done in enumerate(documents):
            self.fingerprint.add(done.id)
            if done.title_key:
                titles.add(done.title_key)
                self._titles.append(done.title_key)
            matched = self._dedup.add(index, done.signature, done.id)
            kept = self._dedup.decide(index, matched, None, f"run-{self._run}")
            doc = self._restore(done)
            doc.id = self._dedup.id_of(index)  # renamed when an earlier run stored the same record
            repeated, chrome = self.lines.seen(done.line_keys, done.site_keys, kept == index)
            yield from self._finish(doc, kept, index, repeated, chrome)
        self.lines.settle()
        self._learn()

    def _batch(self, documents: Iterable[Processed]) -> Iterator[dict[str, Any]]:
        """Three passes: route and sign; count the lines (one vote per group of the first signatures) and
        take the corpus-level chrome out, signing again what changed, so that copies are grouped on their
        story (the run's final groups, and what the state keeps); then write."""
        with tempfile.TemporaryFile(prefix="newsclean-spool-", buffering=SPOOL_BUFFER) as spool, \
                tempfile.TemporaryFile(prefix="newsclean-spool-", buffering=SPOOL_BUFFER) as cleaned, \
                KeySpool() as line_spool:
            count = 0
            first = Deduplicator(self.options.minhash)  # the votes' groups: chrome in, no earlier nights
            story_keys, own_titles = array("Q"), array("Q")
            spool_sizes, words_sizes, marks_sizes, cleaned_sizes = array("Q"), array("Q"), array("Q"), array("Q")
            adding: list[tuple[int, Signature | None, str]] = []  # documents not yet added to a deduplicator
            for index, done in enumerate(documents):
                spool.write(done.spool)
                spool.write(done.line_words)  # what the second pass need not work out again for the lines it keeps
                spool.write(done.line_marks)
                spool_sizes.append(len(done.spool))
                words_sizes.append(len(done.line_words))
                marks_sizes.append(len(done.line_marks))
                story_keys.append(done.story_key)
                own_titles.append(done.title_key)
                self.fingerprint.add(done.id)
                adding.append((index, done.signature, done.id))
                if len(adding) >= DEDUP_BATCH:
                    first.add_many(adding)
                    adding.clear()
                self.lines.sketch(done.line_keys, done.site_keys)
                if done.title_key:
                    self._titles.append(done.title_key)
                self._sites.append(int(done.site_keys[0]) if len(done.site_keys) else 0)
                line_spool.add(done.line_keys, done.site_keys, done.removable, done.line_titles, done.site_templates,
                               done.keys_by_line)
                count += 1
            first.add_many(adding)
            adding.clear()
            kept_of, followers = first.groups(*self._run_identity())
            first.finish_adding()  # its signatures and ids are read once more below, its bands never
            self.lines.set_earlier(self.earlier_lines())
            self._count_lines(line_spool, kept_of, followers)
            self._learn()
            repeated = self.lines.repeated()
            spool.seek(0)
            held: deque[tuple[int, bytes, Signature | None]] = deque()  # in input order, until their pass is back

            def second_pass(first: Deduplicator) -> Iterator[Rewrite | None]:
                for index, keys in enumerate(line_spool):
                    line_keys, site_keys, removable, line_titles, site_templates, by_line = keys
                    spooled = spool.read(spool_sizes[index])  # passed on as it is unless a corpus-level rule changes it
                    line_words = spool.read(words_sizes[index])
                    line_marks = spool.read(marks_sizes[index])
                    signed = first.signature_of(index)
                    first.release_signatures_before(index)  # the second pass reads each signature once
                    held.append((index, spooled, signed))
                    chrome = self.lines.site_chrome(site_keys)  # what the check reads and the pass removes
                    if not self.lines.may_remove(removable, line_titles, own_titles[index], chrome, site_templates):
                        yield None
                        continue
                    yield Rewrite(spooled, bool(self.repeated_in(repeated, line_keys)), chrome,
                                  story_keys[index], signed, line_words, line_marks, by_line)

            evidence = Evidence(repeated, self._learned, self.options.skip_rules, self.options.minhash)
            for done in rewritten(second_pass(first), evidence, getattr(self.executor, "workers", 1)):
                raise_if_stopped()
                index, spooled, signed = held.popleft()
                if done is not None:
                    spooled, signed = done
                # the run's id (a second byte-identical copy got its own); the record takes its final one below
                adding.append((index, signed, first.id_of(index)))
                if len(adding) >= DEDUP_BATCH:
                    self._dedup.add_many(adding)
                    adding.clear()
                cleaned.write(spooled)
                cleaned_sizes.append(len(spooled))
            self._dedup.add_many(adding)
            del first
            kept_of, _ = self._dedup.groups(*self._run_identity())
            cleaned.seek(0)
            for index in range(count):
                raise_if_stopped()
                doc = Document.from_spooled(cleaned.read(cleaned_sizes[index]))
                doc.id = self._dedup.id_of(index)
                yield from self._finish(doc, kept_of.get(index, index), index, set(), None, cleaned=True)

    @staticmethod
    def repeated_in(repeated: set[int], keys: np.ndarray) -> set[int]:
        """``repeated`` when the document has one of its keys, else nothing to look for."""
        return repeated if repeated and not repeated.isdisjoint(keys.tolist()) else set()

    def earlier_lines(self) -> Counts:
        """The earlier nights' line counts, as they were before the first run of these inputs (a rerun)."""
        if self.state is None:
            return Counts()
        return self.state.line_counts(self._rerun_of(any_mode=True)[0])

    def _rerun_of(self, any_mode: bool = False) -> tuple[int | None, str]:
        """(the first run of these inputs, or None; the fingerprint it was stored under): this version's
        fingerprint, or the input-order one a night run by an earlier version stored."""
        fingerprint = self.fingerprint.hexdigest()
        assert self.state is not None
        first = self.state.rerun_of(fingerprint, any_mode=any_mode)
        if first is None:
            legacy = self.fingerprint.ordered_hexdigest()
            earlier = self.state.rerun_of(legacy, any_mode=any_mode)
            if earlier is not None:
                return earlier, legacy
        return first, fingerprint

    def _run_identity(self) -> tuple[int | None, str]:
        """(cutoff, run key) once the whole run is known: a rerun sees the state as it was before
        its first run; a new run sees all of it and re-ids what earlier runs stored."""
        if self.state is None:
            return None, self.fingerprint.hexdigest()
        first, fingerprint = self._rerun_of()
        if first is not None:
            self._run, self._rerun = first, True
        return first, fingerprint

    def save_state(self) -> int:
        """Commit this run's kept records and line counts to the state; call once the outputs are written.
        A run of inputs the state has seen before (any mode) adds no line counts: they are counted."""
        if self.state is None:
            return 0
        raise_if_stopped()  # nothing is committed after a stop, even one whose raise was lost
        if self._rerun_of(any_mode=True)[0] is None:
            self.state.add_lines(self._run, self.lines.run)
        return self.state.commit(self._run, self.fingerprint.hexdigest(), self._first_seen,
                                 "stream" if self.options.stream else "batch", rerun=self._rerun)

    def _count_lines(self, line_spool: KeySpool, kept_of: dict[int, int | str], followers: set[int]) -> None:
        """Exact counts of the candidate lines, one vote per duplicate group, on top of the earlier nights'.
        A copy on another site than the group's voters votes for its own site's lines (its template)."""
        voted = {(kept_of[i], self._sites[i]) for i in kept_of if i not in followers}  # (group, site)
        no_keys = np.empty(0, dtype=np.uint64)
        for index, (line_keys, site_keys, *_) in enumerate(line_spool):
            if index not in followers:
                self.lines.count(line_keys, site_keys)
            elif self._sites[index] and (kept_of[index], self._sites[index]) not in voted:
                voted.add((kept_of[index], self._sites[index]))
                self.lines.count(no_keys, site_keys)
        self._sites = array("Q")
        self.lines.settle()
        self.lines.lines.release_sketch()  # before the second pass signs every document again

    def _learn(self) -> None:
        """The run is counted: this run's titles join the counts the state keeps; what was learned is ready."""
        if self._titles:
            titles = np.unique(np.array(self._titles, dtype=np.uint64))
            known = Counts(titles, np.ones(len(titles), np.int64))
            self.lines.run = self.lines.run + known
            self.lines.totals = self.lines.totals + known
            self._titles = array("Q")
        self._learned = learned_from(self.lines.totals, self.options.skip_rules)

    def _on_input(self, rel: str, path: Path | None) -> None:
        self.stats.files += 1
        self._on_input_file(rel)
        if self.manifest is not None:
            self.manifest.add_input(rel, path)

    def _on_outcome(self, rel: str | None, outcome: str) -> None:
        if self.manifest is not None:
            self.manifest.count(rel, outcome)

    def _remove_chrome(self, doc: Document, repeated: set[int], site_chrome: set[int] | None) -> None:
        """The corpus-level rules on one streamed document (see :func:`remove_corpus_chrome`), its text hash
        made again if they changed its text (a batch run's documents go through :mod:`corpus.run.chrome_pass`)."""
        before = doc.text
        remove_corpus_chrome(doc, site_chrome or set(), repeated, self._learned, self.options.skip_rules)
        if doc.text != before:
            doc.text_hash = text_hash(doc.text)

    def _finish(self, doc: Document, kept: int | str, index: int, repeated: set[int],
                site_chrome: set[int] | None = None, cleaned: bool = False) -> Iterator[dict[str, Any]]:
        """``cleaned``: the corpus-level rules were applied already (batch runs sign after them)."""
        self.stats.documents += 1
        if not cleaned:
            self._remove_chrome(doc, repeated, site_chrome)
        if kept != index:
            self.stats.duplicates += 1
            self._on_outcome(doc.source.path, "duplicates")
            if not self.options.keep_duplicates:
                return
            doc.duplicate_of = kept if isinstance(kept, str) else self._dedup.id_of(kept)
        elif self.state is not None and (sig := self._dedup.signature_of(index)) is not None:
            self.state.add(doc.id, doc.source.path, sig, self._first_seen, self._run)
        for removal in doc.removed:
            self.stats.removed_by_rule[removal.rule] += removal.text.count("\n") + 1
        self.stats.records += 1
        self._on_outcome(doc.source.path, "records")
        yield doc.to_record(__version__)
