"""Batch dedup on a Dask cluster, and the records finished and written where they are.

The local executor's three passes (``Ingest._batch``), with the documents on the workers
(:mod:`corpus.run.dask_executor`) and the client deciding from summaries and signatures
(:mod:`corpus.run.dask_dedup`): (1) the first groups, on the signatures with the chrome in, give one
vote per story to the run's line counts; (2) the workers apply the corpus-level rules to their
documents and sign again what changed (:func:`clean_part`); (3) the final groups, on the new
signatures with the earlier nights. Then each write task takes a run of consecutive partitions with
the client's decisions (final ids, duplicate marks) and writes one part file (``-o DIR/`` or
``-o s3://bucket/prefix/``: :class:`corpus.outputs.sinks.PartWriter`) into the output's staging
folder; the client gets back counts and, with ``--state``, the kept documents' signatures. Without a
partitioned output the finished records come back to the client (to stdout or one file). Either way
the records are the local executor's, byte for byte, in input order.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corpus.clean.learned import Learned
from corpus.clean.repeated import Counts, learned_from, site_chrome
from corpus.dedup.minhash import (
    MinHashParams,
    Signature,
    decide_groups,
    settle_earlier,
)
from corpus.document import Document
from corpus.outputs.sinks import PartWriter
from corpus.run.chrome_pass import cleaned_of_chrome
from corpus.run.dask_wait import computed, result, scattered
from corpus.run.process import Processed
from corpus.version import __version__

Ingest = Any  # corpus.run.pipeline.Ingest, which imports this module
PART_PARTITIONS = 16  # partitions (of up to 256 documents) per part file at most: parts of about 4,000 records


@dataclass
class Finisher:
    """What a worker needs to apply the corpus-level rules as the local run does: the run's line counts."""

    totals: Counts
    run_threshold: int
    skip: frozenset[str]
    params: MinHashParams
    keep_duplicates: bool
    signatures: bool  # hand back the kept documents' signatures (for the state)
    outcomes: bool  # hand back each input's outcomes (for the manifest)

    def evidence(self) -> tuple[Learned, set[int]]:
        """(what was learned, the run-wide repeated keys): made once per worker, kept with its copy."""
        made = self.__dict__.get("_evidence")
        if made is None:
            made = (learned_from(self.totals, self.skip),
                    self.totals.at_least(self.run_threshold) if self.run_threshold > 0 else set())
            self.__dict__["_evidence"] = made
        return made

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_evidence"}


@dataclass
class Written:
    """What a write task hands back: counts, no text (``records``: only without a partitioned output)."""

    documents: int = 0
    duplicates: int = 0
    records: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    kept: list[tuple[str, str, Signature]] = field(default_factory=list)
    lines: list[dict[str, Any]] | None = None


Decision = tuple[str, str | None]  # (final id, the id of the record it copies, or None)
Chosen = list[tuple[int, str, Processed]]
NO_KEYS = np.empty(0, dtype=np.uint64)


def clean_part(part: Chosen, finisher: Finisher) -> Chosen:
    """On a worker: the corpus-level rules on a partition's documents (as ``Ingest._batch`` applies them), and
    what they changed signed again on its story; the line keys are not needed any more."""
    learned, repeated = finisher.evidence()
    cleaned: Chosen = []
    for index, doc_id, done in part:
        chrome = site_chrome(done.site_keys, finisher.totals.get(done.site_keys))
        lines = repeated if repeated and not repeated.isdisjoint(done.line_keys.tolist()) else set()
        spool, sig = cleaned_of_chrome(done.spool, chrome, lines, learned, finisher.skip, finisher.params,
                                       done.story_key, done.signature, doc_id)
        cleaned.append((index, doc_id, Processed(done.id, done.path, done.input, done.lang, done.empty, spool, sig,
                                                 NO_KEYS, NO_KEYS, done.title_key)))
    return cleaned


def finish_group(parts: list[Chosen], decisions: dict[int, Decision], finisher: Finisher,
                 base: str | None, number: int, fmt: str) -> Written:
    """On a worker: the cleaned documents of consecutive partitions, finished and written as part ``number``
    under ``base`` (None: handed back). ``decisions``: only the documents renamed or copies, by run index
    (the others keep their run id and are kept)."""
    out = PartWriter(base, number, fmt) if base is not None else None
    written = Written(lines=None if out is not None else [])
    try:
        for part in parts:
            for index, run_id, done in part:
                doc_id, copy_of = decisions.get(index, (run_id, None))
                record = _finished(done, doc_id, copy_of, finisher, written)
                if record is None:
                    continue
                if out is not None:
                    out.write(record)
                else:
                    written.lines.append(record)  # type: ignore[union-attr]
        if out is not None:
            out.close()
    except BaseException:
        if out is not None:
            out.discard()
        raise
    return written


