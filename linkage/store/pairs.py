"""The compared pairs kept in the entity store, so the next run need not compare them again.

Every candidate pair of a run, compared or carried, is kept with its raw comparison levels and
the term frequencies it was scored with, keyed by the (source, record key) of both records: the
next run carries the levels (and, while it reuses the model, the term frequencies) of the pairs
whose two records are unchanged (`linkage.link.incremental`) and compares the rest.  Two tables:

| table | content |
|---|---|
| `store_pairs` | entity_type, source_l, key_l, source_r, key_r, gamma (raw levels, packed: `linkage.link.incremental.pack`), tf (the term frequency of each frequency-weighted comparison as scored; NaN where not weighted), assign_l, assign_r, joined_l, joined_r (the second pass's decisions: `linkage.link.assign.DECISION_COLUMNS`) |
| `store_pair_settings` | entity_type, comparisons (canonical JSON of the comparison settings), version (`made_with`: digests of the normalizer and link code and the config's region, which normalization reads) the levels were made with |

Levels made under other comparison settings, by other normalizer or link code or with another region
are not carried.  Each run replaces both tables with its own candidate pairs.  The functions take an
open DuckDB connection to the store (`linkage.store` owns it).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from linkage.config import Config
from linkage.link.assign import DECISION_COLUMNS
from linkage.link.incremental import Carry
from linkage.store.normalized import files_digest, fingerprint

COLUMNS = {
    "store_pairs": "entity_type VARCHAR, source_l VARCHAR, key_l VARCHAR, source_r VARCHAR, "
                   "key_r VARCHAR, gamma BIGINT, tf FLOAT[], "
                   + ", ".join(f"{c} FLOAT" for c in DECISION_COLUMNS),
    "store_pair_settings": "entity_type VARCHAR, comparisons VARCHAR, version VARCHAR",
}
LINK_CODE = ("link/*.py",)  # the code a pair's levels come from, besides the normalizers'
SCHEMA = "".join(f"CREATE TABLE IF NOT EXISTS {t} ({c});\n" for t, c in COLUMNS.items())


def made_with(config: Config) -> str:
    """What besides the comparison settings the levels depend on: the normalizers' code, data
    and libraries (`normalized.fingerprint`), the link stage's code (features, comparisons,
    levels: any change there compares every pair again once) and the region normalization
    reads addresses and phones in."""
    return (f"normalized {fingerprint()}; link {files_digest(LINK_CODE)}; "
            f"region {config.region or '-'}")


def load_carry(con, unchanged: pl.DataFrame, present: set[str], made: str) -> Carry:
    """The store's pairs between `unchanged` records (record_id, source, record_key: this run's
    records unchanged since the store's last run), in this run's record ids, when they were
    `made` as this run's (`made_with`)."""
    if not set(COLUMNS) <= present or unchanged.height == 0:
        return Carry({}, {})
    settings = con.sql("SELECT entity_type, comparisons FROM store_pair_settings WHERE version = ?",
                       params=[made]).pl()
    if settings.height == 0:
        return Carry({}, {})
    # a store written before term frequencies (or second-pass decisions) were kept carries
    # levels only (or holds no decision)
    kept = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() "
                                      "WHERE table_name = 'store_pairs'").fetchall()}

    def column(name: str, kind: str) -> str:
        return f"p.{name}" if name in kept else f"NULL::{kind}"

    con.register("_unchanged", unchanged.select("record_id", "source", "record_key").to_arrow())
    # pairs stored with the smaller record id first; this run's ids may run the other way
    swap = "a.record_id > b.record_id"
    def other_side(name: str) -> str:  # assign_l ↔ assign_r
        return name[:-1] + {"l": "r", "r": "l"}[name[-1]]

    decisions = ", ".join(f"CASE WHEN {swap} THEN {column(other_side(c), 'FLOAT')} "
                          f"ELSE {column(c, 'FLOAT')} END AS {c}" for c in DECISION_COLUMNS)
    pairs = con.sql(f"""
        SELECT p.entity_type, least(a.record_id, b.record_id) AS record_id_l,
               greatest(a.record_id, b.record_id) AS record_id_r, p.gamma,
               {column('tf', 'FLOAT[]')} AS tf, {decisions}
        FROM store_pairs p
        JOIN _unchanged a ON a.source = p.source_l AND a.record_key = p.key_l
        JOIN _unchanged b ON b.source = p.source_r AND b.record_key = p.key_r""").pl()
    # a query's record whose stored candidate's other record changed or is gone
    lost = con.sql(" UNION ALL ".join(f"""
        SELECT p.entity_type, a.record_id FROM store_pairs p
        JOIN _unchanged a ON a.source = p.source_{mine} AND a.record_key = p.key_{mine}
        ANTI JOIN _unchanged b ON b.source = p.source_{other} AND b.record_key = p.key_{other}
        WHERE {column(f'assign_{mine}', 'FLOAT')} IS NOT NULL"""
                                      for mine, other in (("l", "r"), ("r", "l")))).pl()
    con.unregister("_unchanged")
    return Carry({e: part.drop("entity_type").sort("record_id_l", "record_id_r")
                  for (e,), part in pairs.partition_by("entity_type", as_dict=True).items()},
                 dict(settings.iter_rows()),
                 lost={e: np.unique(part["record_id"].to_numpy())
                       for (e,), part in lost.partition_by("entity_type", as_dict=True).items()})


def kept_pairs(carry: Carry, records: pl.DataFrame, made: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of `store_pairs` and `store_pair_settings` for the pairs this run compared or
    carried; `records` maps record_id to source and record_key."""
    keys = records.select("record_id", "source", "record_key")
    parts = []
    for entity_type, pairs in sorted(carry.compared.items()):
        parts.append(pairs.join(keys.rename({"record_id": "record_id_l", "source": "source_l",
                                             "record_key": "key_l"}), on="record_id_l")
                     .join(keys.rename({"record_id": "record_id_r", "source": "source_r",
                                        "record_key": "key_r"}), on="record_id_r")
                     .select(pl.lit(entity_type).alias("entity_type"), "source_l", "key_l",
                             "source_r", "key_r", "gamma", "tf",
                             *(pl.col(c) if c in pairs.columns else pl.lit(None, pl.Float32).alias(c)
                               for c in DECISION_COLUMNS)))
    pairs = pl.concat(parts) if parts else pl.DataFrame(schema={
        "entity_type": pl.Utf8, "source_l": pl.Utf8, "key_l": pl.Utf8, "source_r": pl.Utf8,
        "key_r": pl.Utf8, "gamma": pl.Int64, "tf": pl.List(pl.Float32),
        **{c: pl.Float32 for c in DECISION_COLUMNS}})
    settings = pl.DataFrame({"entity_type": list(carry.compared_with),
                             "comparisons": list(carry.compared_with.values()),
                             "version": [made] * len(carry.compared_with)},
                            schema={"entity_type": pl.Utf8, "comparisons": pl.Utf8, "version": pl.Utf8})
    return pairs, settings


def write(con, carry: Carry, records: pl.DataFrame, made: str) -> None:
    """Replace the store's pairs by this run's (inside the caller's transaction)."""
    pairs, settings = kept_pairs(carry, records, made)
    con.register("_pairs", pairs.to_arrow())
    con.register("_pair_settings", settings.to_arrow())
    for table, frame in (("store_pairs", "_pairs"), ("store_pair_settings", "_pair_settings")):
        con.execute(f"DROP TABLE IF EXISTS {table}")  # recreated: a store of an older layout too
        con.execute(f"CREATE TABLE {table} ({COLUMNS[table]})")
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {frame}")
