"""Redundancy figures on the hand-built fixture (see conftest for the records)."""


def by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


def test_per_source(table):
    rows = by(table("metric_source"), "source")
    # jzdj: records 1, 2, 5 → P1, P5; P1 keyed twice; both also held elsewhere
    assert {k: rows["jzdj"][k] for k in ("records", "entities", "within_duplicates",
                                         "shared_entities", "shared_share")} == {
        "records": 3, "entities": 2, "within_duplicates": 1, "shared_entities": 2, "shared_share": 1.0}
    # zzsb: P1, P5, P9; P9 only here
    assert rows["zzsb"]["shared_entities"] == 2 and abs(rows["zzsb"]["shared_share"] - 2 / 3) < 1e-9
    assert rows["jisheng_old"]["system"] == "jisheng" and rows["jisheng_old"]["title"] == "计生(旧)"
    assert (rows["lb_emp"]["entity_type"], rows["lb_emp"]["within_duplicates"],
            rows["lb_emp"]["shared_entities"]) == ("enterprise", 1, 0)


def test_per_system_groups_sources(table):
    rows = by(table("metric_system"), "entity_type", "system")
    # system jisheng = jisheng (4, 7) + jisheng_old (8): P7 twice inside the system, only P1 elsewhere
    assert {k: rows["person", "jisheng"][k] for k in ("records", "entities", "within_duplicates",
                                                      "shared_entities", "shared_share")} == {
        "records": 3, "entities": 2, "within_duplicates": 1, "shared_entities": 1, "shared_share": 0.5}
    assert rows["enterprise", "lb"]["records"] == 3


def test_pairs_include_zeros(table):
    rows = by(table("metric_source_pair"), "source_l", "source_r")
    assert len(rows) == 6  # 4 person sources → 6 pairs; lb_emp has no partner
    assert (rows["jzdj", "zzsb"]["shared_entities"], rows["jzdj", "zzsb"]["share_of_l"],
            round(rows["jzdj", "zzsb"]["share_of_r"], 6)) == (2, 1.0, 0.666667)
    assert (rows["jisheng", "jisheng_old"]["shared_entities"], rows["jisheng", "jisheng_old"]["share_of_l"],
            rows["jisheng", "jisheng_old"]["share_of_r"]) == (1, 0.5, 1.0)
    assert rows["jisheng_old", "zzsb"]["shared_entities"] == 0
    systems = by(table("metric_system_pair"), "system_l", "system_r")
    assert {k: v["shared_entities"] for k, v in systems.items()} == {
        ("jisheng", "jzdj"): 1, ("jisheng", "zzsb"): 1, ("jzdj", "zzsb"): 2}


def test_combinations(table):
    rows = by(table("metric_combination", "entity_type = 'person'"), "level", "members")
    assert {k[1]: (v["degree"], v["entities"], v["records"]) for k, v in rows.items()
            if k[0] == "source"} == {
        "jisheng+jzdj+zzsb": (3, 1, 4), "jzdj+zzsb": (2, 1, 2), "jisheng+jisheng_old": (2, 1, 2),
        "zzsb": (1, 1, 1)}
    assert {k[1]: v["entities"] for k, v in rows.items() if k[0] == "system"} == {
        "jisheng+jzdj+zzsb": 1, "jzdj+zzsb": 1, "jisheng": 1, "zzsb": 1}


def test_overview_and_distribution(measured):
    _, metrics = measured
    assert metrics["overview"]["person"] == {
        "records": 9, "entities": 4, "redundant_records": 5, "within_source_duplicates": 1,
        "cross_source_redundant": 4, "multi_source_entities": 3, "multi_system_entities": 2}
    assert metrics["overview"]["enterprise"]["redundant_records"] == 1
    dist = metrics["distribution"]["person"]
    assert dist["systems"] == {"1": 2, "2": 1, "3": 1}
    assert dist["sources"] == {"1": 1, "2": 2, "3": 1}
    assert dist["records"] == {"1": 1, "2": 2, "4": 1}
