"""What one run is asked to do: the options every stage of a run reads, kept below all of them so that
the pipeline, the per-document process and the executors import it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.clean.rules import REPEATED_LINE_MIN_GROUPS
from corpus.dedup.minhash import MinHashParams
from corpus.limits import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT


@dataclass
class IngestOptions:
    languages: set[str] | None = None  # None keeps every language
    keep_duplicates: bool = False
    workers: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    repeated_line_min_groups: int = REPEATED_LINE_MIN_GROUPS  # 0 turns the corpus-level rule off
    timeout: float = DEFAULT_TIMEOUT  # seconds one document may take; 0 for no limit
    stream: bool = False  # write each record when done: first of a group kept, lines judged on counts so far
    lang_backend: str = "langdetect"  # or "langid" (py3langid, the "fast" extra)
    minhash: MinHashParams = field(default_factory=MinHashParams)
    skip_rules: frozenset[str] = frozenset()  # --skip-rule: rules that decide nothing in this run
    own_outputs: tuple[str, ...] = ()  # this run's output files: never read as input (nor their temporary files)
    executor: str = "local"  # or "dask" (corpus.run.executors)
    scheduler: str = "local"  # dask: "local" (a LocalCluster of `workers`) or tcp://HOST:PORT
