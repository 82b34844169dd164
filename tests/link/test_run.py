"""run_linkage end to end on small hand-made records: tables, domain rules, clusters."""

import numpy as np
import polars as pl
import pytest

from linkage.link import BlockingBudgetError, LinkageSettings, run_linkage
from linkage.link.cluster import cluster
from linkage.link.features import pair_frame
from linkage.link.run import Compared, identifier_codes, merge_near_codes
from tests.link.conftest import FAST, people, records

ID_A = "110105199001010012"
ID_B = "110105198501010013"


def _pairwise_f1(clusters: pl.DataFrame, truth: np.ndarray) -> float:
    frame = clusters.sort("record_id").select("record_id", "entity_id", pl.Series("truth", truth))
    def pairs(key):
        return (frame.join(frame, on=key).filter(pl.col("record_id") < pl.col("record_id_right"))
                .select("record_id", "record_id_right"))

    pred, true = pairs("entity_id"), pairs("truth")
    tp = pred.join(true, on=["record_id", "record_id_right"]).height
    return 2 * tp / (pred.height + true.height)


def test_tables_and_accuracy_on_small_people(engine):
    frame, truth = people(300)
    engine.load("records", frame)
    stats = run_linkage(engine, FAST)
    s = stats["person"]
    assert s["records"] == frame.height
    # rules planned from what the records carry (no employer, no household address here)
    assert set(s["pairs_per_rule"]) == {
        "id_number", "id_number__fixed (unidentified)", "name_pinyin + birth_date", "phone", "name_pinyin + id_number__area6",
        "name_pinyin + id_number__birth8", "name_pinyin + id_number__seq3",
        "name_pinyin + address_key", "name_pinyin + address_road", "birth_date + address_key",
        "birth_date + address_road", "surname + address__house (≤20, unidentified)",
        "given_name + address__house (≤20, unidentified)", "name_pinyin (≤32, unidentified)",
        "name (≤32, unidentified)"}
    assert sum(s["pairs_per_rule"].values()) == s["candidate_pairs"]
    assert 0 < s["lambda"] < 1 and s["iterations"] >= 1
    clusters = engine.sql("SELECT * FROM clusters ORDER BY record_id")
    assert clusters.columns == ["record_id", "source", "source_row", "entity_type", "entity_id"]
    assert clusters.height == frame.height  # singletons included
    assert _pairwise_f1(clusters, truth) > 0.97
    pairs = engine.sql("SELECT * FROM pairs")
    assert (pairs["record_id_l"] < pairs["record_id_r"]).all()
    assert pairs.select(pl.struct("record_id_l", "record_id_r").is_unique().all()).item()
    for c in ("id_number", "name", "birth_date", "gender", "phone", "address"):
        assert f"gamma_{c}" in pairs.columns and f"bf_{c}" in pairs.columns
    # weight = prior + sum of log2 Bayes factors: every decision is explainable
    prior = engine.sql("SELECT prior FROM link_model").item()
    bf = pairs.select(pl.sum_horizontal(pl.col("^bf_.*$").log(2))).to_series()
    np.testing.assert_allclose(pairs["match_weight"], np.log2(prior / (1 - prior)) + bf, atol=1e-6)
    assert engine.sql("SELECT sum(pairs) FROM blocking_stats").item() == pairs.height
    params = engine.sql("SELECT * FROM model_params WHERE comparison = 'name'")
    assert params["gamma"].to_list() == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]


def test_entity_ids_are_stable_and_named_after_smallest_record(engine):
    frame, _ = people(120)
    engine.load("records", frame)
    run_linkage(engine, FAST)
    first = engine.sql("SELECT * FROM clusters ORDER BY record_id")
    run_linkage(engine, FAST)
    assert first.equals(engine.sql("SELECT * FROM clusters ORDER BY record_id"))
    smallest = first.group_by("entity_id").agg(pl.col("record_id").min())
    assert (smallest["entity_id"] == smallest["record_id"].map_elements(
        lambda r: f"P{r:09d}", return_dtype=pl.Utf8)).all()


