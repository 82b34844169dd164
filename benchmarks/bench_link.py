"""Benchmark of the link stage alone on the records of a `linkage run`: seconds, memory, F1.

Copies the run's linkage.duckdb (its `records` table is the normalized input of the link
stage), runs `run_linkage` on it with the default settings and no labels, and scores the new
clusters against the synth truth (pairwise precision / recall / F1 per entity type):

    .venv/bin/linkage synth --people 250000 --out benchmarks/_data/synth1m
    .venv/bin/linkage run benchmarks/_data/synth1m/config.yaml
    /usr/bin/time -v .venv/bin/python benchmarks/bench_link.py benchmarks/_data/synth1m

Prints the stage's figures per entity type (seconds per step, candidate pairs per rule, EM
sessions) and the wall and CPU seconds of the whole stage.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from linkage.engine import open_engine
from linkage.link import run_linkage


def pairwise(engine, truth: Path) -> dict:
    """Pairwise precision / recall / F1 of table `clusters` per entity type."""
    rows = engine.sql(f"""
        WITH c AS (SELECT c.entity_type, c.entity_id, t.entity_id AS truth FROM clusters c
                   JOIN read_parquet('{truth}') t USING (source, source_row, entity_type)),
        n AS (SELECT entity_type,
                     (SELECT sum(k * (k - 1) / 2) FROM (SELECT count(*) k FROM c x
                      WHERE x.entity_type = e.entity_type GROUP BY entity_id, truth)) tp,
                     (SELECT sum(k * (k - 1) / 2) FROM (SELECT count(*) k FROM c x
                      WHERE x.entity_type = e.entity_type GROUP BY entity_id)) pred,
                     (SELECT sum(k * (k - 1) / 2) FROM (SELECT count(*) k FROM c x
                      WHERE x.entity_type = e.entity_type GROUP BY truth)) actual
              FROM (SELECT DISTINCT entity_type FROM c) e)
        SELECT entity_type, tp / pred AS precision, tp / actual AS recall FROM n""").to_dicts()
    return {r["entity_type"]: {"precision": round(r["precision"], 5),
                               "recall": round(r["recall"], 5),
                               "f1": round(2 * r["precision"] * r["recall"]
                                           / (r["precision"] + r["recall"]), 5)} for r in rows}


def main(data: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "linkage.duckdb"
        shutil.copy(data / "out" / "linkage.duckdb", db)
        engine = open_engine(db)
        wall, cpu = time.perf_counter(), time.process_time()
        stats = run_linkage(engine, {}, progress=print)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        scores = pairwise(engine, data / "truth.parquet")
        engine.close()
    for entity, figures in stats.items():
        figures.update(scores.get(entity, {}))
    print(json.dumps({"link_wall_s": round(wall, 1), "link_cpu_s": round(cpu, 1),
                      **stats}, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
