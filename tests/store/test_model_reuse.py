"""The store's model reused by the next month, against `--full` (trained afresh) on the same month."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from linkage.config import load_config
from linkage.pipeline import run
from linkage.synth.generate import generate_months


def _partition(folder: Path) -> set[frozenset]:
    clusters = pl.read_parquet(folder / "out" / "clusters.parquet")
    groups = clusters.group_by("entity_id").agg(pl.concat_str("source", "record_key", separator=":"))
    return {frozenset(keys) for keys in groups["source"].to_list()}


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """Month 1, month 2 reusing month 1's model, then month 2 again with --full."""
    out = tmp_path_factory.mktemp("reuse")
    generate_months(out, 800, 2, seed=3, workers=1)
    config = [load_config(out / f"month-0{k}" / "config.yaml") for k in (1, 2)]
    first = run(config[0], echo=lambda _m: None)
    reused = run(config[1], echo=lambda _m: None)
    partition = _partition(out / "month-02")
    full = run(config[1], echo=lambda _m: None, retrain="--full")
    return out, first, reused, full, partition


def test_second_month_reuses_the_stored_model(months):
    out, first, reused, full, _ = months
    assert first["link"]["person"]["model_source"] == "trained (no stored model)"
    assert reused["link"]["person"]["model_source"] == "store (run 1)"
    assert 0 <= reused["link"]["person"]["u_drift"] < 0.05
    assert reused["link"]["person"]["lambda"] == first["link"]["person"]["lambda"]
    assert full["link"]["person"]["model_source"] == "trained (--full)"
    with duckdb.connect(str(out / "store.duckdb"), read_only=True) as con:
        assert con.sql("SELECT entity_type, run FROM store_models ORDER BY 1").fetchall() == \
            [("enterprise", 3), ("person", 3)]  # the --full run's models replaced run 1's


def _together(partition: set[frozenset]) -> set[tuple[str, str]]:
    return {(a, b) for group in partition for a in group for b in group if a < b}


def test_reused_and_full_runs_differ_only_on_borderline_records(months):
    # two models (month 1's, reused; month 2's, trained afresh) may decide a record whose
    # evidence sits near the threshold differently, and nothing else: every pair of records
    # together in one partition and apart in the other touches a record the full run weighed
    # as uncertain (a second-pass join, or a pair between possible_threshold and 0.99)
    out, _, _, _, reused = months
    differ = _together(reused) ^ _together(_partition(out / "month-02"))
    clusters = pl.read_parquet(out / "month-02" / "out" / "clusters.parquet")
    assert len(differ) <= 0.002 * clusters.height, sorted(differ)
    pairs = pl.read_parquet(out / "month-02" / "out" / "pairs.parquet")
    uncertain = pairs.filter((pl.col("rule") == "assigned")
                             | pl.col("match_probability").is_between(0.3, 0.99))
    ids = set(uncertain["record_id_l"].to_list()) | set(uncertain["record_id_r"].to_list())
    keys = set(clusters.filter(pl.col("record_id").is_in(list(ids))).select(
        pl.concat_str("source", "record_key", separator=":"))["source"].to_list())
    assert all(a in keys or b in keys for a, b in differ), sorted(differ)


def test_a_drifted_u_or_changed_comparisons_retrain(months):
    out = months[0]
    with duckdb.connect(str(out / "store.duckdb")) as con:  # person: u of "name" far from the data
        con.execute("UPDATE store_model_params SET u = CASE WHEN gamma = 0 THEN 0.5 ELSE 0.5 / "
                    "(SELECT max(gamma) FROM store_model_params WHERE entity_type = 'person' "
                    "AND comparison = 'name') END WHERE entity_type = 'person' AND comparison = 'name'")
        con.execute("UPDATE store_models SET comparisons = '[]' WHERE entity_type = 'enterprise'")
    metrics = run(load_config(out / "month-02" / "config.yaml"), echo=lambda _m: None)
    person, enterprise = metrics["link"]["person"], metrics["link"]["enterprise"]
    assert person["model_source"].startswith("trained (u drift ")
    assert person["model_source"].endswith("> 0.05 since run 3)")
    assert person["u_drift"] > 0.05
    assert enterprise["model_source"] == "trained (comparisons changed since run 3)"
    assert enterprise["u_drift"] is None