def test_different_valid_ids_never_link_and_same_id_links(engine):
    base = {"name": "张伟", "name_pinyin": "zhangwei", "surname": "张", "phone": "13800138000",
            "birth_date": "1990-01-01", "gender": "1", "id_number_flag": "valid"}
    frame, _ = people(150)
    extra = records([
        {**base, "id_number": ID_A},
        {**base, "id_number": ID_B},                       # same everything, other valid ID
        {**base, "id_number": None, "id_number_flag": None},  # no ID: may join one of them
        {"name": "张玮", "name_pinyin": "zhangwei", "id_number": ID_A, "id_number_flag": "valid",
         "phone": "13999999999", "birth_date": "1971-05-05"},  # same ID, homophone name
    ]).with_columns(pl.col("record_id") + 10_000)
    engine.load("records", pl.concat([frame, extra]))
    run_linkage(engine, FAST)
    ent = dict(engine.sql("SELECT record_id, entity_id FROM clusters WHERE record_id > 10000"
                          ).iter_rows())
    assert ent[10001] != ent[10002]
    assert ent[10004] == ent[10001]
    pair = engine.sql("SELECT * FROM pairs WHERE record_id_l = 10001 AND record_id_r = 10002")
    assert pair["rule"].item() == "cannot_link" and pair["match_probability"].item() == 0
    same = engine.sql("SELECT * FROM pairs WHERE record_id_l = 10001 AND record_id_r = 10004")
    assert same["rule"].item() == "same_identifier"


def test_missing_columns_and_both_entity_types(engine):
    persons = records([{"name": "王芳", "surname": "王", "birth_date": "1980-02-03"},
                       {"name": "王芳", "surname": "王", "birth_date": "1980-02-03"},
                       {"name": "李强", "surname": "李", "birth_date": "1970-01-01"}],
                      columns=["name", "surname", "birth_date"])
    huawei = {"uscc": "914403001922038216", "uscc_flag": "valid", "org_key": "192203821",
              "org_key_flag": "valid"}
    firms = records([{"name": "深圳市华为技术有限公司", "name_core": "华为", **huawei},
                     {"name": "华为技术有限公司", "name_core": "华为", **huawei},
                     {"name": "深圳市腾讯计算机系统有限公司", "name_core": "腾讯"}],
                    "enterprise", columns=["name", "name_core", "uscc", "uscc_flag", "org_key",
                                           "org_key_flag"])
    firms = firms.with_columns(pl.col("record_id") + 3)
    engine.load("records", pl.concat([persons, firms], how="diagonal"))
    stats = run_linkage(engine, {"person": LinkageSettings(blocking_rules=[["name"]])})
    assert set(stats) == {"enterprise", "person"}
    clusters = engine.sql("SELECT record_id, entity_id FROM clusters ORDER BY record_id")
    assert clusters["entity_id"].to_list()[3:] == ["E000000004", "E000000004", "E000000006"]
    assert clusters["entity_id"].to_list()[2] == "P000000003"
    pairs = engine.sql("SELECT entity_type, gamma_phone FROM pairs")
    assert set(pairs["gamma_phone"].to_list()) == {-1}  # no phone column: neutral everywhere


def test_a_number_converted_from_15_digits_links_by_equality_but_never_keeps_apart():
    # records 2 and 3 were typed with 15 digits: their check digit was computed, so 3's typo
    # (…2455 for …2454) looks valid; equal to 1's number, 2 is the same person, and 3 is
    # not kept from anyone by its typo
    features = pl.DataFrame({
        "record_id": [1, 2, 3],
        "ident__id_number": ["430105197806222454", None, None],
        "ident_any__id_number": ["430105197806222454", "430105197806222454", "430105197806522451"]})
    pairs = pl.DataFrame({"record_id_l": [1, 1, 2], "record_id_r": [2, 3, 3]})
    frame = pair_frame(features, pairs, ["id_number"])
    assert frame["same_identifier"].to_list() == [True, False, False]
    assert not frame["cannot_link"].any()


def test_organisation_codes_one_character_apart_may_link():
    # 3933U8834 passes the organisation code's check as 393388834 does (U = 30 ≡ 8 mod 11): a
    # typo the check let through, not a second organisation; two characters apart are two
    codes = ["393388834", "3933U8834", "3933UB834"]
    features = pl.DataFrame({"record_id": [1, 2, 3], "ident__org_key": codes,
                             "ident_any__org_key": codes})
    pairs = pl.DataFrame({"record_id_l": [1, 1, 2], "record_id_r": [2, 3, 3]})
    frame = pair_frame(features, pairs, ["org_key"])
    assert frame["cannot_link"].to_list() == [False, True, False]
    assert not frame["same_identifier"].any()
    # clustering may then join the one-apart pair the model links, and still never 1 with 3
    record_ids, codes = identifier_codes(features, ["org_key"])
    compared = Compared(frame["record_id_l"].to_numpy(), frame["record_id_r"].to_numpy(),
                        *(np.zeros((3, 0)),) * 3, frame["cannot_link"].to_numpy(),
                        frame["same_identifier"].to_numpy(), {})
    # a chain of three values: no two of them share a code (1 and 3 are apart)
    assert len(set(merge_near_codes(record_ids, codes, compared)[:, 0])) == 3
    # two values one apart share one: a link joins them, a different code stays out
    two = compared.__class__(*(x[:1] for x in (compared.left, compared.right, compared.gamma,
                                              compared.tf, compared.raw_gamma,
                                              compared.cannot_link, compared.same_identifier)),
                             {})
    merged = merge_near_codes(record_ids, codes, two)
    assert merged[0, 0] == merged[1, 0] != merged[2, 0]
    rep = cluster(record_ids, np.array([1, 2]), np.array([2, 3]), np.array([5.0, 5.0]), merged)
    assert rep.tolist() == [1, 1, 3]


