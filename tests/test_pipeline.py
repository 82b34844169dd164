"""End to end: `linkage run configs/demo.yaml` on the fixtures, checked against their truth."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from linkage.cli import main
from linkage.synth.evaluate import evaluate_clusters

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "data" / "fixtures"
CONTRACT = ["linkage.duckdb", "records.parquet", "quarantine.parquet", "pairs.parquet",
            "clusters.parquet", "golden_person.parquet", "golden_enterprise.parquet",
            "metrics.json", "unified_schema.sql", "unified_schema.json", "crosswalk.csv",
            "report.html", "report.xlsx"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    """The demo config, pointed at a temporary output folder, run through the CLI once."""
    work = tmp_path_factory.mktemp("demo")
    text = (ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/fixtures/", f"{FIXTURES.as_posix()}/")
    text = text.replace("output: ../out/demo", "output: out") + "engine: {memory_limit: 2GB}\n"
    config = work / "demo.yaml"
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 0, result.output
    return work / "out"


def test_run_writes_every_file_of_the_output_contract(demo_run):
    missing = [name for name in CONTRACT if not (demo_run / name).exists()]
    assert not missing
    clusters = pl.read_parquet(demo_run / "clusters.parquet")
    assert clusters.columns[:5] == ["record_id", "source", "source_row", "entity_type", "entity_id"]
    records = pl.read_parquet(demo_run / "records.parquet")
    assert clusters["record_id"].sort().to_list() == records["record_id"].sort().to_list()


def test_every_input_row_is_a_record_or_quarantined(demo_run):
    truth = pl.read_parquet(FIXTURES / "truth.parquet")
    con = duckdb.connect(str(demo_run / "linkage.duckdb"), read_only=True)
    try:
        accounting = con.sql("SELECT source, rows_in, records, quarantined, balanced "
                             "FROM row_accounting").pl()
        tables = {r[0] for r in con.sql("SHOW TABLES").fetchall()}
    finally:
        con.close()
    assert accounting["balanced"].all()
    per_source = truth.group_by("source").len().sort("source")
    assert dict(accounting.select("source", "rows_in").iter_rows()) == dict(per_source.iter_rows())
    assert {"sources", "source_columns", "raw_records", "records", "quarantine", "pairs",
            "clusters"} <= tables


def test_demo_links_the_fixtures_as_the_truth_says(demo_run):
    scores = evaluate_clusters(demo_run / "clusters.parquet", FIXTURES / "truth.parquet")
    assert set(scores) == {"person", "enterprise"}
    truth = pl.read_parquet(FIXTURES / "truth.parquet")
    quarantined = pl.read_parquet(demo_run / "quarantine.parquet").join(
        truth, on=["source", "source_row"]).group_by("entity_type").len()
    for entity_type, s in scores.items():
        held = quarantined.filter(pl.col("entity_type") == entity_type)["len"].sum()
        assert s["truth_records_not_in_clusters"] == held, entity_type
        assert s["pairwise"]["precision"] >= 0.97, entity_type
        assert s["pairwise"]["recall"] >= 0.95, entity_type
        assert abs(s["redundant_records"]["relative_error"]) <= 0.02, entity_type


def test_damaged_export_lines_are_quarantined_with_their_line(demo_run):
    truth = pl.read_parquet(FIXTURES / "truth.parquet")
    damaged = truth.filter(pl.col("errors").list.eval(pl.element().str.starts_with("row_")).list.any())
    quarantine = pl.read_parquet(demo_run / "quarantine.parquet")
    assert damaged.height >= 1  # the fixtures carry broken lines (synth's damaged_row error)
    held = quarantine.join(damaged, on=["source", "source_row"])
    assert held.height == damaged.height
    for row in held.iter_rows(named=True):
        assert f"line {row['source_row'] + 1}" in row["reason"], row  # the header is line 1
        assert row["raw"]


def test_metrics_json_records_stage_timings_and_accounting(demo_run):
    metrics = json.loads((demo_run / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["run"]["stage_seconds"]) >= {"read", "normalize", "link", "measure", "unify"}
    assert metrics["run"]["engine"] == {"kind": "duckdb", "memory_limit": "2GB", "threads": None}
    assert sum(r["rows_in"] for r in metrics["row_accounting"]) == \
        pl.read_parquet(FIXTURES / "truth.parquet").height


def test_normalizing_in_small_chunks_gives_the_records_of_one_chunk(demo_run, tmp_path,
                                                                    monkeypatch):
    from linkage import pipeline
    from linkage.config import load_config
    from linkage.engine import open_engine

    config = load_config(ROOT / "configs" / "demo.yaml")
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 333)  # 12 person chunks, not one
    engine = open_engine(None)
    try:
        raw = pipeline.read_sources(config, engine, tmp_path, pipeline.StageLog(lambda _m: None))
        pipeline.normalize_stage(config, engine, raw)
        records = engine.sql("SELECT * FROM records")
        quarantined = engine.scalar("SELECT count(*) FROM quarantine")
    finally:
        engine.close()
    assert_frame_equal(records, pl.read_parquet(demo_run / "records.parquet"))
    assert quarantined == pl.read_parquet(demo_run / "quarantine.parquet").height
