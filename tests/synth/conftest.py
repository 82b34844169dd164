"""One small synthetic dataset shared by the synth tests (generated once per session)."""

import polars as pl
import pytest

from linkage.synth.generate import generate
from linkage.synth.noise import NoiseRates


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """(folder, summary) of `linkage synth --people 1500 --seed 11` written in chunks of 400 people
    by two worker processes, without damaged lines (every row reads; the damaged_row error is
    tested in test_writers.py and on the fixtures in tests/test_pipeline.py)."""
    out = tmp_path_factory.mktemp("synth")
    summary = generate(out, 1500, seed=11, chunk_people=400, workers=2,
                       rates=NoiseRates(damaged_row=0.0))
    return out, summary


def assert_summary_agrees_with_truth(out, summary) -> None:
    """truth_summary.json adds up to what truth.parquet holds: per source, per entity type, per
    pair of sources and per error."""
    truth = pl.read_parquet(out / "truth.parquet")
    assert truth.columns == ["source", "source_row", "entity_type", "entity_id", "errors"]
    assert truth.select("source", "source_row").is_unique().all()
    per_source = truth.group_by("source").agg(pl.len().alias("records"), pl.col("entity_id").n_unique().alias("n"))
    for row in per_source.iter_rows(named=True):
        s = summary["sources"][row["source"]]
        assert (s["records"], s["entities"], s["within_source_duplicates"]) == (
            row["records"], row["n"], row["records"] - row["n"])
    assert sum(s["records"] for s in summary["sources"].values()) == truth.height
    for entity_type, figures in summary["entity_types"].items():
        rows = truth.filter(pl.col("entity_type") == entity_type)
        sizes = {int(n): e for n, e in figures["records_per_entity"].items()}
        assert sum(n * e for n, e in sizes.items()) == figures["records"]
        assert sum(sizes.values()) == figures["entities"]
        assert figures["records"] == rows.height
        assert figures["entities"] == rows["entity_id"].n_unique()
        assert figures["redundant_records"] == rows.height - rows["entity_id"].n_unique()
        sizes = rows.group_by("entity_id").len()["len"].value_counts()
        assert figures["records_per_entity"] == {str(k): v for k, v in sizes.sort("len").iter_rows()}
    held = truth.select("entity_id", "source").unique()
    shared = held.join(held, on="entity_id").filter(pl.col("source") < pl.col("source_right"))
    counts = {(a, b): n for a, b, n in shared.group_by("source", "source_right").len().iter_rows()}
    assert {(p["source_l"], p["source_r"]): p["shared_entities"] for p in summary["pairs"]} == counts
    errors = truth["errors"].explode().drop_nulls().value_counts()
    assert summary["errors"] == dict(errors.iter_rows())