def test_blocking_budget_refuses_with_a_tighter_rule(engine):
    frame, _ = people(200)
    engine.load("records", frame.with_columns(pl.lit("南山区").alias("address_road")))
    settings = LinkageSettings(blocking_rules=[["id_number"], ["address_road"]],
                               max_pairs_per_rule=5_000)
    with pytest.raises(BlockingBudgetError, match=r"\[address_road\].*try \[address_road, "):
        run_linkage(engine, {"person": settings})


def test_no_records(engine):
    engine.load("records", records([]))
    assert run_linkage(engine, {}) == {}
    assert engine.sql("SELECT count(*) FROM clusters").item() == 0


def test_training_from_labelled_pairs(engine, tmp_path):
    frame, truth = people(150)
    engine.load("records", frame)
    rows = frame.select("source", "source_row").to_dicts()
    labels = pl.DataFrame([
        {"source_l": rows[i]["source"], "source_row_l": rows[i]["source_row"],
         "source_r": rows[j]["source"], "source_row_r": rows[j]["source_row"],
         "is_match": "1" if truth[i] == truth[j] else "0"}
        for i in range(0, 120) for j in (i + 1, i + 7) if j < len(rows)])
    path = tmp_path / "labels.csv"
    labels.write_csv(path)
    settings = LinkageSettings(labels=path, u_sample_pairs=20_000)
    stats = run_linkage(engine, {"person": settings})
    assert stats["person"]["trained_on"] == f"labels ({labels.height:,} pairs)"
    clusters = engine.sql("SELECT * FROM clusters ORDER BY record_id")
    assert _pairwise_f1(clusters, truth) > 0.97


def test_the_link_stage_gives_the_same_result_in_both_forms():
    """Blocking counts and joins, term frequencies and the recall simulation's candidate pairs
    taken one query per column and over the columns unpivoted (`Dialect.subquery_per_column`):
    the same figures and the same rows in every table the stage writes."""
    from linkage.engine import open_engine
    from tests.conftest import FORMS, in_form

    frame, _ = people(600, seed=5)
    results = []
    for form in FORMS:
        engine = in_form(open_engine(), form)
        engine.load("records", frame)
        stats = run_linkage(engine, FAST)
        for entity in stats.values():
            entity.pop("seconds", None)
        tables = {name: engine.sql(f"SELECT * FROM {name}") for name in engine.tables()}
        results.append((stats, {name: t.sort(t.columns) for name, t in tables.items()}))
        engine.close()
    (stats, tables), (stats_long, tables_long) = results
    assert stats_long == stats
    assert tables_long.keys() == tables.keys() >= {"pairs", "clusters", "recall_estimate"}
    for name, table in tables.items():
        assert tables_long[name].equals(table), name
    assert tables["pairs"].height > 100 and tables["recall_estimate"].height


def test_pairs_written_batch_by_batch_equal_one_batch(engine, monkeypatch):
    """Table `pairs` is appended in batches whose Bayes factors are computed as they are
    written (`ScoredPairs.batches`), with both entity types' columns: batches of 7 pairs give
    the same rows, columns and types as one batch."""
    from linkage.link.run import ScoredPairs

    frame, _ = people(300, seed=3)
    firms = records([{"name": "深圳市华为技术有限公司", "name_core": "华为"},
                     {"name": "华为技术有限公司", "name_core": "华为"}], "enterprise",
                    columns=["name", "name_core"]).with_columns(pl.col("record_id") + 10_000)
    engine.load("records", pl.concat([frame, firms], how="diagonal"))
    run_linkage(engine, FAST)
    whole = engine.sql("SELECT * FROM pairs")
    batches = ScoredPairs.batches
    monkeypatch.setattr(ScoredPairs, "batches", lambda self, size=7: batches(self, size))
    run_linkage(engine, FAST)
    batched = engine.sql("SELECT * FROM pairs")
    assert whole.height > 7 * 20 and set(whole["entity_type"]) == {"enterprise", "person"}
    assert batched.schema == whole.schema and batched.equals(whole)
    # a column only persons have is null in the enterprise rows before them
    assert whole.filter(pl.col("entity_type") == "enterprise")["gamma_id_number"].is_null().all()
