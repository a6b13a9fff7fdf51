"""Dask dataframes from partitions kept on the cluster, and connected components by large-star/small-star.

Large-star/small-star (Kiveris et al., "Connected Components in MapReduce and Beyond", 2014)
alternates two local rewrites of the edge list, each one shuffle on the node column, until the
edge list stops changing; every component is then a star around its smallest node, which is
its label. Rounds grow with the logarithm of the component's diameter; no machine needs more
than one node's neighbourhood at a time, so it serves when the edges do not fit on the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Future

EDGE = {"u": "int64", "v": "int64"}
MAX_ROUNDS = 100


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


def _large_star(edges: pd.DataFrame) -> pd.DataFrame:
    """Each node links its larger neighbours to the smallest node of its neighbourhood (itself included)."""
    smallest = np.minimum(edges.groupby("u").v.transform("min").to_numpy(), edges.u.to_numpy())
    larger = (edges.v > edges.u).to_numpy()
    return pd.DataFrame({"u": edges.v.to_numpy()[larger], "v": smallest[larger]}).drop_duplicates()


def _small_star(edges: pd.DataFrame) -> pd.DataFrame:
    """Each node links itself and its smaller neighbours to the smallest of them (edges come as u > v)."""
    smallest = np.minimum(edges.groupby("u").v.transform("min").to_numpy(), edges.u.to_numpy())
    linked = pd.concat([pd.DataFrame({"u": edges.v.to_numpy(), "v": smallest}),
                        pd.DataFrame({"u": edges.u.to_numpy(), "v": smallest})])
    return linked[linked.u != linked.v].drop_duplicates()


def _both_ways(edges: dd.DataFrame) -> dd.DataFrame:
    return dd.concat([edges, edges.rename(columns={"u": "v", "v": "u"})[["u", "v"]]])


def _larger_first(edges: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"u": np.maximum(edges.u, edges.v), "v": np.minimum(edges.u, edges.v)})


def components_on_cluster(pairs: dd.DataFrame, rounds: int = MAX_ROUNDS) -> dd.DataFrame:
    """(node, label) for every node of an edge list with columns a, b: label = the component's smallest node,
    the label's own row included."""
    edges = pairs.rename(columns={"a": "u", "b": "v"})[["u", "v"]]
    meta = meta_of(EDGE)
    seen: tuple[int, int, int] | None = None
    for _ in range(rounds):
        edges = _both_ways(edges).shuffle("u").map_partitions(_large_star, meta=meta).drop_duplicates()
        edges = edges.map_partitions(_larger_first, meta=meta).shuffle("u").map_partitions(_small_star, meta=meta)
        edges = edges.drop_duplicates().persist()
        now = dask.compute(edges.u.count(), edges.u.sum(), edges.v.sum())
        now = tuple(int(x) for x in now)
        if now == seen:
            break
        seen = now
    else:
        raise RuntimeError(f"connected components did not settle in {rounds} rounds")
    labels = edges.rename(columns={"u": "node", "v": "label"})
    roots = labels[["label"]].drop_duplicates().assign(node=lambda f: f.label)[["node", "label"]]
    return dd.concat([labels, roots])
