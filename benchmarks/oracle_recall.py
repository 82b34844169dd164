"""How much of what a run missed could be found at all: recall with an oracle's name links.

    .venv/bin/python benchmarks/oracle_recall.py OUTPUT_DIR TRUTH.parquet

For persons: the run's pairwise recall against the truth, then the recall an oracle would
reach that links every two parts of one true person the run left apart when they share an
exact name (or its pinyin) held by at most k true people of the whole data (k = 1, 2, 3).
A name one person holds is a link no evidence could get wrong; a name two people hold already
needs something else to tell them apart.  Where the oracle's k = 1 stays under a target, the
target is above what the exports carry.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl


def records(out: Path, truth: Path) -> pl.DataFrame:
    rec = pl.read_parquet(out / "records.parquet").filter(pl.col("entity_type") == "person") \
        .select("record_id", "source", "source_row", "name", "name_pinyin")
    clusters = pl.read_parquet(out / "clusters.parquet").select(
        "record_id", pl.col("entity_id").alias("pred"))
    true = pl.read_parquet(truth).filter(pl.col("entity_type") == "person").select(
        "source", "source_row", pl.col("entity_id").alias("true"))
    return rec.join(true, on=["source", "source_row"]).join(clusters, on="record_id")


def pairs(n: pl.Expr) -> pl.Expr:
    return (n * (n - 1) // 2).sum()


def oracle(df: pl.DataFrame, column: str, most: int) -> int:
    """Missed pairs the oracle links: parts of one true person sharing a value of `column`
    held by at most `most` true people."""
    holders = df.drop_nulls(column).group_by(column).agg(pl.col("true").n_unique().alias("held"))
    parts = df.group_by("true", "pred").agg(pl.len().alias("n"),
                                            pl.col(column).drop_nulls().unique().alias("values"))
    both = parts.join(parts, on="true", suffix="_r").filter(pl.col("pred") < pl.col("pred_r"))
    both = both.with_columns(pl.col("values").list.set_intersection("values_r").alias("common"),
                             (pl.col("n") * pl.col("n_r")).alias("pairs"))
    shared = both.explode("common").join(holders, left_on="common", right_on=column)
    linked = shared.filter(pl.col("held") <= most).unique(["true", "pred", "pred_r"])
    return int(linked["pairs"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("truth", type=Path)
    args = parser.parse_args()
    df = records(args.output, args.truth)
    true = df.group_by("true").len().select(pairs(pl.col("len"))).item()
    found = df.group_by("true", "pred").len().select(pairs(pl.col("len"))).item()
    print(f"person pairs: {true:,} true, {found:,} found, {true - found:,} missed; "
          f"recall {found / true:.4f}")
    print("| oracle links parts sharing | held by 1 | by ≤ 2 | by ≤ 3 |")
    print("|---|---|---|---|")
    for column, label in (("name", "the exact name"), ("name_pinyin", "the name's pinyin")):
        cells = [f"{(found + oracle(df, column, k)) / true:.4f}" for k in (1, 2, 3)]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
