"""The ground truth of a synthetic run: truth.parquet, written chunk by chunk, and the summary of
the true redundancy counted chunk by chunk as the truth is written.

Entities never cross chunks (linkage.synth.world), so per-chunk counts of distinct entities,
shared entities and entity sizes add up exactly: memory stays bounded by the chunk size.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

TRUTH_SCHEMA = pa.schema([
    ("source", pa.string()), ("source_row", pa.int64()), ("entity_type", pa.string()),
    ("entity_id", pa.string()), ("errors", pa.list_(pa.string())),
])


class TruthWriter:
    """Append each chunk's truth rows to truth.parquet (one row group per chunk) and count them."""

    def __init__(self, path: Path):
        self.writer = pq.ParquetWriter(path, TRUTH_SCHEMA, compression="zstd")
        self.counts: dict[str, list[pl.DataFrame]] = {"sources": [], "pairs": [], "sizes": [], "errors": []}

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.select([f.name for f in TRUTH_SCHEMA]).to_arrow()
        self.writer.write_table(table.cast(TRUTH_SCHEMA))
        for name, counts in _chunk_counts(frame).items():
            self.counts[name].append(counts)

    def close(self) -> None:
        self.writer.close()

    def summary(self, sources: dict[str, dict]) -> dict:
        """The true redundancy, as truth_summary.json holds it: per source records, distinct
        entities and within-source duplicates; entities shared by each pair of sources; per entity
        type records, entities, redundant records and records per entity; how often each error was
        applied.  `sources` gives each source's description."""
        return _summary({name: _total(parts, name) for name, parts in self.counts.items()}, sources)


_KEYS = {"sources": ["source"], "pairs": ["entity_type", "source_l", "source_r"],
         "sizes": ["entity_type", "n"], "errors": ["error"]}


def _chunk_counts(truth: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """One chunk's counts (its entities appear in no other chunk).  Each entity's sources are a
    bit mask, so the entities shared by two sources come from the few distinct masks."""
    names = sorted(truth["source"].unique().to_list())
    bits = {name: 1 << i for i, name in enumerate(names)}
    per_entity = (truth.with_columns(pl.col("source").replace_strict(bits, return_dtype=pl.Int64).alias("bit"))
                  .group_by("entity_type", "entity_id")
                  .agg(pl.len().alias("n"), pl.col("bit").bitwise_or().alias("mask")))
    shared: dict[tuple[str, str, str], int] = {}
    for entity_type, mask, entities in per_entity.group_by("entity_type", "mask").len().iter_rows():
        held = [name for name in names if mask & bits[name]]
        for i, left in enumerate(held):
            for right in held[i + 1:]:
                key = (entity_type, left, right)
                shared[key] = shared.get(key, 0) + entities
    pairs = pl.DataFrame([(*key, n) for key, n in shared.items()], orient="row",
                         schema={"entity_type": pl.Utf8, "source_l": pl.Utf8, "source_r": pl.Utf8,
                                 "shared_entities": pl.Int64})
    return {
        "sources": truth.group_by("source").agg(pl.len().alias("records"),
                                                pl.col("entity_id").n_unique().alias("entities")),
        "pairs": pairs,
        "sizes": per_entity.group_by("entity_type", "n").agg(pl.len().alias("entities")),
        "errors": truth.select(pl.col("errors").explode().drop_nulls().alias("error"))
        .group_by("error").agg(pl.len().alias("n")),
    }


def _total(parts: list[pl.DataFrame], name: str) -> pl.DataFrame:
    keys = _KEYS[name]
    if not parts:
        return pl.DataFrame()
    frame = pl.concat(parts)
    values = [c for c in frame.columns if c not in keys]
    return frame.group_by(keys).agg(pl.col(values).sum().cast(pl.Int64)).sort(keys + values)


def _summary(counts: dict[str, pl.DataFrame], sources: dict[str, dict]) -> dict:
    per_source_counts = {r["source"]: r for r in counts["sources"].to_dicts()}
    per_source = {}
    for key, info in sources.items():
        c = per_source_counts.get(key, {"records": 0, "entities": 0})
        per_source[key] = {**info, "records": c["records"], "entities": c["entities"],
                           "within_source_duplicates": c["records"] - c["entities"]}
    sizes = counts["sizes"]
    types = {}
    for entity_type in sorted(set(sizes["entity_type"])) if sizes.height else []:
        rows = sizes.filter(pl.col("entity_type") == entity_type)
        records, entities = int((rows["n"] * rows["entities"]).sum()), int(rows["entities"].sum())
        types[entity_type] = {
            "records": records, "entities": entities, "redundant_records": records - entities,
            "within_source_duplicates": sum(v["within_source_duplicates"] for v in per_source.values()
                                            if v["entity_type"] == entity_type),
            "records_per_entity": {str(n): e for n, e in zip(rows["n"], rows["entities"])},
        }
    pairs = counts["pairs"].to_dicts() if counts["pairs"].height else []
    errors = dict(counts["errors"].iter_rows()) if counts["errors"].height else {}
    return {"sources": per_source, "pairs": pairs, "entity_types": types, "errors": errors}
