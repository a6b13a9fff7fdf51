"""Batch dedup on a Dask cluster, and the records finished and written where they are.

Two phases. First the workers read and process, and keep their documents (:mod:`corpus.run.dask_executor`);
the client gets summaries, and decides from signatures, on the cluster (:mod:`corpus.run.dask_dedup`):
the groups, each document's final id and whether it is a copy, the run's line counts. Then each
write task takes a run of consecutive partitions with the client's decisions and the run's line
counts, finishes each document as the local executor does (the corpus-level rules, the duplicate
mark) and writes one part file (``-o DIR/`` or ``-o s3://bucket/prefix/``: :mod:`corpus.outputs.parts`)
into the output's staging folder; the client gets back counts, and, with ``--state``, the kept
documents' signatures. Without a partitioned output the finished records come back to the client
(to stdout or one file). Either way the records are the local executor's, byte for byte, in input order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corpus.clean.learned import Learned
from corpus.clean.repeated import Counts, remove_corpus_chrome, site_chrome
from corpus.dedup.minhash import Signature, UnionFind, decide_groups, settle_earlier, text_hash
from corpus.document import Document
from corpus.outputs.sinks import PartWriter
from corpus.run.process import Processed
from corpus.version import __version__

Ingest = Any  # corpus.run.pipeline.Ingest, which imports this module
PART_PARTITIONS = 64  # partitions (of 64 documents) per part file at most: parts of about 4,000 records


@dataclass
class Finisher:
    """What a worker needs to finish documents as ``Ingest._finish`` does: the run's line counts."""

    totals: Counts
    run_threshold: int
    skip: frozenset[str]
    keep_duplicates: bool
    signatures: bool  # hand back the kept documents' signatures (for the state)
    outcomes: bool  # hand back each input's outcomes (for the manifest)


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


def finish_group(parts: list[list[tuple[int, str, Processed]]], decisions: list[list[Decision]], finisher: Finisher,
                 base: str | None, number: int, fmt: str) -> Written:
    """On a worker: the documents of consecutive partitions, finished and written as part ``number`` under
    ``base`` (None: handed back)."""
    totals = finisher.totals
    learned = Learned(totals.get, lambda key: bool(totals.has(np.array([key], np.uint64))[0]), finisher.skip)
    repeated = totals.at_least(finisher.run_threshold) if finisher.run_threshold > 0 else set()
    out = PartWriter(base, number, fmt) if base is not None else None
    written = Written(lines=None if out is not None else [])
    try:
        for part, decided in zip(parts, decisions, strict=True):
            for (_, _, done), (doc_id, copy_of) in zip(part, decided, strict=True):
                record = _finished(done, doc_id, copy_of, finisher, learned, repeated, written)
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


def _finished(done: Processed, doc_id: str, copy_of: str | None, finisher: Finisher, learned: Learned,
              repeated: set[int], written: Written) -> dict[str, Any] | None:
    doc = Document.from_spool(json.loads(done.spool))
    doc.id = doc_id
    before = doc.text
    chrome = site_chrome(done.site_keys, finisher.totals.get(done.site_keys))
    lines = repeated if repeated and not repeated.isdisjoint(done.line_keys.tolist()) else set()
    remove_corpus_chrome(doc, chrome, lines, learned, finisher.skip)
    if doc.text != before:
        doc.text_hash = text_hash(doc.text)
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


def decide_on_cluster(run: Ingest, documents: Iterable[Processed]) -> Iterator[dict[str, Any]]:
    """The batch decision with the documents on a Dask cluster; the records written by the workers into
    ``run.sink`` (a partitioned output), or yielded here."""
    import dask

    from corpus.dedup.cluster_graph import components_on_cluster
    from corpus.run import dask_dedup as cluster

    executor: Any = run.executor  # a DaskExecutor: its client and the partitions it left on the workers
    client = executor.client
    params = run.options.minhash
    ids: list[str] = []
    routed: dict[int, list[tuple[int, int, str]]] = {}
    for index, done in enumerate(documents):
        run.fingerprint.add(done.id)
        if done.title_key:
            run._titles.append(done.title_key)
        routed.setdefault(done.partition, []).append((done.position, index, done.id))  # type: ignore[attr-defined]
        ids.append(done.id)
    chosen = [routed.pop(p, []) for p in range(len(executor.partitions))]
    parts = [client.submit(cluster.select, results, c, pure=False)
             for results, c in zip(executor.partitions, chosen, strict=True)]
    executor.partitions = []
    cutoff, run_key = run._run_identity()
    if not ids:
        if run.sink is not None:
            run.sink.adopt(0)
        return
    with dask.config.set({"dataframe.convert-string": False}):
        edges, sigs = cluster.confirmed_edges(parts, params)
        edges = edges.persist()
        if len(edges) > executor.client_edges:  # components on the cluster, word counts joined there
            labels = components_on_cluster(edges[["a", "b"]])
            labelled = labels.merge(sigs[["doc", "words"]], left_on="node", right_on="doc").compute()
            groups = cluster.grouped(labelled[["node", "label"]])
            words = dict(zip(labelled.node.tolist(), labelled.words.tolist(), strict=True))
        else:
            both = edges.compute()
            union = UnionFind()
            for a, b in zip(both.a.tolist(), both.b.tolist(), strict=True):
                union.union(a, b)
            groups = union.groups()
            words = dict(zip(both.a.tolist() + both.b.tolist(), both.words_a.tolist() + both.words_b.tolist(),
                             strict=True))
        del edges
        earlier = cluster.earlier_matches(parts, sigs, run.state, params) if run.state is not None else {}
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
        words.clear()  # the groups are decided: what is left per document is its id and decision
        run.lines.set_earlier(run.earlier_lines())
        run.lines.settle(cluster.lines_on_cluster(parts, chosen, followers, run.lines))
        run._learn()
    yield from _written(run, parts, chosen, ids, renamed, kept_of)


def _written(run: Ingest, parts: list[Any], chosen: list[list[tuple[int, int, str]]], ids: list[str],
             renamed: dict[int, str], kept_of: dict[int, int | str]) -> Iterator[dict[str, Any]]:
    """Phase two: write tasks over runs of consecutive partitions, their counts taken in input order."""
    executor: Any = run.executor
    client = executor.client

    def id_of(index: int) -> str:
        return renamed.get(index) or ids[index]

    def decision(index: int) -> Decision:
        kept = kept_of.get(index, index)
        return id_of(index), None if kept == index else kept if isinstance(kept, str) else id_of(kept)

    finisher = client.scatter(Finisher(run.lines.totals, run.lines.run_threshold, run.options.skip_rules,
                                       run.options.keep_duplicates, run.state is not None, run.manifest is not None),
                              broadcast=True)
    sink = run.sink
    base, fmt = (sink.part_base(), sink.fmt) if sink is not None else (None, "jsonl")
    groups = groups_of(len(parts), len(client.scheduler_info().get("workers", {})) or executor.workers)
    window = max(2, executor.workers * 2)
    pending: list[Any] = []
    for number, group in enumerate(groups):
        decided = [[decision(index) for _, index, _ in chosen[p]] for p in group]
        pending.append(client.submit(finish_group, [parts[p] for p in group], decided, finisher, base, number, fmt,
                                     pure=False))
        if len(pending) >= window:
            yield from _taken(run, pending.pop(0).result())
    for future in pending:
        yield from _taken(run, future.result())
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
