"""Quality and authority (一数一源) on the hand-built fixture (see conftest for the records)."""

import json

import pytest

from linkage.measure.settings import BurdenSettings


def test_quality(table):
    rows = {(r["source"], r["attribute"]): r for r in table("metric_quality")}
    address = rows["jzdj", "address"]  # parsed / partial / unparsed
    assert (address["records"], address["filled"], address["fill_rate"]) == (3, 3, 1.0)
    assert address["validity_rate"] == pytest.approx(1 / 3)
    assert address["format_rate"] == pytest.approx(2 / 3)
    phone = rows["zzsb", "phone"]  # records 3 (valid), 6 (blank), 9 (invalid)
    assert phone["fill_rate"] == pytest.approx(2 / 3)
    assert (phone["validity_rate"], phone["format_rate"]) == (0.5, 0.5)
    ids = rows["jisheng", "id_number"]  # valid + bad_check_digit: right format, one invalid
    assert (ids["validity_rate"], ids["format_rate"]) == (0.5, 1.0)
    assert rows["jzdj", "registration_date"]["fill_rate"] == pytest.approx(2 / 3)
    names = rows["jzdj", "name"]  # names carry no flag
    assert (names["fill_rate"], names["validity_rate"], names["format_rate"]) == (1.0, None, None)
    assert rows["lb_emp", "uscc"]["validity_rate"] == pytest.approx(2 / 3)
    assert len(rows) == 15  # every collected (source, attribute); the extra 备注 is not one


def test_authority_ranks(table):
    rows = {(r["attribute"], r["source"]): r for r in table("metric_authority",
                                                            "entity_type = 'person'")}
    # name: majorities 张伟 (P1: jzdj + jisheng vs zzsb), 李娜, 王芳; no validity → weights .4/.3
    zzsb = rows["name", "zzsb"]
    assert (zzsb["completeness"], zzsb["validity"], zzsb["agreement"]) == (1.0, None, 0.5)
    assert zzsb["score"] == pytest.approx((0.4 * 1 + 0.3 * 0.5) / 0.7)
    assert [rows["name", s]["rank"] for s in ("jisheng", "jisheng_old", "jzdj", "zzsb")] == [1, 2, 3, 4]
    # id_number: every source agrees; completeness and validity decide
    assert rows["id_number", "zzsb"]["score"] == pytest.approx(0.4 * 2 / 3 + 0.3 + 0.3)
    assert rows["id_number", "jisheng"]["score"] == pytest.approx(0.4 + 0.3 * 0.5 + 0.3)
    assert rows["id_number", "jisheng_old"]["score"] == pytest.approx(0.4 + 0.3)
    assert [rows["id_number", s]["rank"] for s in ("jzdj", "zzsb", "jisheng", "jisheng_old")] == [1, 2, 3, 4]
    # phone: P1's majority 0001 (jzdj + zzsb vs 0002 in jzdj): both hold it
    assert rows["phone", "zzsb"]["agreement"] == 1.0 and rows["phone", "jzdj"]["recommended"]
    # address: one source, no agreement → completeness and validity only
    assert rows["address", "jzdj"]["score"] == pytest.approx((0.4 + 0.3 / 3) / 0.7)
    assert rows["address", "jzdj"]["agreement"] is None and rows["address", "jzdj"]["rank"] == 1


def test_authority_weights_are_settings():
    assert BurdenSettings(authority_weights={"agreement": 1}).authority_weights.completeness == 0.4
    with pytest.raises(ValueError):
        BurdenSettings(authority_weights={"agreemnt": 1})


def test_metrics_dict(measured):
    engine, metrics = measured
    text = json.dumps(metrics, ensure_ascii=False)  # plain JSON types only
    assert "Decimal" not in text
    assert metrics["authoritative_source"]["person"] == {
        "address": "jzdj", "gender": "jisheng", "id_number": "jzdj", "name": "jisheng",
        "phone": "jzdj", "registration_date": "jzdj"}
    assert metrics["authoritative_source"]["enterprise"] == {"name": "lb_emp", "uscc": "lb_emp"}
    assert all(engine.has_table(t) for t in metrics["tables"])
    assert not any(t.startswith("_m_") for t in engine.tables())
    assert metrics["settings"]["updates_per_year"] == {
        "jisheng": 3.0, "jisheng_old": 3.0, "jzdj": 4.0, "lb_emp": 1.0, "zzsb": 2.0}
    assert {(r["attribute"], r["seconds_per_field"]) for r in metrics["settings"]["seconds_per_field"]
            if r["entity_type"] == "person"} == {
        ("address", 20.0), ("gender", 2.0), ("id_number", 12.0), ("name", 5.0), ("phone", 10.0),
        ("registration_date", 6.0)}