def _finished(done: Processed, doc_id: str, copy_of: str | None, finisher: Finisher,
              written: Written) -> dict[str, Any] | None:
    """As ``Ingest._finish`` with ``cleaned``: the duplicate mark, the counts, the record."""
    doc = Document.from_spooled(done.spool)
    doc.id = doc_id
    written.documents += 1
    path = doc.source.path
    if copy_of is not None:
        written.duplicates += 1
        if finisher.outcomes:
            written.outcomes[(path, "duplicates")] += 1
        if not finisher.keep_duplicates:
            return None
        doc.duplicate_of = copy_of
    elif finisher.signatures and done.signature is not None:
        written.kept.append((doc.id, path, done.signature))
    for removal in doc.removed:
        written.removed[removal.rule] += removal.text.count("\n") + 1
    written.records += 1
    if finisher.outcomes:
        written.outcomes[(path, "records")] += 1
    return doc.to_record(__version__)


def groups_of(count: int, workers: int) -> list[range]:
    """Consecutive partitions per write task: enough tasks to keep every worker busy, parts of at most
    ``PART_PARTITIONS`` partitions."""
    size = max(1, min(PART_PARTITIONS, -(-count // max(1, 2 * workers))))
    return [range(start, min(count, start + size)) for start in range(0, count, size)]


class RunIds:
    """The run's document ids in input order, compactly: 16 bytes for a hex id, a dict entry for another."""

    def __init__(self) -> None:
        self._packed = bytearray()
        self._other: dict[int, str] = {}
        self.count = 0

    def append(self, doc_id: str) -> None:
        try:
            packed = bytes.fromhex(doc_id) if len(doc_id) == 32 and doc_id == doc_id.lower() else b""
        except ValueError:
            packed = b""
        if len(packed) != 16:
            self._other[self.count] = doc_id
            packed = bytes(16)
        self._packed += packed
        self.count += 1

    def __getitem__(self, index: int) -> str:
        other = self._other.get(index)
        return other if other is not None else self._packed[16 * index: 16 * index + 16].hex()


def decide_on_cluster(run: Ingest, documents: Iterable[Processed]) -> Iterator[dict[str, Any]]:
    """The batch decision with the documents on a Dask cluster, in the local executor's three passes; the
    records written by the workers into ``run.sink`` (a partitioned output), or yielded here."""
    import dask

    from corpus.run import dask_dedup as cluster

    executor: Any = run.executor  # a DaskExecutor: its client and the partitions it left on the workers
    client = executor.client
    ids = RunIds()
    sites = array("Q")
    spans: list[tuple[int, array]] = []  # per partition: (its first run index, the positions routed on)
    renames: dict[int, dict[int, str]] = {}  # partition -> {position: run id} where the run id is not its own
    for index, done in enumerate(documents):
        run.fingerprint.add(done.id)
        if done.title_key:
            run._titles.append(done.title_key)
        partition = done.partition  # type: ignore[attr-defined]
        if partition >= len(spans):  # partitions come in order: a partition's run indices are consecutive
            spans += [(index, array("i")) for _ in range(partition + 1 - len(spans))]
        spans[partition][1].append(done.position)  # type: ignore[attr-defined]
        if done.renamed:  # type: ignore[attr-defined]
            renames.setdefault(partition, {})[done.position] = done.id  # type: ignore[attr-defined]
        ids.append(done.id)
        sites.append(done.site)  # type: ignore[attr-defined]
    spans += [(ids.count, array("i")) for _ in range(len(executor.partitions) - len(spans))]
    run.release_identities()  # every document has its run id: the keys that told copies apart are not needed
    indices = [range(start, start + len(positions)) for start, positions in spans]
    parts = [client.submit(cluster.select, results, start, _compact(positions), renames.get(p, {}), pure=False)
             for p, (results, (start, positions)) in enumerate(zip(executor.partitions, spans, strict=True))]
    executor.partitions = []
    del spans, renames
    cutoff, run_key = run._run_identity()
    if not ids.count:
        if run.sink is not None:
            run.sink.adopt(0)
        return
    with dask.config.set({"dataframe.convert-string": False}):
        first, followers, _ = _groups(run, parts, ids, None, cutoff, run_key)  # chrome in, no earlier nights
        site_only = _site_voters(first, followers, sites)
        del first, sites
        run.lines.set_earlier(run.earlier_lines())
        run.lines.settle(cluster.lines_on_cluster(parts, indices, followers, site_only, run.lines))
        run._learn()
        del followers, site_only
        finisher = scattered(client, Finisher(run.lines.totals, run.lines.run_threshold, run.options.skip_rules,
                                              run.options.minhash, run.options.keep_duplicates, run.state is not None,
                                              run.manifest is not None), "sending the line counts", broadcast=True)
        cleaned = [client.submit(clean_part, part, finisher, pure=False) for part in parts]
        del parts
        kept_of, _, renamed = _groups(run, cleaned, ids, run.state, cutoff, run_key)
    yield from _written(run, cleaned, indices, ids, renamed, kept_of, finisher)


def _compact(positions: array) -> range | np.ndarray:
    """A partition's routed positions as the worker gets them: a range when they follow each other (no reject
    among them), else an array (4 bytes each: what the client sends is kept while the partition is)."""
    if not positions or positions[-1] - positions[0] + 1 == len(positions):
        return range(positions[0], positions[-1] + 1) if positions else range(0)
    return np.frombuffer(positions, dtype=np.int32).copy()


def _groups(run: Ingest, parts: list[Any], ids: RunIds, state: Any, cutoff: int | None,  # noqa: ANN401
            run_key: str) -> tuple[dict[int, int | str], set[int], dict[int, str]]:
    """(kept, followers, renamed) of the documents' signatures in ``parts``, with the earlier nights of ``state``."""
    from corpus.dedup.cluster_graph import in_order
    from corpus.run import dask_dedup as cluster

    executor: Any = run.executor
    params = run.options.minhash
    edges, sigs = cluster.confirmed_edges(parts, params, ids.count)
    edges = edges.persist()
    ordered = in_order(edges, executor.client_edges, lambda frame: computed(executor.client, frame, "grouping copies"))
    union, words = cluster.walked(ordered, sigs, params)  # the local rule, in order
    groups = union.groups()
    del edges
    earlier = cluster.earlier_matches(parts, sigs, state, params) if state is not None else {}
    renamed: dict[int, str] = {}
    for index in list(earlier):
        visible, own = settle_earlier(earlier[index], ids[index], cutoff, run_key)
        earlier[index] = visible
        if own != ids[index]:
            renamed[index] = own
    earlier = {i: m for i, m in earlier.items() if m}
    grouped = {i for g in groups for i in g}
    groups += [[i] for i in earlier if i not in grouped]
    kept_of, followers = decide_groups(groups, lambda i: words.get(i, 0), lambda i: earlier.get(i, []))
    return kept_of, followers, renamed


def _site_voters(kept_of: dict[int, int | str], followers: set[int], sites: array) -> set[int]:
    """The copies that vote with their own site's keys: the first of their group on a site none of its voters
    is on (as ``Ingest._count_lines``)."""
    voted = {(kept_of[i], sites[i]) for i in kept_of if i not in followers}
    site_only = set()
    for index in sorted(followers):
        if sites[index] and (kept_of[index], sites[index]) not in voted:
            voted.add((kept_of[index], sites[index]))
            site_only.add(index)
    return site_only


def _written(run: Ingest, parts: list[Any], indices: list[range], ids: RunIds, renamed: dict[int, str],
             kept_of: dict[int, int | str], finisher: Any) -> Iterator[dict[str, Any]]:  # noqa: ANN401
    """Phase two: write tasks over runs of consecutive partitions, their counts taken in input order."""
    executor: Any = run.executor
    client = executor.client

    def id_of(index: int) -> str:
        return renamed.get(index) or ids[index]

    def decisions(group: range) -> dict[int, Decision]:
        """The group's documents that are not simply kept under their run id: copies and renamed ones."""
        decided: dict[int, Decision] = {}
        for p in group:
            for index in indices[p]:
                kept = kept_of.get(index, index)
                if kept != index or index in renamed:
                    decided[index] = (id_of(index), None if kept == index else kept if isinstance(kept, str)
                                      else id_of(kept))
        return decided

    sink = run.sink
    base, fmt = (sink.part_base(), sink.fmt) if sink is not None else (None, "jsonl")
    groups = groups_of(len(parts), len(client.scheduler_info().get("workers", {})) or executor.workers)
    window = max(2, executor.workers * 2)
    pending: list[Any] = []
    for number, group in enumerate(groups):
        pending.append(client.submit(finish_group, [parts[p] for p in group], decisions(group), finisher, base,
                                     number, fmt, pure=False))
        for p in group:
            parts[p] = None  # the write task holds it now
        if len(pending) >= window:
            yield from _taken(run, result(client, pending.pop(0), "writing the records"))
    for future in pending:
        yield from _taken(run, result(client, future, "writing the records"))
    if sink is not None:
        sink.adopt(len(groups))


def _taken(run: Ingest, written: Written) -> Iterator[dict[str, Any]]:
    """A write task's counts into the run's (and its manifest's), its kept signatures into the state."""
    stats = run.stats
    stats.documents += written.documents
    stats.duplicates += written.duplicates
    stats.records += written.records
    stats.removed_by_rule.update(written.removed)
    for (path, outcome), n in written.outcomes.items():
        for _ in range(n):
            run._on_outcome(path, outcome)
    if run.state is not None:
        for doc_id, path, sig in written.kept:
            run.state.add(doc_id, path, sig, run._first_seen, run._run)
    yield from written.lines or ()
