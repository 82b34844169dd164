"""Benchmark linkage.unify, and check its golden records load through the generated DDL.

    .venv/bin/python benchmarks/bench_unify.py run --db <run output>/linkage.duckdb
    .venv/bin/python benchmarks/bench_unify.py scale --records 1000000

`run` copies a finished run's database (the original is left alone); `scale` builds generated
linked person records (bench_measure.make_linked) and runs linkage.measure on them first, so
unify reads real metric_authority / metric_field_reentry tables.  Both then time `run_unify`,
run the generated unified_schema.sql in a fresh in-memory DuckDB and load every
golden_<entity>.parquet (and the clusters) into it with `linkage.unify.ddl.load_statements`.
Prints one JSON object: records, entities, seconds, peak RSS, and the row counts of the loaded
tables, which must equal the number of entities (core tables) and of records (source-record tables).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from linkage.engine import open_engine
from linkage.unify import run_unify
from linkage.unify.ddl import load_statements


def _scale_engine(records: int, work: Path):
    """A file-backed engine holding generated linked records with the measure tables."""
    from bench_measure import make_linked

    from linkage.measure import BurdenSettings, run_measure

    sources, columns, frame = make_linked(records)
    engine = open_engine(work / "linkage.duckdb")
    engine.load("sources", sources)
    # one department column no canonical attribute names: gzz's 备注, kept in its extension table
    remark = pl.DataFrame({"source": ["gzz"], "column_index": [99], "header": ["备注"], "attribute": [None]},
                          schema=columns.schema)
    engine.load("source_columns", pl.concat([columns, remark]).with_columns(
        pl.lit("synonym").alias("method"), pl.lit(1.0).alias("confidence"), pl.lit(1.0).alias("fill_rate")))
    extras = pl.when(pl.col("source") == "gzz").then(pl.lit('{"备注": "重点关注"}'))
    engine.load("records", frame.drop("entity_id").with_columns(
        source_row=pl.col("record_id"), extras=extras))
    engine.load("clusters", frame.select("record_id", "source", pl.col("record_id").alias("source_row"),
                                         "entity_type", "entity_id"))
    run_measure(engine, BurdenSettings())
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run").add_argument("--db", type=Path, required=True, help="linkage.duckdb of a finished run")
    sub.add_parser("scale").add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.command == "run":
            shutil.copy(args.db, work / "linkage.duckdb")
            engine = open_engine(work / "linkage.duckdb")
        else:
            engine = _scale_engine(args.records, work)
        counts = dict(engine.sql("SELECT entity_type, count(*) AS n FROM records GROUP BY 1").rows())
        entities = dict(engine.sql(
            "SELECT entity_type, count(DISTINCT entity_id) AS n FROM clusters GROUP BY 1").rows())
        start = time.perf_counter()
        summary = run_unify(engine, {}, work)
        seconds = time.perf_counter() - start
        schema = engine.sql("SELECT * FROM unified_schema")
        engine.export_parquet("clusters", work / "clusters.parquet")
        engine.close()

        con = duckdb.connect()
        con.execute((work / "unified_schema.sql").read_text(encoding="utf-8"))
        start = time.perf_counter()
        for entity in summary["golden"]["entity_types"]:
            for statement in load_statements(schema, entity, f"read_parquet('{work}/golden_{entity}.parquet')",
                                             f"read_parquet('{work}/clusters.parquet')"):
                con.execute(statement)
        load_seconds = time.perf_counter() - start
        loaded = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
                  for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()}
    checks = {e: {"core_rows_equal_entities": loaded[e] == entities[e],
                  "source_rows_equal_records": loaded[f"{e}_source_record"] == counts[e]}
              for e in entities}
    print(json.dumps({
        "records": counts, "entities": entities, "unify_seconds": round(seconds, 1),
        "ddl_load_seconds": round(load_seconds, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "loaded_rows": loaded, "checks": checks,
        "crosswalk": summary["crosswalk"], "golden": summary["golden"],
        "collect_once_hours_per_year_saved": summary["collect_once"]["hours_per_year_saved"],
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
