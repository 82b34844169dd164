"""Consistency on the hand-built fixture (see conftest for the records)."""


def test_per_attribute(table):
    rows = {r["attribute"]: r for r in table("metric_consistency")}
    # name: P1 (张伟 / 张玮) disagrees, P5 and P7 agree; P9 is held by one source only
    assert (rows["name"]["entities_compared"], rows["name"]["entities_disagreeing"]) == (3, 1)
    assert abs(rows["name"]["disagreement_rate"] - 1 / 3) < 1e-9
    assert (rows["id_number"]["entities_compared"], rows["id_number"]["entities_disagreeing"]) == (3, 0)
    # phone: only P1 has phones from two sources (0001, 0002 in jzdj, 0001 in zzsb)
    assert (rows["phone"]["entities_compared"], rows["phone"]["entities_disagreeing"]) == (1, 1)
    # address is compared on address_key and held by jzdj alone; registration_date never compared
    assert set(rows) == {"name", "id_number", "phone"}


def test_per_pair_and_source(table):
    pairs = {(r["source_l"], r["source_r"]): r for r in table("metric_consistency_pair",
                                                              "attribute = 'name'")}
    assert {k: (v["entities_compared"], v["entities_disagreeing"]) for k, v in pairs.items()} == {
        ("jisheng", "jisheng_old"): (1, 0), ("jisheng", "jzdj"): (1, 0),
        ("jisheng", "zzsb"): (1, 1), ("jzdj", "zzsb"): (2, 1)}
    phone = table("metric_consistency_pair", "attribute = 'phone'")
    assert [(r["entities_compared"], r["entities_disagreeing"]) for r in phone] == [(1, 0)]  # share 0001
    sources = {r["source"]: r for r in table("metric_consistency_source", "attribute = 'name'")}
    assert {k: (v["entities_compared"], v["entities_disagreeing"]) for k, v in sources.items()} == {
        "jisheng": (2, 1), "jisheng_old": (1, 0), "jzdj": (2, 1), "zzsb": (2, 1)}
    assert sources["jisheng_old"]["system"] == "jisheng"


def test_examples_are_masked(measured):
    _, metrics = measured
    examples = {e["attribute"]: e for e in metrics["consistency"]["examples"]}
    assert set(examples) == {"name", "phone"}
    assert examples["name"]["entity_id"] == "P000000001"
    assert examples["name"]["values"] == [
        {"source": "jisheng", "value": "张伟"}, {"source": "jzdj", "value": "张伟"},
        {"source": "zzsb", "value": "张玮"}]
    assert [v["value"] for v in examples["phone"]["values"]] == [
        "138****0001", "138****0002", "138****0001"]
