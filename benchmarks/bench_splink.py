"""Side by side with Splink (DuckDB backend) on the same `linkage synth` people: F1 and time.

Runs in a separate environment that has Splink (never a dependency of linkage):

    python3.11 -m venv /tmp/splink-venv && /tmp/splink-venv/bin/pip install splink
    .venv/bin/linkage synth --people 200000 --out benchmarks/_data/synth200k
    /usr/bin/time -v /tmp/splink-venv/bin/python benchmarks/bench_splink.py \
        benchmarks/_data/synth200k            # add --reuse to score an existing DATA/out

1. ours: `linkage run` on the synth config (subprocess in the project's venv), then the link
   stage alone again on a copy of the run's database (benchmarks/bench_link.py: seconds, CPU
   seconds, person F1), so that both engines are timed back to back on the same records;
2. Splink on the same normalized person records (our records.parquet, so both see the same
   cleaning), set up as a competent user would: the same five blocking rules, comparisons on
   the pinyin of the name (DuckDB's string distances count UTF-8 bytes, so the Chinese name
   itself only gets an exact level), ID number, birth date (filled from the ID), gender, phone
   and address; term-frequency adjustment on name and address; u by random sampling (1e7
   pairs), the prior from the ID rule (recall 0.6), m by EM sessions blocked on the ID and on
   name + birth date; predict and cluster at 0.9;
3. the pairwise precision / recall / F1 of both against truth.parquet, wall and CPU seconds
   (CPU counts every thread of the process: the machine may be shared).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
import splink.comparison_library as cl
import splink.comparison_level_library as cll

PROJECT = Path(__file__).resolve().parents[1]
LINKAGE = PROJECT / ".venv" / "bin" / "linkage"
THRESHOLD = 0.9


def run_ours(data: Path, reuse: bool) -> dict:
    """`linkage run` (unless --reuse: the run already in DATA/out), then our link stage again
    on a copy of the run's database with benchmarks/bench_link.py, timed like Splink's."""
    start = time.perf_counter()
    if not reuse:
        subprocess.run([str(LINKAGE), "run", "-q", str(data / "config.yaml")], check=True)
    pipeline = time.perf_counter() - start
    output = subprocess.run([str(PROJECT / ".venv" / "bin" / "python"),
                             str(PROJECT / "benchmarks" / "bench_link.py"), str(data)],
                            check=True, capture_output=True, text=True).stdout
    link = json.loads(output[output.index("\n{") + 1:])
    person = link["person"]
    return {"pipeline_s": None if reuse else round(pipeline, 1), "link_s": link["link_wall_s"],
            "link_cpu_s": link["link_cpu_s"], "precision": person["precision"],
            "recall": person["recall"], "f1": person["f1"]}


def pairwise(con: duckdb.DuckDBPyConnection, clusters: str) -> dict:
    """Pairwise precision / recall / F1 of `clusters` (record_id, cluster) against `truth`."""
    tp, pred, true = con.sql(f"""
        WITH c AS (SELECT c.cluster, t.entity_id FROM {clusters} c JOIN people p USING (record_id)
                   JOIN truth t USING (source, source_row))
        SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM c GROUP BY cluster, entity_id)),
               (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM c GROUP BY cluster)),
               (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) n FROM c GROUP BY entity_id))
    """).fetchall()[0]
    p, r = tp / pred, tp / true
    return {"precision": round(p, 5), "recall": round(r, 5), "f1": round(2 * p * r / (p + r), 5)}


def splink_settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[
            block_on("id_number"), block_on("name_pinyin", "birth_date"), block_on("phone"),
            block_on("address_key", "surname"), block_on("name", "address_road")],
        comparisons=[
            cl.CustomComparison(output_column_name="name", comparison_levels=[
                cll.NullLevel("name_pinyin"),
                cll.ExactMatchLevel("name").configure(tf_adjustment_column="name"),
                cll.ExactMatchLevel("name_pinyin"),
                cll.JaroWinklerLevel("name_pinyin", 0.92),
                cll.JaroWinklerLevel("name_pinyin", 0.8),
                cll.ElseLevel()]),
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("gender"),
            cl.LevenshteinAtThresholds("phone", [1]),
            cl.CustomComparison(output_column_name="address", comparison_levels=[
                cll.NullLevel("address"),
                cll.ExactMatchLevel("address").configure(tf_adjustment_column="address"),
                cll.And(cll.ExactMatchLevel("address_key"), cll.ExactMatchLevel("address_room")),
                cll.ExactMatchLevel("address_key"),
                cll.ElseLevel()]),
        ],
        retain_intermediate_calculation_columns=False,
    )


def run_splink(con: duckdb.DuckDBPyConnection) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    db_api = DuckDBAPI(con)
    linker = Linker(db_api.register("people"), splink_settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number")], recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name_pinyin", "birth_date"))
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, THRESHOLD)
    con.execute(f"CREATE OR REPLACE TABLE splink_clusters AS SELECT record_id, cluster_id AS cluster "
                f"FROM {clusters.physical_name}")
    return {"link_s": round(time.perf_counter() - start, 1),
            "link_cpu_s": round(time.process_time() - cpu, 1)}


def main(data: Path, reuse: bool = False) -> None:
    ours = run_ours(data, reuse)
    out = data / "out"
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE people AS SELECT record_id, source, source_row, name, name_pinyin,
        surname, id_number, coalesce(birth_date, id_birth_date) AS birth_date,
        coalesce(gender, id_gender) AS gender, phone, address, address_key, address_road,
        address_room FROM read_parquet('{out / "records.parquet"}') WHERE entity_type = 'person'""")
    con.execute(f"CREATE TABLE truth AS SELECT source, source_row, entity_id "
                f"FROM read_parquet('{data / 'truth.parquet'}') WHERE entity_type = 'person'")
    splink = run_splink(con)
    splink.update(pairwise(con, "splink_clusters"))
    records = con.sql("SELECT count(*) FROM people").fetchall()[0][0]
    print(json.dumps({"person_records": records, "linkage": ours, "splink": splink}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), reuse="--reuse" in sys.argv[2:])
