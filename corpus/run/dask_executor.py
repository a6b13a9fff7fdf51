"""The ``dask`` executor: partitions of jobs run on a Dask cluster (the ``dask`` extra).

The workers read their own inputs: the client lists, and hands on work descriptions
(:mod:`corpus.inputs.units`): files and one-document objects in partitions of ``partition``, each
container (a WARC or JSONL file or object) as a partition of its own, a large uncompressed JSONL one
as line-aligned byte ranges (found by a scan on a worker, which hashes it too). Each partition is one
task that reads and processes its jobs (:func:`corpus.run.process.process_safely`) on whichever
worker the scheduler picks. Results come back in input order, a bounded window of partitions in
flight. For batch dedup on the cluster (:mod:`corpus.run.dask_dedup`) the processed documents stay
on the workers: the client gets a small summary of each (id, language, where it came from) and
keeps the partition futures for the shuffle and the final write (:mod:`corpus.run.dask_write`).

Workers load the libraries' lazy parts (:func:`corpus.run.process.warm_up`, through a worker plugin)
before their first document. A worker thread cannot take signals: with ``--timeout`` each worker runs
its partitions in a child process of its own, under the local pool's per-document timer
(:mod:`corpus.run.timed`).
"""

from __future__ import annotations

import itertools
import logging
import pickle
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from distributed import Client, Future, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin

from corpus.document import Reject
from corpus.inputs import work
from corpus.inputs.units import is_unit, ranges, read_units, scan_jsonl, scan_warc_gz
from corpus.inputs.work import Container, Noted
from corpus.run.dask_wait import ClusterFailed, result, scattered
from corpus.run.process import Job, Processed, died, from_record, in_batches, warm_up
from corpus.run.workers import chunks

if TYPE_CHECKING:
    from corpus.run.options import IngestOptions

PARTITION_JOBS = 256  # jobs per task: scheduling costs little beside the work (64 gave 17.5 ms of CPU a document
# in all the run's processes on bench-dask's S3 run, 256 gives 16.1, and 1.23x one local worker, not 1.10x)
WORK = "processing documents"  # what the run was doing, when the cluster fails it
CLIENT_EDGES = 2_000_000  # confirmed pairs the client walks at once (~100 MB); more: a sorted partition at a time


class SchedulerUnreachable(Exception):
    """A --scheduler address that does not answer in time."""


def joined(address: str) -> Client:
    """A client of the running scheduler at ``address``, or SchedulerUnreachable once dask's connect timeout
    (``distributed.comm.timeouts.connect``, 30 s unless configured, e.g. DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT)
    has passed: a server that accepts the connection and never answers would hold Client() for ever (its own
    timeout does not cover the handshake), so it is made in a thread of its own, left behind if it hangs."""
    import threading

    import dask.config
    from dask.utils import parse_timedelta

    wait = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect", "30s"), default="seconds")
    made: dict[str, Any] = {}

    def connect() -> None:
        try:
            made["client"] = Client(address, timeout=wait)
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread
            made["error"] = err

    thread = threading.Thread(target=connect, name="newsclean-connect", daemon=True)
    thread.start()
    thread.join(wait + 1)
    if "client" in made:
        return made["client"]
    why = f" ({made['error']})" if "error" in made else ""
    raise SchedulerUnreachable(f"the Dask scheduler at {address} did not answer within {wait:g} s{why}: is it "
                               "running, and is that its address? (the wait is distributed.comm.timeouts.connect)")


@dataclass
class RemoteProcessed(Processed):
    """A processed document that stayed on the cluster: its summary, and where its full form is."""

    partition: int = -1
    position: int = -1
    site: int = 0  # its site's story counter key (its site keys' first), or 0
    renamed: bool = False  # on the client: its run id is not the id it came with (a byte-identical copy)


class WarmUp(WorkerPlugin):
    """Loads the language profiles on each worker as it starts (the extractor loads on its first page)."""

    name = "newsclean-warm-up"

    def __init__(self, lang_backend: str) -> None:
        self.lang_backend = lang_backend

    def setup(self, worker: Any) -> None:  # noqa: ANN401 - distributed.Worker
        warm_up(self.lang_backend)


