"""Survivorship on the hand-built run: authority, then valid, then frequent, then recent.

Every test runs on both forms of the survivorship query (`Dialect.subquery_per_column`): one
subquery per column (DuckDB's) and the long form (Spark's), here both on DuckDB.
"""

import pytest

from linkage.engine import Scratch
from linkage.unify import golden
from linkage.unify.authority import FALLBACK, authority_relation
from linkage.unify.golden import golden_records
from linkage.unify.proposal import propose
from tests.conftest import FORMS, in_form

from .conftest import ID_A, USCC, make_engine


@pytest.fixture(params=FORMS)
def form(request) -> str:
    return request.param


def _golden(engine, entity: str) -> tuple[dict, dict]:
    with Scratch(engine) as scratch:
        authority, _ = authority_relation(engine, scratch)
        figures = golden_records(engine, propose(engine).schema, entity, authority)
    rows = engine.sql(f"SELECT * FROM golden_{entity} ORDER BY entity_id").to_dicts()
    return {r["entity_id"]: r for r in rows}, figures


@pytest.fixture(scope="module", params=FORMS)
def person(request):
    """(golden person records by entity id, figures) of the measured run, built once per form."""
    engine = in_form(make_engine(measured=True), request.param)
    yield _golden(engine, "person")
    engine.close()


def test_one_row_per_entity_with_lineage(person):
    golden, figures = person
    assert sorted(golden) == ["P0000000001", "P0000000004"]
    zhang = golden["P0000000001"]
    assert zhang["records"] == 4
    assert zhang["systems"] == ["jisheng", "jzdj"]
    assert zhang["name"] == "张伟" and zhang["name_source"] == "jzdj"
    assert zhang["id_number"] == ID_A and zhang["id_number_source"] == "jzdj"
    assert figures["entities"] == 2


def test_authoritative_source_wins(person):
    golden, _ = person
    # jisheng is rank 1 for phone: its 13800000002 beats jzdj's two different numbers
    assert golden["P0000000001"]["phone"] == "13800000002"
    assert golden["P0000000001"]["phone_source"] == "jisheng"


def test_valid_beats_more_recent_invalid(person):
    golden, _ = person
    # 李娜's phones are both from jzdj: the valid one (2024) beats the invalid, newer one (2027)
    assert golden["P0000000004"]["phone"] == "13900000000"


def test_frequent_beats_recent_and_recent_breaks_ties(person):
    golden, _ = person
    zhang = golden["P0000000001"]
    # gender 1 keyed twice (2024, 2025) beats gender 2 keyed once (2026)
    assert zhang["jzdj__gender"] == "1"
    # 房东姓名 李四 (2024) and 王五 (2025) once each: the most recent wins
    assert zhang["jzdj__fang_dong_xing_ming"] == "王五"
    assert zhang["jzdj__registration_date"] == "2026-01-01"
    assert zhang["jisheng__registration_date"] == "2023-05-05"


def test_year_month_dates_survive_as_iso_reduced_precision(person):
    golden, _ = person
    assert golden["P0000000004"]["jisheng__registration_date"] == "2023-06"


def test_nonconforming_values_never_survive(person):
    golden, figures = person
    # 李娜's only ID number has a bad check digit: no golden ID, one candidate kept out
    assert golden["P0000000004"]["id_number"] is None
    assert golden["P0000000004"]["id_number_source"] is None
    assert figures["candidates_not_conforming"] == 1


def test_extension_values_come_from_their_department_only(person):
    golden, _ = person
    li = golden["P0000000004"]
    assert li["jisheng__ethnicity"] == "01"
    assert li["jisheng__ethnicity_source"] == "jisheng"
    assert li["jzdj__fang_dong_xing_ming"] is None   # blank in every jzdj record


def test_values_from_authority_counts_rank_one_sources(person):
    _, figures = person
    # name (2 entities, jzdj rank 1), id_number P1 (jzdj), phone P1 (jisheng); P4 phone is jzdj
    # (rank 2) and the hand-made metric_authority does not rank address
    assert figures["values_from_authority"] == 4
    assert figures["values_chosen"] == 19


def test_fallback_ranks_by_fill_and_validity(engine, form):
    in_form(engine, form)
    scratch = Scratch(engine)
    authority, basis = authority_relation(engine, scratch)
    assert basis == "fill_and_validity"
    ranks = engine.sql(f"SELECT source, rank FROM {authority} "
                       "WHERE entity_type = 'person' AND attribute = 'phone' ORDER BY rank").rows()
    # phone: jzdj 4/5 filled × 3/4 valid = 0.6; jisheng 1/2 filled × all valid = 0.5
    assert ranks == [("jzdj", 1), ("jisheng", 2)]
    scratch.drop()
    assert FALLBACK not in engine.tables()
    golden, _ = _golden(engine, "person")
    # within jzdj, 13800000002 is held by two records (jzdj and jisheng), 13800000001 by one
    assert golden["P0000000001"]["phone"] == "13800000002"
    assert golden["P0000000001"]["phone_source"] == "jzdj"


def test_enterprise_golden(measured, form):
    golden, figures = _golden(in_form(measured, form), "enterprise")
    assert list(golden) == ["E0000000008"]
    row = golden["E0000000008"]
    assert (row["name"], row["uscc"], row["safety_supervisor"]) == ("甲公司", USCC, "王强")
    assert figures == {"entities": 1, "values_chosen": 3, "values_from_authority": 0,
                       "candidates_not_conforming": 0, "columns": 3}


def test_golden_without_records_columns_keeps_entities(engine, form):
    in_form(engine, form)
    engine.execute("ALTER TABLE records DROP COLUMN safety_supervisor")
    golden, figures = _golden(engine, "enterprise")
    # the column stays (the DDL expects it) but holds nulls
    row = golden["E0000000008"]
    assert (row["safety_supervisor"], row["safety_supervisor_source"]) == (None, None)
    assert row["name"] == "甲公司"
    assert figures["columns"] == 2


def test_entities_taken_in_ranges_give_the_same_table(monkeypatch, form):
    """A memory budget too small for every entity at once builds the table range by range:
    the same rows, in the same (entity_id) order, and the same figures."""
    engine, entity = in_form(make_engine(measured=True), form), "person"
    whole, figures = _golden(engine, entity)
    rows = engine.sql(f"SELECT * FROM golden_{entity}").to_dicts()
    monkeypatch.setattr(golden, "MIN_RANGE", 1)
    monkeypatch.setattr(engine, "memory_budget", lambda: 1)
    created, create = [], engine.create_table
    monkeypatch.setattr(engine, "create_table", lambda name, *a, **k: (created.append(name), create(name, *a, **k)))
    assert _golden(engine, entity) == (whole, figures)
    assert [n for n in created if n.startswith("_unify_golden_")] == ["_unify_golden_0", "_unify_golden_1"]
    assert engine.sql(f"SELECT * FROM golden_{entity}").to_dicts() == rows
    assert not [t for t in engine.tables() if t.startswith("_unify")]
    engine.close()


def test_numbers_tied_go_to_the_smallest_number(form):
    """Employees 10 and 9, keyed once each by the same source with no registration date: the
    tie goes to the smaller number, 9 (as text "10" would sort first)."""
    engine = in_form(make_engine(measured=True, employees=True), form)
    golden, figures = _golden(engine, "enterprise")
    row = golden["E0000000008"]
    assert (row["employees"], row["employees_source"]) == (9.0, "aqsc")
    assert figures["columns"] == 4
    engine.close()
