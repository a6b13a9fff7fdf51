"""Where the per-document function runs: the local process pool, or a Dask cluster.

The stages do not know where they run. An executor takes the jobs (files to read, records of
containers) in input order and gives back what :func:`corpus.run.process.read_and_process` made of
each, in the same order. ``local`` is the process pool of :mod:`corpus.run.workers`; ``dask`` runs
partitions of jobs on a Dask cluster (:mod:`corpus.run.dask_executor`, the ``dask`` extra), and with
it batch dedup runs on the cluster too (:mod:`corpus.run.dask_dedup`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from corpus.document import Reject
from corpus.inputs.stdin import input_waits
from corpus.language import forget_answers
from corpus.run.process import Job, Processed, died, failed, read_and_process, read_and_process_many, run_alone, warm_up
from corpus.run.workers import OrderedPool

if TYPE_CHECKING:
    from corpus.run.options import IngestOptions

EXECUTORS = ("local", "dask")
DASK_HINT = "--executor dask needs Dask: pip install -e '.[dask]' in the checkout"
JOBS_PER_MESSAGE = 16
"""Documents a message carries to a worker and back, which the worker takes through the stages as one batch
(:func:`corpus.run.process.in_batches`). Each message costs the main process's threads a pickle, a pipe's
round trip and a wake-up: at 4 they took 0.25 ms of CPU a document beside the two workers, 0.61 ms a page at 8
(HTML, 2 workers). With batches, 2 workers read (thirteenth session, 3 rounds, taking turns) 582 / 623 / 652
plain-text documents a second at 8 / 16 / 32 and 159.7 / 163.6 / 158.4 HTML pages (1,000): 32 pages are a
third of a second's work, and the last message of a run keeps one worker busy while the other waits."""


class Executor(Protocol):
    """Runs the per-document function; ``distributed``: batch dedup runs where the documents are."""

    distributed: bool

    def map(self, jobs: Iterable[tuple[Job, IngestOptions]]) -> Iterator[Processed | Reject]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """This machine: the calling process (one worker) or a pool of processes, results in input order."""

    distributed = False

    def __init__(self, workers: int = 1, lang_backend: str = "langdetect") -> None:
        self.workers = workers
        self.lang_backend = lang_backend

    def map(self, jobs: Iterable[tuple[Job, IngestOptions]]) -> Iterator[Processed | Reject]:
        forget_answers()  # a run's own: a second run of the same pages in this process (or its forked workers) detects
        if self.workers <= 1:
            warm_up(self.lang_backend)  # before any timer
            yield from run_alone(jobs)
            return
        # Each worker warms up as it starts (before any timer). The main process only routes: it never
        # loads the language profiles (70 MB) nor the extractor, which forked workers would inherit.
        jobs = iter(jobs)
        first = next(jobs, None)
        if first is None:
            return
        # --stream: a record is not to wait for 16 more inputs, nor for the next on a pipe that brings them slowly
        stream = first[1].stream
        pool = OrderedPool(self.workers, functools.partial(warm_up, self.lang_backend),
                           chunk=1 if stream else JOBS_PER_MESSAGE)
        yield from pool.map(read_and_process, itertools.chain([first], jobs), on_death=died, on_error=failed,
                            many=read_and_process_many, idle=input_waits if stream else None)

    def close(self) -> None:
        """Nothing outlives a run: the pool stops when its map ends."""


def dask_available() -> bool:
    """Whether the ``dask`` extra is installed (checked before a run starts, not when it first needs it)."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def make_executor(name: str, workers: int = 1, lang_backend: str = "langdetect",
                  scheduler: str = "local") -> Executor:
    """The executor called ``name``; ``scheduler`` (dask): ``local`` for a LocalCluster of ``workers``
    processes on this machine, or ``tcp://HOST:PORT`` of a running scheduler."""
    if name == "local":
        return LocalExecutor(workers, lang_backend)
    if name != "dask":
        raise ValueError(f"no executor named {name!r} (choose from {', '.join(EXECUTORS)})")
    if not dask_available():
        raise ImportError(DASK_HINT)
    from corpus.run.dask_executor import DaskExecutor

    return DaskExecutor(scheduler, workers, lang_backend)
