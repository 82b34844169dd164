"""Edge cases: records missing from clusters, a grid column, a source with no records, settings."""

import polars as pl
import pytest

from linkage.engine import open_engine
from linkage.measure import run_measure
from linkage.measure.settings import BurdenSettings


@pytest.fixture
def small():
    engine = open_engine()
    engine.load("sources", pl.DataFrame({
        "source": ["a", "b", "empty"], "system": ["a", "b", "empty"], "title": ["A", "B", "E"],
        "entity_type": ["person"] * 3, "updates_per_year": [None, None, None]},
        schema_overrides={"updates_per_year": pl.Float64}))
    engine.load("source_columns", pl.DataFrame({
        "source": ["a", "b", "empty"], "column_index": [0, 0, 0], "header": ["姓名"] * 3,
        "attribute": ["name"] * 3}))
    engine.load("records", pl.DataFrame({
        "record_id": [1, 2, 3], "source": ["a", "b", "b"], "source_row": [1, 1, 2],
        "entity_type": ["person"] * 3, "name": ["甲", "甲", "乙"], "grid": ["G1", "G1", None]}))
    engine.load("clusters", pl.DataFrame({  # record 3 has no cluster row: it stands alone
        "record_id": [1, 2], "source": ["a", "b"], "source_row": [1, 1],
        "entity_type": ["person"] * 2, "entity_id": ["P1", "P1"]}))
    yield engine
    engine.close()


def test_small_run(small):
    metrics = run_measure(small)
    assert metrics["overview"]["person"]["entities"] == 2  # P1 and record 3 alone
    assert metrics["overview"]["person"]["redundant_records"] == 1
    assert [s["source"] for s in metrics["sources"]] == ["a", "b"]  # the empty source holds nothing
    quality = {r["source"]: r for r in metrics["quality"]}
    assert (quality["empty"]["records"], quality["empty"]["fill_rate"]) == (0, None)
    grid = {r["area"]: r for r in small.sql("SELECT * FROM metric_community").to_dicts()}
    assert grid["G1"]["level"] == "grid" and grid["G1"]["reentries"] == pytest.approx(1.0)
    assert grid["G1"]["seconds"] == pytest.approx(5.0)  # name: 5 s by default
    assert grid["G1"]["hours_per_year"] == pytest.approx(5 / 3600)  # 1 update a year by default
    assert metrics["consistency"]["attributes"] == [{
        "entity_type": "person", "attribute": "name", "entities_compared": 1,
        "entities_disagreeing": 0, "disagreement_rate": 0.0}]


def test_settings_lookup_order():
    burden = BurdenSettings(seconds_per_field={"person.name": 7, "name": 9, "date": 3},
                            updates_per_year={"src": 6, "sys": 2}, default_updates_per_year=0.5)
    assert burden.seconds_for("person", "name") == 7
    assert burden.seconds_for("enterprise", "name") == 9
    assert burden.seconds_for("person", "birth_date") == 3
    assert burden.seconds_for("person", "address") == 20
    assert burden.updates_for("src", "sys", None) == 6
    assert burden.updates_for("other", "sys", None) == 2
    assert burden.updates_for("other", "x", None) == 0.5
    assert burden.updates_for("src", "sys", 52.0) == 52


def test_compare_values():
    """Addresses compare on their parsed dwelling, dates only when complete, enterprises by core."""
    engine = open_engine()
    engine.load("sources", pl.DataFrame({
        "source": ["a", "b", "c", "d"], "system": ["a", "b", "c", "d"], "title": list("abcd"),
        "entity_type": ["person", "person", "enterprise", "enterprise"],
        "updates_per_year": [None] * 4}, schema_overrides={"updates_per_year": pl.Float64}))
    engine.load("source_columns", pl.DataFrame({
        "source": ["a", "a", "b", "b", "c", "d"], "column_index": [0, 1, 0, 1, 0, 0],
        "header": ["h"] * 6,
        "attribute": ["address", "birth_date", "address", "birth_date", "name", "name"]}))
    parts = {"address_road": ["布心街", "布心街", "学府路", None],
             "address_number": ["155号", "155号", "2号", None],
             "address_building": [None, None, None, None], "address_unit": [None] * 4,
             "address_room": ["1303", "1303", "901", None]}
    engine.load("records", pl.DataFrame({
        "record_id": [1, 2, 3, 4, 5, 6], "source": ["a", "b", "a", "b", "c", "d"],
        "source_row": [1, 1, 2, 2, 1, 1], "entity_type": ["person"] * 4 + ["enterprise"] * 2,
        # P1: same dwelling, one with the district spelled out; P3: one address unparsed
        "address": ["龙岗区布吉街道布心街155号1303", "布心街155号1303", "学府路2号901", "某处", None, None],
        **{k: v + [None, None] for k, v in parts.items()},
        "address_key": ["x", "y", "z", "w", None, None],
        # P1: a year-month against a full date does not disagree; P3: two full dates do
        "birth_date": ["1998-06", "1998-06-16", "1990-01-01", "1990-01-02", None, None],
        "name": [None, None, None, None, "深圳市趣鱼餐饮管理有限公司", "趣鱼餐饮管理有限公司"],
        "name_core": [None, None, None, None, "趣鱼", "趣鱼"]}))
    engine.load("clusters", pl.DataFrame({
        "record_id": [1, 2, 3, 4, 5, 6], "source": ["a", "b", "a", "b", "c", "d"],
        "source_row": [1, 1, 2, 2, 1, 1], "entity_type": ["person"] * 4 + ["enterprise"] * 2,
        "entity_id": ["P1", "P1", "P3", "P3", "E5", "E5"]}))
    metrics = run_measure(engine)
    rows = {(r["entity_type"], r["attribute"]): (r["entities_compared"], r["entities_disagreeing"])
            for r in metrics["consistency"]["attributes"]}
    assert rows == {("person", "address"): (1, 0), ("person", "birth_date"): (1, 1),
                    ("enterprise", "name"): (1, 0)}
    engine.close()
