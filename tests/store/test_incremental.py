"""Incremental linking against the entity store: each month compares only the pairs with a new
or changed record and carries the others' levels and scores, and the second pass's placements
of records whose candidate pairs did not change; it gives the levels of a run that compares
every pair with the same model, its scores wherever this month's term frequencies did not move,
and its partition wherever no held score or placement decides otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from linkage.config import load_config
from linkage.pipeline import run
from linkage.synth.generate import generate_months

from .conftest import config_copy


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """Three months of a 1500-people city.  Months 2 and 3 run twice on the same store state:
    incrementally, and against a copy of the store without its pairs (every pair compared,
    the same stored model)."""
    out = tmp_path_factory.mktemp("incremental")
    generate_months(out, 1500, 3, seed=7, workers=1, chunk_people=750)
    metrics = {1: run(load_config(out / "month-01" / "config.yaml"), echo=lambda _m: None)}
    reference = {}
    for k in (2, 3):
        folder = out / f"month-0{k}"
        shutil.copyfile(out / "store.duckdb", out / "ref-store.duckdb")
        with duckdb.connect(str(out / "ref-store.duckdb")) as con:
            con.execute("DELETE FROM store_pairs")
        reference[k] = run(load_config(config_copy(folder, "reference", "ref-store.duckdb", "ref-out")), echo=lambda _m: None)
        metrics[k] = run(load_config(folder / "config.yaml"), echo=lambda _m: None)
    return out, metrics, reference


def _clusters(folder: Path, output: str) -> pl.DataFrame:
    return pl.read_parquet(folder / output / "clusters.parquet").select(
        "source", "record_key", "entity_id").sort("source", "record_key")


def test_a_month_compares_only_pairs_with_a_new_or_changed_record(months):
    _, metrics, reference = months
    assert metrics[1]["store"]["person"]["carried_pairs"] == 0
    for k in (2, 3):
        person, link = metrics[k]["store"]["person"], metrics[k]["link"]["person"]
        assert person["carried_pairs"] + person["compared_pairs"] == link["candidate_pairs"]
        assert person["compared_pairs"] < 0.1 * link["candidate_pairs"]
        assert person["carried_pairs"] > 0.85 * link["candidate_pairs"]
        assert reference[k]["store"]["person"]["carried_pairs"] == 0


def _pairs(folder: Path, output: str) -> pl.DataFrame:
    """The output's pairs with both records' (source, record key, row hash)."""
    keys = pl.read_parquet(folder / output / "clusters.parquet").select(
        "record_id", "entity_type", pl.concat_str("source", "record_key", "row_hash", separator="|").alias("key"))
    return pl.read_parquet(folder / output / "pairs.parquet").join(
        keys.select("record_id", "entity_type", pl.col("key").alias("key_l")),
        left_on="record_id_l", right_on="record_id").join(
        keys.select("record_id", pl.col("key").alias("key_r")), left_on="record_id_r",
        right_on="record_id").sort("record_id_l", "record_id_r")


def test_incremental_gives_the_partition_and_ids_of_comparing_every_pair(months):
    """Where no held score or second-pass placement reverses a decision, the partition and ids
    are those of comparing every pair (this city's months reverse none)."""
    out, metrics, _ = months
    for k in (2, 3):
        assert all(metrics[k]["store"][e]["held_decisions"] == 0 for e in ("person", "enterprise"))
        assert all(metrics[k]["store"][e]["held_assignments"] == 0 for e in ("person", "enterprise"))
        assert metrics[k]["store"]["person"]["held_queries"] > 0
        folder = out / f"month-0{k}"
        incremental, everything = _clusters(folder, "out"), _clusters(folder, "ref-out")
        assert incremental.height == everything.height
        differ = incremental.join(everything, on=["source", "record_key"]).filter(
            pl.col("entity_id") != pl.col("entity_id_right"))
        assert differ.height == 0, differ.head(10)


def test_carried_pairs_keep_their_levels_and_last_months_scores(months):
    out, metrics, _ = months
    for k in (2, 3):
        folder = out / f"month-0{k}"
        a, b = _pairs(folder, "out"), _pairs(folder, "ref-out")
        last = _pairs(out / f"month-0{k - 1}", "out").select("key_l", "key_r",
                                                              pl.col("match_weight").alias("last"))
        assert a.columns == b.columns
        gammas = [c for c in a.columns if c.startswith("gamma_")]
        assert a.select("record_id_l", "record_id_r", "rule", *gammas).equals(
            b.select("record_id_l", "record_id_r", "rule", *gammas))
        both = a.join(b.select("record_id_l", "record_id_r", pl.col("match_weight").alias("ref")),
                      on=["record_id_l", "record_id_r"]).join(last, on=["key_l", "key_r"], how="left")
        carried = both.filter(pl.col("last").is_not_null())
        # a carried pair scores as last month; a compared one as comparing every pair does
        assert np.allclose(carried["match_weight"].to_numpy(), carried["last"].to_numpy())
        fresh = both.filter(pl.col("last").is_null())
        assert fresh.height > 0
        assert np.allclose(fresh["match_weight"].to_numpy(), fresh["ref"].to_numpy())
        for entity in ("person", "enterprise"):
            mine = both.filter(pl.col("entity_type") == entity)
            moved = mine.filter((pl.col("match_weight") - pl.col("ref")).abs() > 1e-9).height
            assert moved == metrics[k]["store"][entity]["held_pairs"]
        assert metrics[k]["store"]["person"]["held_pairs"] > 0  # the months move frequencies


def test_the_store_keeps_every_compared_pair_by_record_key(months):
    out, metrics, _ = months
    with duckdb.connect(str(out / "store.duckdb"), read_only=True) as con:
        kept = con.sql("SELECT entity_type, count(*) FROM store_pairs GROUP BY 1 ORDER BY 1").fetchall()
        orphans = con.execute("SELECT count(*) FROM store_pairs p ANTI JOIN store_records r "
                          "ON r.source = p.source_l AND r.record_key = p.key_l").fetchone()[0]
    assert kept == [(e, metrics[3]["link"][e]["candidate_pairs"]) for e in ("enterprise", "person")]
    assert orphans == 0


def test_the_report_says_what_was_compared_and_carried(months):
    out, metrics, _ = months
    html = (out / "month-02" / "out" / "report.html").read_text(encoding="utf-8")
    person = metrics[2]["store"]["person"]
    assert f"比较了 {person['compared_pairs']:,} 对候选记录对" in html
    assert f"两方都未变的 {person['carried_pairs']:,} 对沿用" in html
    assert (f"其中 {person['held_pairs']:,} 对的词频（如同名人数）本月已变，按本月词频会改变 "
            f"{person['held_decisions']:,} 对的关联判定") in html
    assert (f"其候选记录对与上次完全相同的 {person['held_queries']:,} 组沿用上次的归属判定，"
            f"按本月重新估计的参数会改变其中 {person['held_assignments']:,} 组的归属") in html


def test_full_compares_every_pair_again(months):
    out, _, _ = months
    full = run(load_config(out / "month-03" / "config.yaml"), echo=lambda _m: None, retrain="--full")
    assert full["store"]["person"]["carried_pairs"] == 0
    assert full["store"]["person"]["compared_pairs"] == full["link"]["person"]["candidate_pairs"]


def test_levels_made_for_another_region_are_compared_again(months):
    out, _, _ = months
    folder = out / "month-03"
    text = (folder / "config.yaml").read_text(encoding="utf-8")
    assert "region: 深圳市" in text
    other = folder / "other-region.yaml"
    other.write_text(text.replace("region: 深圳市", "region: 广州市").replace("output: out", "output: other-out"),
                     encoding="utf-8")
    again = run(load_config(folder / "config.yaml"), echo=lambda _m: None)
    assert again["store"]["person"]["compared_pairs"] == 0      # nothing changed: all carried
    moved = run(load_config(other), echo=lambda _m: None)
    assert moved["store"]["person"]["carried_pairs"] == 0


def test_levels_made_by_other_link_code_are_compared_again(months, monkeypatch):
    """A change in the link stage's code (here: what its digest covers) means the stored levels
    may not be what this code would give: every pair is compared again, once."""
    from linkage.store import pairs

    out_config = months[0] / "month-03" / "config.yaml"
    run(load_config(out_config), echo=lambda _m: None)  # the store's pairs made as this config's
    assert run(load_config(out_config), echo=lambda _m: None)["store"]["person"]["compared_pairs"] == 0
    monkeypatch.setattr(pairs, "LINK_CODE", ("link/*.py", "link/__init__.py"))
    changed = run(load_config(out_config), echo=lambda _m: None)
    assert changed["store"]["person"]["carried_pairs"] == 0
    assert changed["store"]["person"]["compared_pairs"] > 0


def test_a_store_without_frequencies_or_decisions_carries_levels_only(months):
    """A store written before pairs kept their term frequencies and the second pass's
    decisions: levels are carried, scores and placements are this month's (nothing held), and
    the run writes frequencies and decisions for the next."""
    out, _, _ = months
    run(load_config(out / "month-03" / "config.yaml"), echo=lambda _m: None)  # pairs of this code
    shutil.copyfile(out / "store.duckdb", out / "old-store.duckdb")
    with duckdb.connect(str(out / "old-store.duckdb")) as con:
        for column in ("tf", "assign_l", "assign_r", "joined_l", "joined_r"):
            con.execute(f"ALTER TABLE store_pairs DROP COLUMN {column}")
    config = config_copy(out / "month-03", "old-layout", "old-store.duckdb", "old-out")
    metrics = run(load_config(config), echo=lambda _m: None)
    assert metrics["store"]["person"]["carried_pairs"] > 0
    assert metrics["store"]["person"]["held_pairs"] == 0
    assert metrics["store"]["person"]["held_queries"] == 0
    with duckdb.connect(str(out / "old-store.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM store_pairs WHERE tf IS NULL").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM store_pairs WHERE assign_l IS NOT NULL "
                           "OR assign_r IS NOT NULL").fetchall()[0][0] > 0


def _assigned(folder: Path, output: str) -> set:
    pairs = _pairs(folder, output).filter(pl.col("rule") == "assigned")
    return set(pairs.select("key_l", "key_r").iter_rows())


def test_queries_whose_candidates_did_not_change_keep_their_placement(months, monkeypatch):
    """The second pass re-learns its twin rates every month; a record it placed last month,
    whose candidate pairs are all unchanged, keeps that placement however they move (here:
    halved), and the placements a fresh weighing would change are counted."""
    from linkage.link import assign

    out, _, _ = months
    folder = out / "month-03"
    shutil.copyfile(out / "store.duckdb", out / "held-store.duckdb")
    run(load_config(config_copy(folder, "again", "held-store.duckdb", "again-out")), echo=lambda _m: None)
    shutil.copyfile(out / "held-store.duckdb", out / "fresh-store.duckdb")
    with duckdb.connect(str(out / "fresh-store.duckdb")) as con:
        con.execute("DELETE FROM store_pairs")
    rates = assign.twin_rates
    monkeypatch.setattr(assign, "twin_rates", lambda *a: {s: 0.5 * t for s, t in rates(*a).items()})
    held = run(load_config(config_copy(folder, "moved", "held-store.duckdb", "moved-out")),
               echo=lambda _m: None)["store"]["person"]
    fresh = run(load_config(config_copy(folder, "moved-fresh", "fresh-store.duckdb", "fresh-out")),
                echo=lambda _m: None)["store"]["person"]
    last = _assigned(folder, "again-out")
    assert held["compared_pairs"] == 0 and held["held_queries"] > 0    # nothing changed
    assert _assigned(folder, "moved-out") == last
    assert fresh["held_queries"] == 0 and _assigned(folder, "fresh-out") < last
    assert held["held_assignments"] > 0
    # the placements kept that a fresh weighing would drop are listed: joined as held, not fresh
    with duckdb.connect(str(folder / "moved-out" / "linkage.duckdb"), read_only=True) as con:
        listed = con.sql("SELECT record_id_l, record_id_r, kept_probability, fresh_probability "
                         "FROM held_decisions WHERE held = 'placement'").pl()
        keys = dict(con.sql("SELECT record_id, concat_ws('|', source, record_key, row_hash) "
                            "FROM clusters").fetchall())
    dropped = {(keys[a], keys[b]) for a, b in listed.filter(pl.col("fresh_probability").is_null())
               .select("record_id_l", "record_id_r").iter_rows()}
    assert dropped and dropped <= last and not dropped & _assigned(folder, "fresh-out")
    assert (listed["kept_probability"].drop_nulls() >= 0.9).all()
