"""The fitted models kept in the entity store, so the next run scores with the same model.

Re-estimating the model every month moves borderline pairs across the threshold with no change
in their records, and with them entity ids; so a run against a store reuses the store's model
per entity type (`linkage.link.run.obtain_model` decides whether it still fits).  Two tables:

| table | content |
|---|---|
| `store_models` | entity_type, run (that trained it), prior, comparisons (canonical JSON of the comparison settings it was fitted for) |
| `store_model_params` | entity_type, position (of the comparison), comparison, gamma, m, u |

One model per entity type: a run that trained a new one replaces it, a run that reused it
leaves it as it was (still naming the run that trained it).
"""

from __future__ import annotations

import json

import polars as pl

from linkage.link.run import StoredModel, comparison_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS store_models (entity_type VARCHAR, run BIGINT, prior DOUBLE,
    comparisons VARCHAR);
CREATE TABLE IF NOT EXISTS store_model_params (entity_type VARCHAR, position BIGINT,
    comparison VARCHAR, gamma BIGINT, m DOUBLE, u DOUBLE);
"""


def load_models(models: pl.DataFrame, params: pl.DataFrame) -> dict[str, StoredModel]:
    """The stored model per entity type, from the two tables' rows."""
    out = {}
    for row in models.iter_rows(named=True):
        mine = params.filter(pl.col("entity_type") == row["entity_type"]).sort("position", "gamma")
        parts = mine.partition_by("position", maintain_order=True)
        out[row["entity_type"]] = StoredModel(
            int(row["run"]), row["comparisons"], [p["m"].to_numpy() for p in parts],
            [p["u"].to_numpy() for p in parts], float(row["prior"]))
    return out


def trained_models(engine, run: int) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The rows of the two tables for the models this run trained (not reused), from its
    tables `link_model` and `model_params`; None when it trained none."""
    if "link_model" not in engine.tables():
        return None
    link = engine.sql("SELECT entity_type, prior, settings FROM link_model "
                      "WHERE NOT starts_with(model_source, 'store')")
    models, params = [], []
    for row in link.iter_rows(named=True):
        key = comparison_key(row["settings"])
        position = {c["name"]: i for i, c in enumerate(json.loads(key))}
        models.append({"entity_type": row["entity_type"], "run": run, "prior": row["prior"],
                       "comparisons": key})
        mine = engine.sql("SELECT comparison, gamma, m, u FROM model_params WHERE entity_type = ?",
                          [row["entity_type"]])
        params.append(mine.select(
            pl.lit(row["entity_type"]).alias("entity_type"),
            pl.col("comparison").replace_strict(position, return_dtype=pl.Int64).alias("position"),
            "comparison", pl.col("gamma").cast(pl.Int64), "m", "u"))
    if not models:
        return None
    return pl.DataFrame(models), pl.concat(params)
