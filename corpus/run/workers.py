"""Per-document work in worker processes: results in input order, and no document can hang the run.

``multiprocessing.Pool`` waits forever when a worker dies (a segfault in a parser, the kernel's
OOM killer, a signal). Here a dead worker breaks its executor; the document it was working on
is found by running the unfinished documents again one at a time in a fresh process, is
handed to ``on_death`` (which makes it a reject), and the run goes on with a new pool.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

IDLE_POLL = 0.05
"""Seconds between two looks at whether the next job has come, while results are handed back as they are done."""


def _die_with_parent(parent: int) -> None:
    """Linux: a worker gets SIGTERM when the main process dies (even by SIGKILL), so no orphan
    keeps running, or keeps the state's lock, after its run is gone. A worker whose main process died
    before it could ask (a SIGTERM that came while the pool was starting) ends at once: forked, it
    holds the run's stdout and stderr, and whatever reads them (``| jq``, cron, a test's
    ``communicate``) waited for their end for as long as the orphan lived, which was for ever."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # asked too late: the main process is gone already
        os.kill(os.getpid(), signal.SIGTERM)


def _worker_start(warm_up: Callable[[], None] | None, parent: int) -> None:
    """Workers leave Ctrl-C and SIGHUP to the main process, which stops them and says so once."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the main process's handler is not theirs: stopping ends them
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if warm_up is not None:
        warm_up()


def _run_chunk(fn: Callable[[Job], Result], many: Callable[[list[Job]], list[Result]] | None,
               chunk: list[Job]) -> list[Result]:
    return many(chunk) if many is not None else [fn(job) for job in chunk]


class OrderedPool:
    """``map`` over processes, in order, with at most ``window`` chunks of ``chunk`` jobs in flight.

    Jobs travel in small chunks (one message per chunk, as ``Pool.imap``'s chunksize does); when a
    worker dies, the unfinished chunks are run again one job at a time to find the job that kills.
    """

    def __init__(self, workers: int, warm_up: Callable[[], None] | None = None, chunk: int = 4) -> None:
        self.workers = workers
        self.chunk = chunk
        self.window = workers * 4
        self._warm_up = warm_up
        self._context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        self._executor: ProcessPoolExecutor | None = None
        self._many: Callable[[list[Any]], list[Any]] | None = None

    def _start(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=self._context, initializer=_worker_start,
                                   initargs=(self._warm_up, os.getpid()))

    def map(self, fn: Callable[[Job], Result], jobs: Iterable[Job],
            on_death: Callable[[Job], Result], on_error: Callable[[Job, BaseException], Result],
            many: Callable[[list[Job]], list[Result]] | None = None,
            idle: Callable[[], bool] | None = None) -> Iterator[Result]:
        """``fn(job)`` for every job, in order. A job whose process died gives ``on_death(job)``; one
        that raised past ``fn`` (even a BaseException) gives ``on_error(job, exc)``. ``many``: ``fn`` of
        a chunk's jobs at once (the same results, in order), run instead of ``fn`` on each. ``idle``: True
        when taking the next job would wait for it (an open pipe): the results done meanwhile are handed
        back first, rather than held until it comes."""
        self._many = many
        self._executor = self._start(self.workers)
        pending: deque[tuple[list[Job], Future]] = deque()
        try:
            for chunk in chunks(jobs, self.chunk):
                pending.append((chunk, self._submit(fn, chunk)))
                if len(pending) >= self.window:
                    yield from self._next(fn, pending, on_death, on_error)
                while idle is not None and pending and idle():
                    if wait([pending[0][1]], timeout=IDLE_POLL).done:
                        yield from self._next(fn, pending, on_death, on_error)
            while pending:
                yield from self._next(fn, pending, on_death, on_error)
            self._executor.shutdown(wait=True)  # all done: let the workers exit on their own
        finally:
            self.close()

    def _next(self, fn: Callable[[Job], Result], pending: deque[tuple[list[Job], Future]],
              on_death: Callable[[Job], Result], on_error: Callable[[Job, BaseException], Result]) -> list[Result]:
        chunk, future = pending[0]
        try:
            results = future.result()
        except BrokenProcessPool:
            return self._recover(fn, pending, on_death, on_error)
        except BaseException as err:  # noqa: BLE001 - anything the worker raised is the chunk's failure
            if isinstance(err, KeyboardInterrupt):
                raise
            results = [self._alone(fn, job, on_death, on_error) for job in chunk]
        pending.popleft()
        return results

    def _recover(self, fn: Callable[[Job], Result], pending: deque[tuple[list[Job], Future]],
                 on_death: Callable[[Job], Result], on_error: Callable[[Job, BaseException], Result]) -> list[Result]:
        """A worker died: run the head chunk's jobs alone to learn which one kills, then go on."""
        self.close()
        chunk, _ = pending.popleft()
        results = [self._alone(fn, job, on_death, on_error) for job in chunk]
        self._executor = self._start(self.workers)
        for i, (other, _) in enumerate(pending):
            pending[i] = (other, self._submit(fn, other))
        return results

    def _submit(self, fn: Callable[[Job], Result], chunk: list[Job]) -> Future:
        """The chunk's future; a pool that broke meanwhile (another chunk's job killed a worker, perhaps one
        submitted just before) gives a future that failed so, which ``_next`` recovers from in its turn: two
        killing documents in one window ended the run with BrokenProcessPool."""
        assert self._executor is not None
        try:
            return self._executor.submit(_run_chunk, fn, self._many, chunk)
        except BrokenProcessPool as broken:
            failed: Future = Future()
            failed.set_exception(broken)
            return failed

    def _alone(self, fn: Callable[[Job], Result], job: Job, on_death: Callable[[Job], Result],
               on_error: Callable[[Job, BaseException], Result]) -> Result:
        alone = self._start(1)
        try:
            return alone.submit(fn, job).result()
        except BrokenProcessPool:
            return on_death(job)
        except BaseException as err:  # noqa: BLE001
            if isinstance(err, KeyboardInterrupt):
                raise
            return on_error(job, err)
        finally:
            _stop(alone)

    def close(self) -> None:
        if self._executor is not None:
            _stop(self._executor)
            self._executor = None


def chunks(jobs: Iterable[Job], size: int) -> Iterator[list[Job]]:
    chunk: list[Job] = []
    for job in jobs:
        chunk.append(job)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _stop(executor: ProcessPoolExecutor) -> None:
    """Shut down without waiting on a worker that may be stuck: its processes are terminated."""
    processes: dict[int, Any] = dict(getattr(executor, "_processes", None) or {})
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        if process.is_alive():
            process.terminate()
    for process in processes.values():
        process.join(timeout=5)