def run_partition(jobs: list[Job], options: IngestOptions, identify: bool = False) -> list[Processed | Reject]:
    """One task: every job of a partition, in order (a worker runs the same code as a local process, in the
    same batches); work descriptions are read here (``identify``: say what each input hashed to, for the
    manifest)."""
    return list(in_batches((item, options) for item in read_units(jobs, options.max_bytes, identify)))


def run_warm(jobs: list[Job], options: IngestOptions, identify: bool) -> list[Processed | Reject]:
    """In a worker's child process: warmed up (once) before any timer, then the partition."""
    warm_up(options.lang_backend)
    return run_partition(jobs, options, identify)


def run_task(jobs: list[Job], options: IngestOptions, identify: bool) -> list[Processed | Reject]:
    """A partition's task. With ``--timeout``, in the worker's child process (:mod:`corpus.run.timed`), whose main
    thread takes the per-document timer the local pool uses; a Dask worker's task thread cannot."""
    if options.timeout > 0:
        from corpus.run.timed import run_in_child

        return run_in_child(run_warm, jobs, options, identify)
    return run_partition(jobs, options, identify)


def sign_records(items: list[Any], options: IngestOptions, identify: bool = False) -> list[Processed | Reject]:
    """One task of ``newsclean dedup``: records written by newsclean, signed as the local run signs them."""
    return [item if isinstance(item, Reject) else from_record(*item, options.minhash) for item in items]


