"""``--timeout`` per document on a Dask worker: the worker's partitions run in a child process of its own.

A Dask worker runs tasks in threads, and only a process's main thread can take the timer's signal
(:func:`corpus.run.process.process_safely`). So each worker keeps one child process (started on its
first partition, warmed up once, kept for the next ones), which runs a partition in its main thread,
under the same per-document timer as the local pool: a document over ``--timeout`` is a ``timeout``
reject, as locally. The child is a plain ``python -m corpus.run.timed`` that reads pickled partitions
on its standard input and writes their results on its standard output; a child that dies (a crash,
the kernel's OOM killer) fails the task, and the executor runs the partition again one job a task to
find the job that kills (a new child is started for the next task).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
from typing import Any

_child: subprocess.Popen | None = None
_lock = threading.Lock()
_PARENT = "NEWSCLEAN_TIMED_PARENT"  # the worker's pid, for the child to check that it is still there


class ChildDied(RuntimeError):
    """The worker's child process ended while it ran a partition."""


def run_in_child(fn: Any, *args: Any) -> Any:  # noqa: ANN401 - a picklable function and its arguments
    """``fn(*args)`` in this process's child (started if there is none); raises :class:`ChildDied`."""
    global _child
    with _lock:
        if _child is None or _child.poll() is not None:
            _child = subprocess.Popen([sys.executable, "-m", "corpus.run.timed"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                                    _PARENT: str(os.getpid())})
        child = _child
        try:
            pickle.dump((fn, args), child.stdin, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[arg-type]
            child.stdin.flush()  # type: ignore[union-attr]
            ok, value = pickle.load(child.stdout)  # type: ignore[arg-type]
        except (EOFError, OSError, pickle.UnpicklingError) as err:
            child.kill()
            child.wait()
            _child = None
            raise ChildDied(f"the worker's child process died (exit {child.returncode})") from err
    if not ok:
        raise value
    return value


def serve() -> None:
    """The child: partitions in, results out, until its standard input ends."""
    from corpus.run.workers import _die_with_parent

    _die_with_parent(int(os.environ.get(_PARENT, os.getppid())))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a library's print must not reach the results' stream
    while True:
        try:
            fn, args = pickle.load(source)
        except EOFError:
            return
        try:
            answer = (True, fn(*args))
        except Exception as err:  # noqa: BLE001 - handed to the worker, which raises it in the task
            answer = (False, err)
        pickle.dump(answer, sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    serve()
