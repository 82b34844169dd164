"""Clustering: entities from linked pairs without ever joining two different identifiers.

Connected components of the linked pairs (scipy, vectorised) are final where they hold at most
one distinct valid value of each identifier column.  A component that would join two (say two
valid ID numbers) is rebuilt edge by edge in descending match weight, refusing every union
that would put different identifiers into one entity; only those few components go through this
loop.  An entity is named after its smallest record id, so ids are stable across reruns of the
same input.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def _constrained_union(nodes: np.ndarray, edges: np.ndarray, codes: np.ndarray) -> dict[int, int]:
    """Union-find over `edges` (already in weight order) with the identifier constraint."""
    parent = {int(n): int(n) for n in nodes}
    ident = {int(n): codes[n].copy() for n in nodes}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges.tolist():
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ia, ib = ident[ra], ident[rb]
        if np.any((ia >= 0) & (ib >= 0) & (ia != ib)):
            continue
        lo, hi = min(ra, rb), max(ra, rb)
        parent[hi] = lo
        ident[lo] = np.where(ia >= 0, ia, ib)
    return {n: find(n) for n in parent}


def cluster(record_ids: np.ndarray, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
            identifiers: np.ndarray) -> np.ndarray:
    """The representative (smallest) record id of each record's entity.

    `record_ids` sorted ascending; `left`/`right` record ids of the linked pairs with their
    `weight`; `identifiers` (records × columns, int codes, -1 = none) per record."""
    n = len(record_ids)
    li = np.searchsorted(record_ids, left)
    ri = np.searchsorted(record_ids, right)
    graph = coo_matrix((np.ones(len(li), dtype=np.int8), (li, ri)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    conflicted = np.zeros(labels.max() + 1 if n else 0, dtype=bool)
    for k in range(identifiers.shape[1]):
        frame = pl.DataFrame({"c": labels, "v": identifiers[:, k]}).filter(pl.col("v") >= 0)
        bad = frame.group_by("c").agg(pl.col("v").n_unique().alias("u")).filter(pl.col("u") > 1)
        conflicted[bad["c"].to_numpy()] = True
    if conflicted.any():
        edge_conflicted = conflicted[labels[li]]
        order = np.lexsort((ri[edge_conflicted], li[edge_conflicted], -weight[edge_conflicted]))
        edges = np.column_stack([li[edge_conflicted], ri[edge_conflicted]])[order]
        nodes = np.flatnonzero(conflicted[labels])
        roots = _constrained_union(nodes, edges, identifiers)
        # fresh labels for the rebuilt components, after the existing ones
        fixed = np.array([roots[int(x)] for x in nodes])
        labels = labels.copy()
        labels[nodes] = labels.max() + 1 + fixed
    # representative: smallest record id per component (record_ids ascending → first index)
    _, first = np.unique(labels, return_index=True)
    smallest = np.empty(labels.max() + 1, dtype=np.int64)
    smallest[labels[first]] = record_ids[first]
    return smallest[labels]
