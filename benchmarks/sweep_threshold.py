"""Precision and recall of a finished run at other thresholds for its second-pass joins.

    .venv/bin/python benchmarks/sweep_threshold.py OUTPUT_DIR TRUTH_DIR [--entity person]

Re-clusters the run's pairs: every pair the pairwise model linked, plus the second pass's
joins (rule = 'assigned', linkage.link.assign) whose probability reaches each threshold, and
scores the partition against the synth truth (pairwise precision / recall / F1).  The joins'
probabilities are calibrated, so this is the trade a `threshold` setting makes.
"""

from __future__ import annotations

import argparse

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

THRESHOLDS = (0.9, 0.95, 0.98, 0.99, 0.995)


def _pairs(frame: pl.DataFrame, by: str) -> int:
    return frame.group_by(by).len().select((pl.col("len") * (pl.col("len") - 1) // 2).sum()).item()


def score(clusters: pl.DataFrame, left: np.ndarray, right: np.ndarray) -> tuple[float, float]:
    ids = clusters["record_id"].to_numpy()
    li, ri = np.searchsorted(ids, left), np.searchsorted(ids, right)
    graph = coo_matrix((np.ones(len(li)), (li, ri)), shape=(len(ids), len(ids)))
    frame = clusters.with_columns(pl.Series("c", connected_components(graph, directed=False)[1]))
    true_positive = frame.group_by("c", "t").len().select(
        (pl.col("len") * (pl.col("len") - 1) // 2).sum()).item()
    return true_positive / max(_pairs(frame, "c"), 1), true_positive / max(_pairs(frame, "t"), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("truth")
    parser.add_argument("--entity", default="person")
    args = parser.parse_args()
    truth = pl.read_parquet(f"{args.truth}/truth.parquet").select(
        "source", "source_row", pl.col("entity_id").alias("t"))
    clusters = pl.read_parquet(f"{args.output}/clusters.parquet").filter(
        pl.col("entity_type") == args.entity).join(truth, on=["source", "source_row"]).sort("record_id")
    pairs = pl.read_parquet(f"{args.output}/pairs.parquet").filter(pl.col("entity_type") == args.entity)
    rule = pl.col("rule").fill_null("")
    pairwise = pairs.filter((pl.col("match_probability") >= 0.9) & ~rule.is_in(["assigned", "cannot_link"]))
    joins = pairs.filter(rule == "assigned")
    print("| second-pass threshold | precision | recall | F1 |\n|---|---|---|---|")
    for threshold in (*THRESHOLDS, None):
        chosen = joins.filter(pl.col("match_probability") >= threshold) if threshold else joins.head(0)
        edges = pl.concat([pairwise.select("record_id_l", "record_id_r"),
                           chosen.select("record_id_l", "record_id_r")])
        p, r = score(clusters, edges["record_id_l"].to_numpy(), edges["record_id_r"].to_numpy())
        label = f"{threshold}" if threshold else "no second pass"
        print(f"| {label} | {p:.5f} | {r:.5f} | {2 * p * r / (p + r):.5f} |")


if __name__ == "__main__":
    main()
