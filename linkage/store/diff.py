"""`linkage diff OUTPUT_A OUTPUT_B`: what changed between two runs of an entity store.

Both outputs' clusters.parquet carry each record's key and row hash (runs with `store:`), so
records are matched by source and key:

- records per source: added (only in B), changed (same key, other content), removed (only in
  A), unchanged;
- entities per type: kept (the id is in both), new (only in B, none of its records was in A),
  split (only in B, holds records of an A entity), merged (only in A, its records are now in
  B entities), retired (only in A, none of its records is left).
"""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from linkage.errors import OutputError

KINDS = ("kept", "new", "split", "merged", "retired")


def _clusters(output: Path) -> pl.DataFrame:
    path = output / "clusters.parquet"
    if not path.exists():
        raise OutputError(f"{output}: no clusters.parquet here — is this a run's output folder?")
    frame = pl.read_parquet(path)
    if "record_key" not in frame.columns:
        raise OutputError(f"{path}: no record keys — only runs with an entity store (`store:` in the "
                          "config) can be compared")
    return frame.select("source", "record_key", "row_hash", "entity_type", "entity_id")


def record_changes(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """entity_type, source, added, changed, removed, unchanged."""
    both = a.join(b, on=["source", "record_key"], how="full", coalesce=True, suffix="_b")
    return both.group_by(pl.coalesce("entity_type", "entity_type_b").alias("entity_type"), "source").agg(
        pl.col("row_hash").is_null().sum().alias("added"),
        (pl.col("row_hash") != pl.col("row_hash_b")).sum().alias("changed"),
        pl.col("row_hash_b").is_null().sum().alias("removed"),
        (pl.col("row_hash") == pl.col("row_hash_b")).sum().alias("unchanged"),
    ).with_columns(pl.col(c).cast(pl.Int64) for c in ("added", "changed", "removed", "unchanged")
                   ).sort("entity_type", "source")


def entity_changes(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """entity_type, kind, id_a, id_b, records: one row per entity that is not simply kept (the
    entity of the other run it shares most records with), and one `kept` count row per type."""
    moved = a.join(b, on=["source", "record_key"], suffix="_b").group_by(
        "entity_type", "entity_id", "entity_id_b").agg(pl.len().alias("records"))
    ids_a = a.select("entity_type", "entity_id").unique()
    ids_b = b.select("entity_type", pl.col("entity_id").alias("entity_id_b")).unique()
    only_a = ids_a.join(ids_b.rename({"entity_id_b": "entity_id"}), on=["entity_type", "entity_id"], how="anti")
    only_b = ids_b.join(ids_a.rename({"entity_id": "entity_id_b"}), on=["entity_type", "entity_id_b"], how="anti")

    def most(frame: pl.DataFrame, by: str) -> pl.DataFrame:
        return frame.sort([by, "records", "entity_id", "entity_id_b"], descending=[False, True, False, False]) \
            .unique(by, keep="first", maintain_order=True)

    went = only_a.join(most(moved, "entity_id"), on=["entity_type", "entity_id"], how="left")
    came = only_b.join(most(moved, "entity_id_b"), on=["entity_type", "entity_id_b"], how="left")
    kept = ids_a.join(ids_b.rename({"entity_id_b": "entity_id"}), on=["entity_type", "entity_id"]) \
        .group_by("entity_type").agg(pl.len().alias("records"))
    rows = [
        kept.select("entity_type", pl.lit("kept").alias("kind"), pl.lit(None, pl.Utf8).alias("id_a"),
                    pl.lit(None, pl.Utf8).alias("id_b"), pl.col("records").cast(pl.Int64)),
        went.select("entity_type", pl.when(pl.col("entity_id_b").is_null()).then(pl.lit("retired"))
                    .otherwise(pl.lit("merged")).alias("kind"), pl.col("entity_id").alias("id_a"),
                    pl.col("entity_id_b").alias("id_b"), pl.col("records").fill_null(0).cast(pl.Int64)),
        came.select("entity_type", pl.when(pl.col("entity_id").is_null()).then(pl.lit("new"))
                    .otherwise(pl.lit("split")).alias("kind"), pl.col("entity_id").alias("id_a"),
                    pl.col("entity_id_b").alias("id_b"), pl.col("records").fill_null(0).cast(pl.Int64)),
    ]
    return pl.concat(rows).sort("entity_type", "kind", "id_a", "id_b", nulls_last=True)


@click.command()
@click.argument("output_a", type=click.Path(file_okay=False, path_type=Path))
@click.argument("output_b", type=click.Path(file_okay=False, path_type=Path))
@click.option("--list", "listing", type=click.IntRange(min=0), default=10, show_default=True,
              help="Entities listed per kind of change (0: counts only).")
def diff(output_a: Path, output_b: Path, listing: int) -> None:
    """What changed from the run in OUTPUT_A to the run in OUTPUT_B (both with an entity store):
    records added / changed / removed per source, entities new / split / merged / retired."""
    a, b = _clusters(output_a), _clusters(output_b)
    click.echo("records per source 各来源记录 (added 新增 / changed 变更 / removed 删除 / unchanged 未变):")
    for row in record_changes(a, b).iter_rows(named=True):
        click.echo(f"  {row['entity_type']:<10} {row['source']:<12} +{row['added']:<7} ~{row['changed']:<7} "
                   f"-{row['removed']:<7} ={row['unchanged']}")
    changes = entity_changes(a, b)
    click.echo("entities 实体 (kept 保留 / new 新增 / split 拆分 / merged 合并 / retired 注销):")
    for entity_type in sorted(changes["entity_type"].unique().to_list()):
        part = changes.filter(pl.col("entity_type") == entity_type)
        counts = {k: part.filter(pl.col("kind") == k) for k in KINDS}
        kept = int(counts["kept"]["records"].sum())
        click.echo(f"  {entity_type}: kept {kept:,}, " + ", ".join(
            f"{k} {counts[k].height:,}" for k in KINDS[1:]))
        for kind in KINDS[1:]:
            for row in counts[kind].head(listing).iter_rows(named=True):
                common = f" ({row['records']} records in common)" if row["records"] else ""
                click.echo(f"    {kind:<8} {row['id_a'] or '':<12} → {row['id_b'] or ''}{common}")
