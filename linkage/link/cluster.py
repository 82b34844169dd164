"""Clustering: entities from linked pairs without ever joining two different identifiers.

Connected components of the linked pairs (scipy, vectorised) are final where they hold at most
one distinct valid value of each identifier column.  A component that would join two (say two
valid ID numbers) is rebuilt edge by edge in descending match weight, refusing every union
that would put different identifiers into one entity; only those few components go through this
loop.  An entity is named after its smallest record id, so ids are stable across reruns of the
same input.

A reviewer's decisions (`linkage.link.labels`) come in as `must` pairs, joined before any model
link and even across two identifiers (a person looked at them), and `cannot` pairs: a component
holding both records of one is rebuilt the same way, refusing every union (a must-link's too)
that would put them in one entity.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def _constrained_union(nodes: np.ndarray, edges: np.ndarray, codes: np.ndarray,
                       forced: np.ndarray, apart: dict[int, set[int]]) -> dict[int, int]:
    """Union-find over `edges` (already in weight order) with the identifier constraint (which
    `forced` edges skip: the entity then holds both identifiers, and records with either may
    join it) and never joining two nodes `apart` names (node -> nodes)."""
    parent = {int(n): int(n) for n in nodes}
    # root -> per identifier column, the codes its entity holds
    ident = {int(n): [{c} if c >= 0 else set() for c in codes[n].tolist()] for n in nodes}
    kept_apart = {int(n): set(apart.get(int(n), ())) for n in nodes}  # root -> nodes it refuses

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (a, b), force in zip(edges.tolist(), forced.tolist()):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ia, ib = ident[ra], ident[rb]
        if not force and any(x and y and not x & y for x, y in zip(ia, ib)):
            continue
        if any(find(x) == rb for x in kept_apart[ra]):
            continue
        lo, hi = min(ra, rb), max(ra, rb)
        parent[hi] = lo
        ident[lo] = [x | y for x, y in zip(ia, ib)]
        kept_apart[lo] = kept_apart[ra] | kept_apart[rb]
    return {n: find(n) for n in parent}


def cluster(record_ids: np.ndarray, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
            identifiers: np.ndarray, must: tuple[np.ndarray, np.ndarray] | None = None,
            cannot: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The representative (smallest) record id of each record's entity.

    `record_ids` sorted ascending; `left`/`right` record ids of the linked pairs with their
    `weight`; `identifiers` (records × columns, int codes, -1 = none) per record; `must` and
    `cannot` the (left, right) record ids of pairs a reviewer decided same / different."""
    n = len(record_ids)
    forced = np.zeros(len(left), dtype=bool)
    if must is not None and len(must[0]):
        left, right = np.concatenate([left, must[0]]), np.concatenate([right, must[1]])
        weight = np.concatenate([weight, np.full(len(must[0]), np.inf)])
        forced = np.concatenate([forced, np.ones(len(must[0]), dtype=bool)])
    li = np.searchsorted(record_ids, left)
    ri = np.searchsorted(record_ids, right)
    graph = coo_matrix((np.ones(len(li), dtype=np.int8), (li, ri)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    conflicted = np.zeros(labels.max() + 1 if n else 0, dtype=bool)
    for k in range(identifiers.shape[1]):
        frame = pl.DataFrame({"c": labels, "v": identifiers[:, k]}).filter(pl.col("v") >= 0)
        bad = frame.group_by("c").agg(pl.col("v").n_unique().alias("u")).filter(pl.col("u") > 1)
        conflicted[bad["c"].to_numpy()] = True
    apart: dict[int, set[int]] = {}
    if cannot is not None and len(cannot[0]):
        ci, cj = np.searchsorted(record_ids, cannot[0]), np.searchsorted(record_ids, cannot[1])
        joined = labels[ci] == labels[cj]
        conflicted[labels[ci[joined]]] = True
        for a, b in zip(ci[joined].tolist(), cj[joined].tolist()):
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    if conflicted.any():
        edge_conflicted = conflicted[labels[li]]
        order = np.lexsort((ri[edge_conflicted], li[edge_conflicted], -weight[edge_conflicted]))
        edges = np.column_stack([li[edge_conflicted], ri[edge_conflicted]])[order]
        nodes = np.flatnonzero(conflicted[labels])
        roots = _constrained_union(nodes, edges, identifiers, forced[edge_conflicted][order], apart)
        # fresh labels for the rebuilt components, after the existing ones
        fixed = np.array([roots[int(x)] for x in nodes])
        labels = labels.copy()
        labels[nodes] = labels.max() + 1 + fixed
    # representative: smallest record id per component (record_ids ascending → first index)
    _, first = np.unique(labels, return_index=True)
    smallest = np.empty(labels.max() + 1, dtype=np.int64)
    smallest[labels[first]] = record_ids[first]
    return smallest[labels]
