"""Field re-entry and its cost on the hand-built fixture (see conftest for the records)."""

import pytest


def fields(table):
    return {(r["source"], r["attribute"]): r for r in table("metric_field_reentry")}


def test_reentries_are_shared_over_keyings(table):
    rows = fields(table)
    # name: P1 keyed 4× (records 1, 2, 3, 4) → 3/4 per record; P5, P7 2× → 1/2; P9 once → 0
    assert rows["jzdj", "name"]["reentries"] == pytest.approx(0.75 + 0.75 + 0.5)
    assert rows["zzsb", "name"]["reentries"] == pytest.approx(0.75 + 0.5 + 0)
    assert rows["jisheng", "name"]["reentries"] == pytest.approx(0.75 + 0.5)
    assert rows["jisheng_old", "name"]["reentries"] == pytest.approx(0.5)
    total = sum(r["reentries"] for (s, a), r in rows.items() if a == "name" and s != "lb_emp")
    assert total == pytest.approx(3 + 1 + 1)  # Σ (n − 1) over entities
    # phone: P1 keyed in records 1, 2, 3 (4 is jisheng, which does not collect phone); blank not keyed
    assert (rows["zzsb", "phone"]["values_keyed"], rows["zzsb", "phone"]["entities"]) == (2, 2)
    assert rows["zzsb", "phone"]["reentries"] == pytest.approx(2 / 3)
    assert rows["jzdj", "phone"]["reentries"] == pytest.approx(4 / 3)
    # a source that collects an attribute nobody else keys: a row with zero re-entries
    assert rows["jisheng", "gender"]["values_keyed"] == 2 and rows["jisheng", "gender"]["reentries"] == 0
    # per-record attributes are not re-entries; extras (备注) are not attributes
    assert ("jzdj", "registration_date") not in rows and len(rows) == 14


def test_seconds_and_hours(table):
    rows = fields(table)
    phone = rows["jzdj", "phone"]  # seconds_per_field overridden to 10; jzdj updates 4×/year (sources)
    assert (phone["seconds_per_field"], phone["updates_per_year"]) == (10.0, 4.0)
    assert phone["seconds"] == pytest.approx(4 / 3 * 10)
    assert phone["hours_per_year"] == pytest.approx(4 / 3 * 10 * 4 / 3600)
    assert rows["zzsb", "name"]["updates_per_year"] == 2.0          # burden by source key
    assert rows["jisheng_old", "name"]["updates_per_year"] == 3.0   # burden by system
    assert rows["lb_emp", "uscc"]["updates_per_year"] == 1.0        # default
    assert (rows["jzdj", "address"]["seconds_per_field"], rows["jzdj", "id_number"]["seconds_per_field"],
            rows["lb_emp", "name"]["seconds_per_field"]) == (20.0, 12.0, 10.0)


def test_communities(table):
    rows = {r["area"]: r for r in table("metric_community", "entity_type = 'person'")}
    # 桃源: records 1, 2 say so (the community column wins over the parsed 其他), so records 3
    # and 4 of the same person P1 count there too: all of P1's re-entries, name 3 + id 3 +
    # phone 2 + address 1.  福田: record 5 (parsed from its address) and P5's record 6.
    assert (rows["桃源"]["records"], rows["桃源"]["entities"]) == (4, 1)
    assert rows["桃源"]["reentries"] == pytest.approx(9)
    assert rows["桃源"]["seconds"] == pytest.approx(3 * 5 + 3 * 12 + 2 * 10 + 1 * 20)
    assert (rows["福田"]["records"], rows["福田"]["reentries"]) == (2, pytest.approx(2))
    assert "其他" not in rows
    assert (rows[None]["records"], rows[None]["reentries"]) == (3, pytest.approx(2))  # P7, P9
    assert {r["level"] for r in table("metric_community")} == {"community"}  # no grid column


def test_reentry_metrics(measured):
    _, metrics = measured
    totals = metrics["reentry"]["totals"]["person"]
    # name 5 + id_number 5 + phone 2 + address 1 + gender 0
    assert totals["reentries"] == pytest.approx(13, abs=1e-5)
    assert totals["values_keyed"] == 9 + 8 + 5 + 3 + 2
    first = metrics["reentry"]["by_attribute"][0]
    assert (first["entity_type"], first["attribute"]) == ("person", "id_number")
    by_system = {(r["entity_type"], r["system"]): r for r in metrics["reentry"]["by_system"]}
    assert by_system["person", "jisheng"]["reentries"] == pytest.approx(1.25 + 0.5 + 1.25 + 0.5)
    assert [r["area"] for r in metrics["communities"]] == ["桃源", "福田"]
