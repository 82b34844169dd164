"""The ground truth of a synthetic run: truth.parquet, written chunk by chunk, and the summary of
the true redundancy, added up from counts made per chunk (`chunk_counts`, in the worker process
that made the chunk).

Entities never cross chunks (linkage.synth.world), so per-chunk counts of distinct entities,
shared entities and entity sizes add up exactly: memory stays bounded by the chunk size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

TRUTH_SCHEMA = pa.schema([
    ("source", pa.string()), ("source_row", pa.int64()), ("entity_type", pa.string()),
    ("entity_id", pa.string()), ("errors", pa.list_(pa.string())),
])
# a month of the churning city (linkage.synth.months): also the record's stable department number
MONTH_TRUTH_SCHEMA = TRUTH_SCHEMA.append(pa.field("record_key", pa.int64()))


def truth_table(frame: pl.DataFrame, schema: pa.Schema = TRUTH_SCHEMA) -> pa.Table:
    """A chunk's truth rows as truth.parquet holds them."""
    return frame.select([f.name for f in schema]).to_arrow().cast(schema)


class TruthWriter:
    """Append each chunk's truth rows to truth.parquet (one row group per chunk) and add up its counts."""

    def __init__(self, path: Path, schema: pa.Schema = TRUTH_SCHEMA):
        # dictionaries for the few distinct sources, types and error names, not for entity ids
        self.writer = pq.ParquetWriter(path, schema, compression="zstd",
                                       use_dictionary=["source", "entity_type", "errors.list.element"])
        self.counts: dict[str, list[pl.DataFrame]] = {"sources": [], "pairs": [], "sizes": [], "errors": []}

    def write(self, table: pa.Table, counts: dict[str, pl.DataFrame]) -> None:
        """`table` from truth_table, `counts` from chunk_counts of the same rows."""
        self.writer.write_table(table)
        for name, frame in counts.items():
            self.counts[name].append(frame)

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


def chunk_counts(truth: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """One chunk's counts from its truth rows (with `entity_key`, the entity's number; its entities
    appear in no other chunk), in numpy: each entity's sources are a bit mask, so the entities
    shared by two sources come from the few distinct masks."""
    names = sorted(truth["source"].unique().to_list())
    types = sorted(truth["entity_type"].unique().to_list())
    source = truth["source"].replace_strict({n: i for i, n in enumerate(names)}, return_dtype=pl.Int64).to_numpy()
    kind = truth["entity_type"].replace_strict({t: i for i, t in enumerate(types)}, return_dtype=pl.Int64).to_numpy()
    entities, entity = np.unique((kind << 40) | truth["entity_key"].to_numpy(), return_inverse=True)
    held = np.sort(entity * 64 + source)                        # (entity, source) pairs
    held = held[np.r_[True, held[1:] != held[:-1]]]             # (np.unique alone hashes: slower)
    mask = np.bincount(held // 64, weights=np.left_shift(1, held % 64), minlength=len(entities)).astype(np.int64)
    entity_kind = entities >> 40
    shared: dict[tuple[str, str, str], int] = {}
    combos, counts = np.unique((entity_kind << 32) | mask, return_counts=True)
    for combo, n in zip(combos.tolist(), counts.tolist()):
        within = [name for i, name in enumerate(names) if combo & (1 << i)]
        for i, left in enumerate(within):
            for right in within[i + 1:]:
                key = (types[combo >> 32], left, right)
                shared[key] = shared.get(key, 0) + n
    pairs = pl.DataFrame([(*key, n) for key, n in shared.items()], orient="row",
                         schema={"entity_type": pl.Utf8, "source_l": pl.Utf8, "source_r": pl.Utf8,
                                 "shared_entities": pl.Int64})
    sizes, size_counts = np.unique((entity_kind << 32) | np.bincount(entity), return_counts=True)
    return {
        "sources": pl.DataFrame({"source": names, "records": np.bincount(source, minlength=len(names)),
                                 "entities": np.bincount(held % 64, minlength=len(names))}),
        "pairs": pairs,
        "sizes": pl.DataFrame({"entity_type": pl.Series(types).gather(sizes >> 32), "n": sizes & 0xFFFFFFFF,
                               "entities": size_counts}),
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
