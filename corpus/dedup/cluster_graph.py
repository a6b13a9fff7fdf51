"""Dask dataframes from partitions kept on the cluster, and a run's confirmed pairs brought to the client in
input order.

Groups are not connected components: a document that matches several groups joins them only by the rule
:func:`corpus.dedup.minhash.join` (a roundup does not chain two stories), which depends on the order the
documents came in. So the client walks the confirmed pairs ordered by their later document, as the local
Deduplicator meets them: all at once while they are few, else sorted on the cluster and fetched a
partition at a time, so that the client never holds more than one partition of pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
from distributed import Future


def meta_of(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with these columns and dtypes (what dask needs to know before computing)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def frame_of(parts: list[Future], fn: Callable[..., pd.DataFrame], columns: dict[str, str], *args: Any,
             per_part: list[Any] | None = None) -> dd.DataFrame:
    """One dask dataframe partition per cluster partition: ``fn(part, [per_part[k],] *args)`` on its worker."""
    pieces = [dask.delayed(fn)(part, *((per_part[k],) if per_part is not None else ()), *args)
              for k, part in enumerate(parts)]
    if not pieces:
        return dd.from_pandas(meta_of(columns), npartitions=1)
    return dd.from_delayed(pieces, meta=meta_of(columns), verify_meta=False)


def _compute(collection: Any) -> Any:  # noqa: ANN401
    return collection.compute()


def in_order(edges: dd.DataFrame, at_once: int, compute: Callable[[Any], Any] = _compute) -> Iterator[pd.DataFrame]:
    """Frames of confirmed pairs (columns a < b, ...) ordered by (b, a), together in input order: one frame of
    them all when there are at most ``at_once``, else one per partition of the pairs sorted on the cluster
    (each ``b`` in one partition: the sort sends equal values to one). ``compute``: how a collection is
    computed (the executor's bounded wait)."""
    if compute(edges.shape[0]) <= at_once:
        yield compute(edges).sort_values(["b", "a"], kind="stable")
        return
    ordered = edges.sort_values("b").persist()  # partitions hold ranges of b: in order
    for k in range(ordered.npartitions):
        yield compute(ordered.get_partition(k)).sort_values(["b", "a"], kind="stable")
