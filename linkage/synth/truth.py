"""The ground truth of a synthetic run: truth.parquet, written chunk by chunk, and the summary of
the true redundancy counted from it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from linkage.engine import open_engine

TRUTH_SCHEMA = pa.schema([
    ("source", pa.string()), ("source_row", pa.int64()), ("entity_type", pa.string()),
    ("entity_id", pa.string()), ("errors", pa.list_(pa.string())),
])


class TruthWriter:
    """Append each chunk's truth rows to truth.parquet (one row group per chunk)."""

    def __init__(self, path: Path):
        self.writer = pq.ParquetWriter(path, TRUTH_SCHEMA, compression="zstd")

    def write(self, frame: pl.DataFrame) -> None:
        table = frame.select([f.name for f in TRUTH_SCHEMA]).to_arrow()
        self.writer.write_table(table.cast(TRUTH_SCHEMA))

    def close(self) -> None:
        self.writer.close()


SUMMARY_MEMORY = "500MB"  # DuckDB spills beyond this, so 10M-record truths keep memory bounded
_PER_SOURCE = """
SELECT source, count(*) AS records, count(DISTINCT entity_id) AS entities FROM truth GROUP BY ALL
"""
_PAIRS = """
WITH held AS (SELECT DISTINCT entity_type, entity_id, source FROM truth)
SELECT a.entity_type, a.source AS source_l, b.source AS source_r, count(*) AS shared_entities
FROM held a JOIN held b USING (entity_type, entity_id) WHERE a.source < b.source
GROUP BY ALL ORDER BY ALL
"""
_SIZES = """
WITH sizes AS (SELECT entity_type, entity_id, count(*) AS n FROM truth GROUP BY ALL)
SELECT entity_type, n, count(*) AS entities FROM sizes GROUP BY ALL ORDER BY ALL
"""
_ERRORS = "SELECT error, count(*) AS n FROM (SELECT unnest(errors) AS error FROM truth) GROUP BY ALL ORDER BY error"


def summarize(truth_path: Path, sources: dict[str, dict]) -> dict:
    """The true redundancy, as truth_summary.json holds it, counted in SQL over truth.parquet:
    per source records, distinct entities and within-source duplicates; entities shared by each
    pair of sources; per entity type records, entities, redundant records and records per entity;
    how often each error was applied.  `sources` gives each source's description."""
    with tempfile.TemporaryDirectory(dir=truth_path.parent) as spill:
        return _summarize(truth_path, sources, Path(spill))


def _summarize(truth_path: Path, sources: dict[str, dict], spill: Path) -> dict:
    engine = open_engine(memory_limit=SUMMARY_MEMORY)
    try:
        engine.execute(f"SET temp_directory = '{_quote(spill)}'")
        engine.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{_quote(truth_path)}')")
        counts = {r["source"]: r for r in engine.sql(_PER_SOURCE).to_dicts()}
        pairs = engine.sql(_PAIRS).to_dicts()
        sizes = engine.sql(_SIZES)
        errors = dict(engine.sql(_ERRORS).iter_rows())
    finally:
        engine.close()
    per_source = {}
    for key, info in sources.items():
        c = counts.get(key, {"records": 0, "entities": 0})
        per_source[key] = {**info, "records": c["records"], "entities": c["entities"],
                           "within_source_duplicates": c["records"] - c["entities"]}
    types = {}
    for entity_type in sorted(set(sizes["entity_type"])):
        rows = sizes.filter(pl.col("entity_type") == entity_type)
        records, entities = int((rows["n"] * rows["entities"]).sum()), int(rows["entities"].sum())
        types[entity_type] = {
            "records": records, "entities": entities, "redundant_records": records - entities,
            "within_source_duplicates": sum(v["within_source_duplicates"] for v in per_source.values()
                                            if v["entity_type"] == entity_type),
            "records_per_entity": {str(n): e for n, e in zip(rows["n"], rows["entities"])},
        }
    return {"sources": per_source, "pairs": pairs, "entity_types": types, "errors": errors}


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
