"""Blocking planned from the attributes each source carries, and the coverage between sources."""

import polars as pl
from click.testing import CliRunner

from linkage.cli import main
from linkage.link.plan import coverage, plan_rules
from tests.conftest import REPO


def _fill(carried: dict[str, list[str]]) -> pl.DataFrame:
    keys = sorted({k for ks in carried.values() for k in ks})
    return pl.DataFrame([{"source": s, "attribute": k, "key": k, "fill": 1.0 if k in ks else 0.0}
                         for s, ks in carried.items() for k in keys])


SPARSE_CITY = {
    "residence": ["name_pinyin", "id_number", "phone", "birth_date", "address_key"],
    "labour": ["name_pinyin", "id_number", "employer_core"],     # name + ID + employer
    "grid": ["name_pinyin", "phone"],                            # name + phone
    "housing": ["name_pinyin", "address_key"],                   # name + address
}


def test_rules_follow_the_attributes_the_sources_carry():
    rules, reasons = plan_rules(_fill(SPARSE_CITY), "person")
    labels = [r.label for r in rules]
    assert labels[:3] == ["id_number", "name_pinyin + birth_date", "phone"]
    for segment in ("area6", "birth8", "seq3"):
        assert f"name_pinyin + id_number__{segment}" in labels
    assert "name_pinyin + employer_core" in labels and "birth_date + employer_core" in labels
    # two valid ID numbers decide alone: the rare-name rules are for pairs with a record without
    assert labels[-2:] == ["name_pinyin (≤32, unidentified)", "name (≤32, unidentified)"]
    assert "rare name" in reasons[-2] and "as written" in reasons[-1]
    enterprise, _ = plan_rules(_fill({"a": ["name_core", "name_core_pinyin", "phone"],
                                      "b": ["name_core", "name_core_pinyin"]}), "enterprise")
    assert [r.label for r in enterprise][-2:] == ["name_core (≤8)", "name_core_pinyin (≤8)"]
    # a legal representative alone where rare, where the sources carry one (an organisation
    # code one letter off can be valid: these rules keep pairs of identified records)
    enterprise, _ = plan_rules(_fill({"a": ["name_core", "legal_rep_pinyin", "uscc"],
                                      "b": ["name_core", "legal_rep_pinyin"]}), "enterprise")
    assert [r.label for r in enterprise][-1] == "legal_rep_pinyin (≤8)"
    # nobody carries a household address: no rule on it
    assert not [lab for lab in labels if "household" in lab]


def test_coverage_names_the_pairs_one_error_separates():
    fill = _fill(SPARSE_CITY)
    rules, _ = plan_rules(fill, "person")
    cover = {(r["source_l"], r["source_r"]): r for r in coverage(rules, fill, "person").to_dicts()}
    # residence and labour share name and ID: one wrong ID digit leaves name + two segments,
    # a mistyped name leaves the ID
    assert cover[("labour", "residence")]["fragile"] == ""
    # labour and grid share only the name: a typo in it leaves nothing
    assert cover[("grid", "labour")]["fragile"] == "name"
    assert cover[("grid", "residence")]["fragile"] == ""


def test_a_source_sharing_only_the_id_number_survives_a_typo_in_it():
    """A roster keyed by ID number alone meets the others only through that number: the rule
    on the corrected number (linkage.link.idfix) keeps it connected through one wrong digit,
    where the segment rules would need a name."""
    fill = _fill({**SPARSE_CITY, "roster": ["id_number"]})
    rules, reasons = plan_rules(fill, "person")
    labels = [r.label for r in rules]
    assert labels.index("id_number__fixed (unidentified)") == labels.index("phone") + 1
    assert "survives one wrong digit" in reasons[labels.index("id_number__fixed (unidentified)")]
    cover = {(r["source_l"], r["source_r"]): r for r in coverage(rules, fill, "person").to_dicts()}
    assert cover[("residence", "roster")]["shared"] == "id_number"
    assert cover[("residence", "roster")]["fragile"] == ""
    # without that rule the same pair would be fragile
    plain = [r for r in rules if r.label != "id_number__fixed (unidentified)"]
    cover = {(r["source_l"], r["source_r"]): r for r in coverage(plain, fill, "person").to_dicts()}
    assert cover[("residence", "roster")]["fragile"] == "id_number"


def test_without_an_id_number_no_segment_rules():
    rules, _ = plan_rules(_fill({"a": ["name_pinyin", "phone"], "b": ["name_pinyin", "phone"]}),
                          "person")
    assert [r.label for r in rules] == ["phone", "name_pinyin (≤32, unidentified)",
                                        "name (≤32, unidentified)"]


def test_plan_command_prints_rules_and_pairs():
    result = CliRunner().invoke(main, ["plan", str(REPO / "configs" / "demo.yaml")])
    assert result.exit_code == 0, result.output
    assert "person: 3,970 records in 8 sources" in result.output
    assert "name_pinyin + id_number__birth8" in result.output
    assert "planned from the data" in result.output