def summaries(results: list[Processed | Reject], partition: int) -> bytes:
    """What the client needs of a partition to route it (no text, no signature, no line keys), as one
    compressed pickle (:func:`unpacked`): a list of objects would travel as many frames, and its paths, ids and
    field names repeat."""
    empty = np.empty(0, dtype=np.uint64)
    routed = [r if isinstance(r, (Reject, Noted)) else
              RemoteProcessed(r.id, r.path, r.input, r.lang, r.empty, "", None, empty, empty,
                              title_key=r.title_key, partition=partition, position=pos,
                              site=int(r.site_keys[0]) if len(r.site_keys) else 0)
              for pos, r in enumerate(results)]
    return zlib.compress(pickle.dumps(routed, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpacked(summary: bytes) -> list[Processed | Reject]:
    """A partition's summaries from :func:`summaries`."""
    return pickle.loads(zlib.decompress(summary))  # noqa: S301 - from the run's own workers


def partitions(jobs: Iterable[tuple[Job, IngestOptions]], size: int) -> Iterator[list[tuple[Job, IngestOptions]]]:
    """Jobs in partitions of ``size`` in input order; a container is a partition of its own."""
    for alone, run in itertools.groupby(jobs, key=lambda job: isinstance(job[0], Container)):
        yield from chunks(run, 1 if alone else size)


def local_cluster(workers: int) -> LocalCluster:
    """Worker processes on this machine, one thread each (the stages are CPU-bound), no dashboard."""
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None, silence_logs=logging.ERROR)


class DaskExecutor:
    """Runs partitions of jobs on a Dask cluster: a LocalCluster (``scheduler="local"``) or ``tcp://...``."""

    distributed = True
    reads_inputs = True  # the jobs are work descriptions (corpus.inputs.units): the workers read

    def __init__(self, scheduler: str = "local", workers: int = 2, lang_backend: str = "langdetect",
                 partition: int = PARTITION_JOBS, client_edges: int = CLIENT_EDGES) -> None:
        self.scheduler = scheduler
        self.client_edges = client_edges  # more confirmed pairs than this: fetched in sorted partitions
        self.workers = workers
        self.lang_backend = lang_backend
        self.partition = partition
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        self.partitions: list[Future] = []  # remote mode: every partition's results, in input order
        self.identify = False  # the workers say what each input hashed to (for a run manifest)

    @property
    def client(self) -> Client:
        if self._client is None:
            if self.scheduler == "local":
                self._cluster = local_cluster(self.workers)
                self._client = Client(self._cluster)
            else:
                self._client = joined(self.scheduler)
            self._client.register_plugin(WarmUp(self.lang_backend))
        return self._client

    def map(self, jobs: Iterable[tuple[Job, IngestOptions]]) -> Iterator[Processed | Reject]:
        """Every job's result, back on the client, in input order."""
        yield from self._ordered(jobs, remote=False)

    def map_remote(self, jobs: Iterable[tuple[Job, IngestOptions]]) -> Iterator[Processed | Reject]:
        """Summaries in input order; the full results stay on the cluster (:attr:`partitions`)."""
        self.partitions = []
        yield from self._ordered(jobs, remote=True)

    def map_records(self, records: Iterable[Any], options: IngestOptions) -> Iterator[Processed | Reject]:
        """``newsclean dedup``: the records (read here) signed by the workers, which keep them; summaries in
        input order, as :meth:`map_remote` gives them."""
        self.partitions = []
        yield from self._ordered(((item, options) for item in records), remote=True, task=sign_records)

    def _ordered(self, jobs: Iterable[tuple[Job, IngestOptions]], remote: bool,
                 task: Callable[..., list[Processed | Reject]] = run_task) -> Iterator[Processed | Reject]:
        client = self.client
        window = max(2, self.workers * 4)
        pending: deque[tuple[int, list[Job], IngestOptions, Future, Callable]] = deque()
        for number, chunk in enumerate(partitions(self._split(jobs), self.partition)):
            options = chunk[0][1]
            plain = [job for job, _ in chunk]
            future = client.submit(task, plain, options, self.identify, pure=False)
            pending.append((number, plain, options, future, task))
            if len(pending) >= window:
                yield from self._collect(pending.popleft(), remote)
        while pending:
            yield from self._collect(pending.popleft(), remote)

    def _collect(self, item: tuple[int, list[Job], IngestOptions, Future, Callable],
                 remote: bool) -> list[Processed | Reject]:
        """A partition's results (``remote``: its summaries only; the results stay on the worker). A task that
        failed (a worker died on it, again and again) is run again one job a task, to find the job that kills."""
        number, jobs, options, future, task = item
        if not remote:
            try:
                return result(self.client, future, WORK)
            except ClusterFailed:
                raise
            except Exception:  # noqa: BLE001 - find the job that kills, one task each
                return self._alone(jobs, options, task)
        try:
            summary = unpacked(result(self.client, self.client.submit(summaries, future, number, pure=False), WORK))
        except ClusterFailed:
            raise
        except Exception:  # noqa: BLE001 - as above; the results found are kept on the cluster
            future = scattered(self.client, [self._alone(jobs, options, task)], WORK)[0]
            summary = unpacked(result(self.client, self.client.submit(summaries, future, number, pure=False), WORK))
        self.partitions.append(future)
        return summary

    def _split(self, jobs: Iterable[tuple[Job, IngestOptions]]) -> Iterator[tuple[Job, IngestOptions]]:
        """A large uncompressed JSONL container as line-aligned ranges: a worker scans it (hashing it, and
        finding a line start past every range's worth of bytes), the ranges go to all."""
        for job, options in jobs:
            if isinstance(job, Container) and job.splittable:
                try:
                    scan = scan_jsonl if job.kind == "jsonl" else scan_warc_gz
                    identity, starts = result(self.client, self.client.submit(scan, job, work.RANGE_BYTES, pure=False),
                                              "scanning a container")
                except ClusterFailed:
                    raise
                except Exception:  # noqa: BLE001 - unreadable: the whole-container task says why
                    yield job, options
                    continue
                if self.identify:
                    yield Noted(job.rel, identity=identity), options  # type: ignore[misc]
                for part in ranges(job, identity, starts):
                    yield part, options
            else:
                yield job, options

    def _alone(self, jobs: list[Job], options: IngestOptions,
               task: Callable[..., list[Processed | Reject]] = run_task) -> list[Processed | Reject]:
        results: list[Processed | Reject] = []
        for job in jobs:
            try:
                results.extend(result(self.client, self.client.submit(task, [job], options, self.identify,
                                                                      pure=False), WORK))
            except ClusterFailed:
                raise
            except Exception:  # noqa: BLE001 - the worker died on this one
                if task is sign_records:  # a record (where, record) or a reject
                    results.append(job if isinstance(job, Reject) else Reject(
                        job[0], "crashed", "the worker process died while signing it", job[0].rsplit(":", 1)[0]))
                    continue
                results.append(died((job, options)) if not is_unit(job) else Reject(
                    job.rel, "crashed", "the worker process died while reading or processing it (a crash, or "
                    "killed by the system, e.g. for memory); a new worker took over", job.rel))
        return results

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

