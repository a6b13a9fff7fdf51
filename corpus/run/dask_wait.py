"""Bounded waits on a Dask cluster: every remote call the client makes (a task's result, a computed frame, a
scatter) ends, with a message that says why, instead of waiting for ever.

Two bounds, from the environment: ``NEWSCLEAN_DASK_TIMEOUT`` (seconds one remote call may take, default
:data:`REMOTE_TIMEOUT`) and ``NEWSCLEAN_DASK_NO_WORKERS`` (seconds the cluster may have no worker at all,
default :data:`NO_WORKERS`: a worker that died and did not come back, e.g. the only one, killed, with no nanny
to restart it, leaves the tasks waiting for a worker that never comes). A nanny'd worker that dies on a
document is restarted within seconds, and the task is tried again (the executor's one-job-a-task retry finds
the document that kills); that is not a lost cluster.
"""

from __future__ import annotations

import time
from typing import Any

from corpus.inputs.storage import _seconds

REMOTE_TIMEOUT = 3600.0  # one remote call: a partition's work, or a shuffle over the whole run's pairs
NO_WORKERS = 60.0  # with no worker at all: longer than a nanny takes to restart one
POLL = 0.5  # seconds between looks at the cluster while waiting
ASK = 5.0  # seconds the scheduler may take to say how many workers it has


class ClusterFailed(Exception):
    """The cluster did not answer in time, or lost every worker: the run cannot finish."""


def bounds() -> tuple[float, float]:
    """(NEWSCLEAN_DASK_TIMEOUT, NEWSCLEAN_DASK_NO_WORKERS), each a positive number of seconds (OSError naming the
    variable when it is not)."""
    return _seconds("NEWSCLEAN_DASK_TIMEOUT", REMOTE_TIMEOUT), _seconds("NEWSCLEAN_DASK_NO_WORKERS", NO_WORKERS)


def result(client: Any, future: Any, what: str) -> Any:  # noqa: ANN401 - distributed's Client and Future
    """``future``'s result, waiting at most NEWSCLEAN_DASK_TIMEOUT seconds, and at most NEWSCLEAN_DASK_NO_WORKERS
    seconds while the cluster has no worker; ClusterFailed saying which (``what``: what the run was doing)."""
    bound, workerless = bounds()
    start = time.monotonic()
    alone_since: float | None = None
    while True:
        try:
            return future.result(timeout=min(POLL, bound))
        except TimeoutError:
            pass
        now = time.monotonic()
        if _workers(client, min(ASK, bound)) == 0:
            alone_since = now if alone_since is None else alone_since
            if now - alone_since >= workerless:
                future.cancel()
                raise ClusterFailed(
                    f"the Dask cluster has no worker left (none for {workerless:g} s while {what}): they died or were "
                    "killed (a worker's log says why), and none came back (NEWSCLEAN_DASK_NO_WORKERS sets the "
                    "wait)") from None
        else:
            alone_since = None
        if now - start >= bound:
            future.cancel()
            raise ClusterFailed(f"the Dask cluster did not answer within {bound:g} s while {what} "
                                "(NEWSCLEAN_DASK_TIMEOUT sets the wait)") from None


def _workers(client: Any, wait: float) -> int | None:  # noqa: ANN401
    """How many workers the scheduler has, or None when it does not say within ``wait`` seconds (then the bound
    on the call decides)."""
    try:  # no worker's details (about 700 bytes each, asked every POLL seconds): the count is in the header
        info = client.sync(client.scheduler.identity, n_workers=0, callback_timeout=wait)
        if not isinstance(info.get("n_workers"), int):  # a scheduler that does not give it: one worker's details
            info = client.sync(client.scheduler.identity, n_workers=1, callback_timeout=wait)
    except (TimeoutError, OSError):
        return None
    return info["n_workers"] if isinstance(info.get("n_workers"), int) else len(info.get("workers") or {})


def computed(client: Any, collection: Any, what: str) -> Any:  # noqa: ANN401 - a dask collection
    """A dask collection computed on the cluster, waited for as :func:`result` does."""
    return result(client, client.compute(collection), what)


def scattered(client: Any, data: Any, what: str, **kwargs: Any) -> Any:  # noqa: ANN401
    """``client.scatter`` bounded: it waits for a worker to hold the data, so it is bounded the same way."""
    bound, workerless = bounds()
    try:
        return client.scatter(data, timeout=min(bound, workerless), **kwargs)
    except TimeoutError:
        raise ClusterFailed(f"no Dask worker took the data within {min(bound, workerless):g} s while {what}: the "
                            "cluster has no worker left, or does not answer (NEWSCLEAN_DASK_NO_WORKERS, "
                            "NEWSCLEAN_DASK_TIMEOUT)") from None
