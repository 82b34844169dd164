"""Recall estimated without truth: silver records made to look like the records that could be
missed, run through the same rules and model, against the true recall of a known data set."""

import numpy as np
import polars as pl
import pytest

from linkage.link import run_linkage
from linkage.link.recall import unidentified_twin_share, wilson
from tests.link.conftest import FAST, people


def _true_recall(clusters: pl.DataFrame, truth: np.ndarray) -> float:
    frame = clusters.sort("record_id").with_columns(pl.Series("truth", truth))
    true_pairs = frame.join(frame, on="truth").filter(pl.col("record_id") < pl.col("record_id_right"))
    return float((true_pairs["entity_id"] == true_pairs["entity_id_right"]).mean())


ID_COLUMNS = ["id_number", "id_number_flag", "id_birth_date", "id_gender"]
OTHER = ["phone", "phone_all", "address", "address_key", "address_building", "address_room",
         "address_road", "address_number"]


def _sparse(frame: pl.DataFrame, truth: np.ndarray, share: float, seed: int) -> pl.DataFrame:
    """Every record's ID number restored, then blanked in a random quarter of the records
    (whatever else is wrong with them); `share` of those keep nothing but name, birth date and
    gender."""
    rng = np.random.default_rng(seed)
    ids = pl.Series([f"4403{p:08d}" for p in truth]) + frame["birth_date"].str.replace_all("-", "") \
        .str.slice(2) + frame["gender"]
    frame = frame.with_columns(ids.alias("id_number"), pl.lit("valid").alias("id_number_flag"),
                               pl.col("birth_date").alias("id_birth_date"),
                               pl.col("gender").alias("id_gender"))
    blank = pl.Series(rng.random(frame.height) < 0.25)
    sparse = blank & pl.Series(rng.random(frame.height) < share)
    return frame.with_columns(
        [pl.when(blank).then(None).otherwise(pl.col(c)).alias(c) for c in ID_COLUMNS]
        + [pl.when(sparse).then(None).otherwise(pl.col(c)).alias(c) for c in OTHER])


def test_wilson_interval():
    low, high = wilson(90, 100)
    assert 0.82 < low < 0.9 < high < 0.95
    assert wilson(0, 0) == (0.0, 1.0)


def test_twins_without_an_identifier_are_counted_from_both_ends():
    # entity A: a valid record and two without an ID (one per source); entity B: one without
    # an ID and one valid; a singleton without an ID (not linked, no mates)
    kinds = pl.DataFrame({"record_id": [1, 2, 3, 4, 5, 6],
                          "source": ["id", "czw", "rexian", "czw", "id", "czw"],
                          "kind": ["valid", "missing", "missing", "missing", "valid", "missing"],
                          "size": [3, 3, 3, 2, 2, 1]})
    clusters = pl.DataFrame({"record_id": [1, 2, 3, 4, 5, 6],
                             "entity_id": ["A", "A", "A", "B", "B", "C"]})
    share = unidentified_twin_share(kinds, clusters)
    # czw's linked records have mates {1, 3} and {5}: one of three lacks an identifier
    assert share == {("czw", "missing"): pytest.approx(1 / 3), ("rexian", "missing"): 0.5}


@pytest.mark.parametrize("share", [0.0, 0.6])
def test_estimated_recall_is_close_to_the_true_recall(engine, share):
    frame, truth = people(2000, seed=11)
    frame = _sparse(frame, truth, share, seed=3)
    engine.load("records", frame)
    stats = run_linkage(engine, FAST)
    estimate = stats["person"]["recall_estimate"]
    true = _true_recall(engine.sql("SELECT record_id, entity_id FROM clusters"), truth)
    assert estimate["estimated"] and estimate["identifier"] == "id_number"
    assert abs(estimate["pairwise_recall"] - true) < 0.01, (estimate, true)
    assert estimate["pairwise_recall_low"] <= estimate["pairwise_recall"] <= \
        estimate["pairwise_recall_high"]
    table = engine.sql("SELECT * FROM recall_estimate")
    assert set(table["kind"]) <= {"missing", "invalid"} and table["simulated"].min() > 0
    if share:  # sparse records: fewer recovered, the estimate says so
        assert table.filter(pl.col("kind") == "missing")["recovery_rate"].max() < 0.999


def test_the_estimate_does_not_depend_on_the_order_rows_are_stored_in(engine):
    frame, truth = people(1500, seed=12)
    frame = _sparse(frame, truth, 0.5, seed=4)
    estimates = []
    for order in (frame, frame.sample(fraction=1.0, shuffle=True, seed=1)):
        engine.load("records", order)
        estimates.append(run_linkage(engine, FAST)["person"]["recall_estimate"])
    assert estimates[0] == estimates[1]


def test_without_a_shared_valid_identifier_recall_is_not_estimated(engine):
    # no system carries an ID number: no silver standard, so no figure — not a recall of 1
    frame, _ = people(300, seed=5)
    engine.load("records", frame.with_columns(
        [pl.lit(None, pl.Utf8).alias(c) for c in ID_COLUMNS]))
    estimate = run_linkage(engine, FAST)["person"]["recall_estimate"]
    assert not estimate["estimated"] and "share a valid identifier" in estimate["reason"]
    assert "pairwise_recall" not in estimate
