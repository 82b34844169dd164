"""Benchmark of the measure stage: acceptance against the synth truth, and speed at scale.

accuracy — compare a finished run's redundancy figures with the truth of `linkage synth`:
redundant records and within-source duplicates per entity type, within-source duplicates per
source, shared entities per pair of sources.  It also re-measures the run with the true
clusters ("oracle": clusters replaced by truth.parquet's entity ids), which isolates the
measure stage from linkage errors (rows the run quarantined are the only difference left).

    .venv/bin/python benchmarks/bench_measure.py accuracy out/demo data/fixtures

scale — time `run_measure` alone on a generated, already linked `records` table (persons with
1–9 records over 9 systems, 10 attributes, flags, communities):

    /usr/bin/time -v .venv/bin/python benchmarks/bench_measure.py scale --records 1000000

rerun — time the measure stage alone on a copy of a finished run's database (the copy is made
in the given folder; the run's own file is never written):

    /usr/bin/time -v .venv/bin/python benchmarks/bench_measure.py rerun out/linkage.duckdb /tmp/m
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from linkage.engine import open_engine
from linkage.measure import BurdenSettings, run_measure


def _rel(measured: float, truth: float) -> float:
    return abs(measured - truth) / truth if truth else float(measured != truth)


def _compare(engine, truth: dict) -> dict:
    """Relative errors of the measured redundancy against truth_summary.json."""
    overview = {r["entity_type"]: r for r in engine.sql("SELECT * FROM metric_overview").to_dicts()}
    out: dict = {"entity_types": {}, "sources": {}, "pairs": {}}
    for entity_type, t in truth["entity_types"].items():
        m = overview.get(entity_type, {})
        out["entity_types"][entity_type] = {
            key: {"truth": t[key], "measured": m.get(key, 0), "error": _rel(m.get(key, 0), t[key])}
            for key in ("records", "entities", "redundant_records", "within_source_duplicates")}
    sources = {r["source"]: r for r in engine.sql("SELECT * FROM metric_source").to_dicts()}
    for key, t in truth["sources"].items():
        m = sources.get(key, {}).get("within_duplicates", 0)
        out["sources"][key] = {"truth": t["within_source_duplicates"], "measured": m,
                               "error": _rel(m, t["within_source_duplicates"])}
    pairs = {(r["entity_type"], r["source_l"], r["source_r"]): r["shared_entities"]
             for r in engine.sql("SELECT * FROM metric_source_pair").to_dicts()}
    shared_truth = shared_measured = 0
    worst = 0.0
    for p in truth["pairs"]:
        m = pairs.get((p["entity_type"], p["source_l"], p["source_r"]), 0)
        shared_truth += p["shared_entities"]
        shared_measured += m
        worst = max(worst, _rel(m, p["shared_entities"]))
    out["pairs"] = {"pairs": len(truth["pairs"]), "shared_truth": shared_truth,
                    "shared_measured": shared_measured,
                    "total_error": _rel(shared_measured, shared_truth), "max_pair_error": worst}
    return out


def accuracy(run_dir: Path, truth_dir: Path) -> dict:
    truth = json.loads((truth_dir / "truth_summary.json").read_text("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "run.duckdb"
        shutil.copy(run_dir / "linkage.duckdb", db)
        engine = open_engine(db)
        if "metric_overview" not in engine.tables():
            run_measure(engine, BurdenSettings())
        result = {"linked": _compare(engine, truth)}
        engine.execute(f"""
            CREATE OR REPLACE TABLE clusters AS
            SELECT c.record_id, c.source, c.source_row, c.entity_type, t.entity_id
            FROM clusters c JOIN read_parquet('{truth_dir / "truth.parquet"}') t
              USING (source, source_row)""")
        run_measure(engine, BurdenSettings())
        result["oracle"] = _compare(engine, truth)
        engine.close()
    return result


def make_linked(records: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(sources, source_columns, records with entity ids) for `records` person records."""
    rng = np.random.default_rng(seed)
    systems = ["jzdj", "zzsb", "pda", "fwbm", "gzz", "jisheng", "aqsc", "laobao", "wgzz"]
    per_person = rng.integers(1, 10, size=records // 4)
    entity = np.repeat(np.arange(per_person.size), per_person)[:records]
    n = entity.size
    source = np.asarray(systems)[rng.integers(0, len(systems), n)]

    def stale(share: float) -> np.ndarray:
        """A fresh random mask per attribute: this record's value differs from the entity's."""
        return rng.random(n) < share

    frame = pl.DataFrame({
        "record_id": np.arange(1, n + 1, dtype=np.int64), "source": source,
        "entity_type": "person", "entity_id": pl.Series(entity).cast(pl.Utf8).str.zfill(9),
    }).with_columns(
        name=pl.lit("张") + pl.Series(entity % 5000).cast(pl.Utf8),
        id_number=pl.Series(entity).cast(pl.Utf8).str.zfill(18),
        id_number_flag=pl.when(pl.Series(stale(0.01))).then(pl.lit("bad_check_digit"))
        .otherwise(pl.lit("valid")),
        phone=pl.lit("138") + pl.Series((entity + stale(0.3)) % 10**8).cast(pl.Utf8).str.zfill(8),
        phone_flag=pl.lit("valid"),
        address=pl.lit("福田区路") + pl.Series((entity + stale(0.3)) % 99991).cast(pl.Utf8) + "号",
        address_key=pl.Series((entity + stale(0.3)) % 99991).cast(pl.Utf8),
        address_flag=pl.lit("parsed"),
        gender=pl.Series(entity % 2 + 1).cast(pl.Utf8), gender_flag=pl.lit("valid"),
        birth_date=pl.lit("1980-01-01"), birth_date_flag=pl.lit("valid"),
        ethnicity=pl.lit("汉族"), ethnicity_flag=pl.lit("valid"),
        community=pl.lit("社区") + pl.Series(entity % 300).cast(pl.Utf8),
        registration_date=pl.lit("2024-01-01"), registration_date_flag=pl.lit("valid"),
    )
    attrs = ["name", "id_number", "phone", "address", "gender", "birth_date", "ethnicity",
             "community", "registration_date"]
    sources = pl.DataFrame({"source": systems, "system": systems, "title": systems,
                            "entity_type": "person", "updates_per_year": [12.0] * len(systems)})
    columns = pl.DataFrame([{"source": s, "column_index": i, "header": a, "attribute": a}
                            for s in systems for i, a in enumerate(attrs)
                            if not (s in ("aqsc", "laobao") and a in ("address", "ethnicity"))])
    return sources, columns, frame


def scale(records: int) -> dict:
    sources, columns, frame = make_linked(records)
    engine = open_engine()
    engine.load("sources", sources)
    engine.load("source_columns", columns)
    engine.load("records", frame.drop("entity_id").with_columns(source_row=pl.col("record_id")))
    engine.load("clusters", frame.select("record_id", "source", pl.col("record_id").alias("source_row"),
                                         "entity_type", "entity_id"))
    start = time.perf_counter()
    metrics = run_measure(engine, BurdenSettings())
    seconds = time.perf_counter() - start
    return {"records": frame.height, "entities": frame["entity_id"].n_unique(),
            "run_measure_seconds": round(seconds, 2),
            "redundant_records": metrics["overview"]["person"]["redundant_records"],
            "reentry_hours_per_year": round(metrics["reentry"]["totals"]["person"]["hours_per_year"], 1)}


def rerun(database: Path, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / "linkage.duckdb"
    shutil.copyfile(database, copy)
    engine = open_engine(copy)
    records = engine.scalar("SELECT count(*) FROM records")
    wall, cpu = time.perf_counter(), time.process_time()
    run_measure(engine, BurdenSettings())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.close()
    copy.unlink()
    return {"records": records, "run_measure_wall_seconds": round(wall, 2),
            "run_measure_cpu_seconds": round(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    acc = sub.add_parser("accuracy")
    acc.add_argument("run_dir", type=Path)
    acc.add_argument("truth_dir", type=Path)
    sc = sub.add_parser("scale")
    sc.add_argument("--records", type=int, default=1_000_000)
    re = sub.add_parser("rerun")
    re.add_argument("database", type=Path)
    re.add_argument("workdir", type=Path)
    args = parser.parse_args()
    if args.command == "accuracy":
        result = accuracy(args.run_dir, args.truth_dir)
    elif args.command == "scale":
        result = scale(args.records)
    else:
        result = rerun(args.database, args.workdir)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
