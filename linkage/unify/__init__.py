"""Unify a linked run: propose the unified schema, the crosswalk, golden records, collect once.

`run_unify(engine, metrics, out_dir)` reads `sources`, `source_columns`, `records`, `clusters`
and, when linkage.measure wrote them, `metric_authority` (survivorship ranks sources by it) and
`metric_field_reentry` (collect-once savings); without them it falls back to ranks and re-entry
computed here (see linkage.unify.authority and linkage.unify.collect_once).  It writes

- into `out_dir`: unified_schema.sql (DDL for DuckDB and PostgreSQL), unified_schema.json (JSON
  Schema), crosswalk.csv, golden_<entity>.parquet for each entity type present;
- into the engine: tables `unified_schema` (one row per column of the proposed tables),
  `crosswalk` (one row per source column), `golden_<entity>`, `collect_once`;

and returns the summary below (merged into metrics.json under "unify").  Keys are stable.

| key | content |
|---|---|
| `files` | names of the files written in the output folder |
| `tables` | engine tables written |
| `schema.<entity_type>.core_table` | name of the core table |
| `schema.<entity_type>.core_columns` | its columns, in order (entity_id first) |
| `schema.<entity_type>.extension_tables` | {table: {system, columns}} per department extension |
| `schema.<entity_type>.columns` | rows of unified_schema: table_name, column_name, placement (key / core / extension), system (extensions), attribute (canonical, null for extras), derived ("division_code" for `<address>_division_code`, else null), header (extras: the source header), sql_type, standard, sources (";"-joined source keys), rationale_zh, rationale_en |
| `crosswalk.source_columns` | source columns seen |
| `crosswalk.mapped` / `crosswalk.unmapped` | with / without a canonical attribute |
| `crosswalk.to_core` / `crosswalk.to_extension` / `crosswalk.dropped` | where they go (dropped = empty in the export, or the export's row numbering 序号) |
| `golden.entity_types.<entity_type>.entities` | golden records (= entities) |
| `golden.entity_types.<entity_type>.columns` | unified columns filled by survivorship |
| `golden.entity_types.<entity_type>.values_chosen` | non-null golden values |
| `golden.entity_types.<entity_type>.values_from_authority` | of those, taken from the attribute's rank-1 source |
| `golden.entity_types.<entity_type>.candidates_not_conforming` | candidate values kept out for failing the column's standard |
| `golden.authority_basis` | "metric_authority" or "fill_and_validity" (fallback) |
| `collect_once.basis` | "metric_field_reentry" or "estimated" (fallback) |
| `collect_once.totals.<entity_type>` | core_attributes, fields_stop_keying (source × attribute pairs that can stop), reentries_saved, hours_per_year_saved, hours_per_year_remaining (extension attributes) |
| `collect_once.fields` | rows: entity_type, attribute, authoritative_source, stop_keying (sources), reentries, hours_per_year (most hours first per entity type) |
| `collect_once.hours_per_year_saved` | total over entity types |

Counts are integers, hours and shares floats rounded to 6 places.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from linkage.engine import Engine, Scratch
from linkage.outputs import write_csv
from linkage.unify.authority import authority_relation
from linkage.unify.collect_once import collect_once
from linkage.unify.ddl import to_json_schema, to_sql
from linkage.unify.golden import golden_records
from linkage.unify.proposal import propose

__all__ = ["run_unify"]

CROSSWALK_CSV = ["source", "source_column", "attribute", "transformation", "target",
                 "entity_type", "system", "column_index", "method", "confidence", "fill_rate",
                 "rationale_zh", "rationale_en"]


def _schema_summary(schema: pl.DataFrame) -> dict:
    out = {}
    for entity in sorted(schema["entity_type"].unique().to_list()):
        mine = schema.filter(pl.col("entity_type") == entity)
        extensions = mine.filter(pl.col("table_name") != entity)
        out[entity] = {
            "core_table": entity,
            "core_columns": mine.filter(pl.col("table_name") == entity).sort("position")["column_name"].to_list(),
            "extension_tables": {
                table: {"system": rows["system"][0], "columns": rows.sort("position")["column_name"].to_list()}
                for (table,), rows in sorted(extensions.group_by("table_name"), key=lambda g: g[0])},
            "columns": mine.select("table_name", "column_name", "placement", "system", "attribute", "derived",
                                   "header", "sql_type", "standard", "sources", "rationale_zh",
                                   "rationale_en").to_dicts(),
        }
    return out


def _crosswalk_summary(crosswalk: pl.DataFrame) -> dict:
    mapped = crosswalk["attribute"].is_not_null()
    core = crosswalk["target_table"] == crosswalk["entity_type"]
    return {"source_columns": crosswalk.height, "mapped": int(mapped.sum()),
            "unmapped": int((~mapped).sum()),
            "to_core": int(core.fill_null(False).sum()),
            "to_extension": int((crosswalk["target_table"].is_not_null() & ~core.fill_null(False)).sum()),
            "dropped": int(crosswalk["target_table"].is_null().sum())}


def run_unify(engine: Engine, metrics: dict, out_dir: Path, title: str = "linkage") -> dict:
    """Propose the unified schema and build golden records; writes files and tables (see above).

    `metrics` is the measure stage's dict; the tables it wrote are read from the engine."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    proposal = propose(engine)
    schema, crosswalk = proposal.schema, proposal.crosswalk
    engine.load("unified_schema", schema)
    engine.load("crosswalk", crosswalk)
    (out_dir / "unified_schema.sql").write_text(to_sql(schema, title), encoding="utf-8")
    (out_dir / "unified_schema.json").write_text(
        json.dumps(to_json_schema(schema, title), ensure_ascii=False, indent=2), encoding="utf-8")
    write_csv(crosswalk.select(CROSSWALK_CSV), out_dir / "crosswalk.csv")
    files = ["unified_schema.sql", "unified_schema.json", "crosswalk.csv"]
    tables = ["unified_schema", "crosswalk"]

    with Scratch(engine) as scratch:  # the fallback authority ranks, when measure wrote none
        authority, authority_basis = authority_relation(engine, scratch)
        golden: dict = {"authority_basis": authority_basis, "entity_types": {}}
        present = engine.sql("SELECT DISTINCT entity_type FROM clusters ORDER BY 1")["entity_type"].to_list()
        for entity in present:
            golden["entity_types"][entity] = golden_records(engine, schema, entity, authority)
            # the table is written in entity_id order (and the engine preserves insertion order)
            engine.export_parquet(f"golden_{entity}", out_dir / f"golden_{entity}.parquet")
            files.append(f"golden_{entity}.parquet")
            tables.append(f"golden_{entity}")
        once = collect_once(engine, schema, authority)
    once["hours_per_year_saved"] = round(sum(t["hours_per_year_saved"] for t in once["totals"].values()), 6)
    tables.append("collect_once")
    return {"files": files, "tables": tables, "schema": _schema_summary(schema),
            "crosswalk": _crosswalk_summary(crosswalk), "golden": golden, "collect_once": once}
