"""Stable entity ids: this run's clusters named by the ids the store gave their records before.

`stable_ids(current, previous, ages, next_number, run)` is a pure function of tables:

- `current`: this run's records — record_id, entity_type, source, record_key, cluster (the
  run's own entity id, which means nothing from one run to the next);
- `previous`: the store's records — entity_type, source, record_key, entity_id;
- `ages`: every id the store ever gave — entity_type, entity_id, created_run.

The rules: an old id's *heir* is the cluster holding most of its surviving records (ties: the
cluster with the smallest record_id).  A cluster takes the oldest of the ids it is heir of
(lowest created_run, then lowest id); the other ids it is heir of are `merged` into it.  A
cluster heir of nothing gets a new id: `split` from each old id whose records it holds, or
`new` when it holds no known record.  An old id none of whose records is left is `retired`.
New ids are numbered on from the store's counter (in order of each cluster's smallest
record_id), so an id is never given twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from linkage.link.run import PREFIX

HISTORY_SCHEMA = {"run": pl.Int64, "entity_type": pl.Utf8, "kind": pl.Utf8, "old_id": pl.Utf8,
                  "new_id": pl.Utf8, "records": pl.Int64, "record_keys": pl.List(pl.Utf8)}


@dataclass
class Assigned:
    ids: pl.DataFrame        # record_id, entity_id (stable)
    history: pl.DataFrame    # HISTORY_SCHEMA: this run's id changes
    next_number: dict[str, int]  # per entity type, the counter after this run's new ids
    created: pl.DataFrame    # entity_type, entity_id, created_run: the ids made in this run


def entity_id(entity_type: str, number: pl.Expr) -> pl.Expr:
    prefix = PREFIX.get(entity_type, entity_type[:1].upper())
    return pl.lit(prefix) + number.cast(pl.Utf8).str.zfill(9)


RECORD_KEY = (pl.col("source") + ":" + pl.col("record_key")).alias("key")  # as history lists records


def stable_ids(current: pl.DataFrame, previous: pl.DataFrame, ages: pl.DataFrame,
               next_number: dict[str, int], run: int) -> Assigned:
    """Name this run's clusters (see the module docstring)."""
    ids, history, created, counters = [], [], [], dict(next_number)
    for entity_type in sorted(current["entity_type"].unique().to_list()):
        cur = current.filter(pl.col("entity_type") == entity_type)
        prev = previous.filter(pl.col("entity_type") == entity_type)
        age = ages.filter(pl.col("entity_type") == entity_type).select("entity_id", "created_run")
        part = _one_type(entity_type, cur, prev, age, counters.get(entity_type, 1), run)
        ids.append(part.ids)
        history.append(part.history)
        created.append(part.created)
        counters[entity_type] = part.next_number[entity_type]
    return Assigned(pl.concat(ids) if ids else pl.DataFrame(schema={"record_id": pl.Int64, "entity_id": pl.Utf8}),
                    pl.concat(history) if history else pl.DataFrame(schema=HISTORY_SCHEMA), counters,
                    pl.concat(created) if created else pl.DataFrame(
                        schema={"entity_type": pl.Utf8, "entity_id": pl.Utf8, "created_run": pl.Int64}))


def _one_type(entity_type: str, cur: pl.DataFrame, prev: pl.DataFrame, ages: pl.DataFrame,
              first_number: int, run: int) -> Assigned:
    first = cur.group_by("cluster").agg(pl.col("record_id").min().alias("first_record"))
    matched = cur.join(prev.select("source", "record_key", pl.col("entity_id").alias("old_id")),
                       on=["source", "record_key"], how="inner")
    counts = matched.group_by("old_id", "cluster").agg(pl.len().alias("n")).join(first, on="cluster")
    heirs = (counts.sort(["old_id", "n", "first_record"], descending=[False, True, False])
             .unique("old_id", keep="first", maintain_order=True)
             .join(ages.rename({"entity_id": "old_id"}), on="old_id", how="left"))
    kept = (heirs.sort(["cluster", "created_run", "old_id"], nulls_last=True)
            .unique("cluster", keep="first", maintain_order=True)
            .select("cluster", pl.col("old_id").alias("entity_id")))
    fresh = (first.join(kept, on="cluster", how="anti").sort("first_record")
             .with_row_index("k").select(
                 "cluster", entity_id(entity_type, pl.col("k").cast(pl.Int64) + first_number)
                 .alias("entity_id")))
    names = pl.concat([kept, fresh])
    ids = cur.join(names, on="cluster").select("record_id", "entity_id")

    keyed = matched.with_columns(RECORD_KEY)
    moved = (keyed.join(names, on="cluster").filter(pl.col("old_id") != pl.col("entity_id"))
             .group_by("old_id", "entity_id", "cluster")
             .agg(pl.len().alias("records"), pl.col("key").sort().alias("record_keys")))
    is_heir = heirs.select("old_id", "cluster", pl.lit(True).alias("heir"))
    moved = moved.join(is_heir, on=["old_id", "cluster"], how="left").with_columns(
        pl.when(pl.col("heir").is_not_null()).then(pl.lit("merged")).otherwise(pl.lit("split")).alias("kind"))
    touched = matched.select("cluster").unique()
    new = (fresh.join(touched, on="cluster", how="anti").join(
        cur.group_by("cluster").agg(pl.len().alias("records")), on="cluster")
        .select(pl.lit("new").alias("kind"), pl.lit(None, pl.Utf8).alias("old_id"), "entity_id",
                "records", pl.lit(None, pl.List(pl.Utf8)).alias("record_keys")))
    gone = prev.join(matched.select("old_id").unique().rename({"old_id": "entity_id"}),
                     on="entity_id", how="anti")
    retired = gone.with_columns(RECORD_KEY).group_by("entity_id").agg(
        pl.len().alias("records"), pl.col("key").sort().alias("record_keys")).select(
        pl.lit("retired").alias("kind"), pl.col("entity_id").alias("old_id"),
        pl.lit(None, pl.Utf8).alias("entity_id"), "records", "record_keys")
    changes = pl.concat([
        new, moved.select("kind", "old_id", "entity_id", "records", "record_keys"), retired])
    history = changes.select(
        pl.lit(run, pl.Int64).alias("run"), pl.lit(entity_type).alias("entity_type"), "kind", "old_id",
        pl.col("entity_id").alias("new_id"), pl.col("records").cast(pl.Int64), "record_keys",
    ).sort("kind", "old_id", "new_id", nulls_last=True)
    created = fresh.select(pl.lit(entity_type).alias("entity_type"), "entity_id",
                           pl.lit(run, pl.Int64).alias("created_run"))
    return Assigned(ids, history, {entity_type: first_number + fresh.height}, created)
