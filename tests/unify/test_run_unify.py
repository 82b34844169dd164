"""run_unify end to end on the hand-built run: files, tables, metrics keys, DDL round trip."""

import json

import duckdb
import jsonschema
import pglast
import polars as pl
import pytest

from linkage.unify import run_unify
from linkage.unify.ddl import load_statements

from .conftest import make_engine


@pytest.fixture(scope="module")
def unified(tmp_path_factory):
    """(engine, summary, output folder) of run_unify on the measured run, run once."""
    engine, out = make_engine(measured=True), tmp_path_factory.mktemp("unify")
    yield engine, run_unify(engine, {}, out), out
    engine.close()


def test_files_and_tables(unified):
    engine, summary, out = unified
    assert summary["files"] == ["unified_schema.sql", "unified_schema.json", "crosswalk.csv",
                                "golden_enterprise.parquet", "golden_person.parquet"]
    assert all((out / f).exists() for f in summary["files"])
    for table in ("unified_schema", "crosswalk", "golden_person", "golden_enterprise", "collect_once"):
        assert table in engine.tables()
    assert not [t for t in engine.tables() if t.startswith("_unify")]
    crosswalk = pl.read_csv(out / "crosswalk.csv")
    assert crosswalk.columns[:5] == ["source", "source_column", "attribute", "transformation", "target"]
    assert crosswalk.height == 19


def test_summary_keys(unified):
    _, summary, _ = unified
    assert summary["crosswalk"] == {"source_columns": 19, "mapped": 16, "unmapped": 3, "to_core": 11,
                                    "to_extension": 6, "dropped": 2}
    person = summary["schema"]["person"]
    assert person["core_columns"] == ["entity_id", "name", "id_number", "phone", "address",
                                      "address_division_code"]
    assert person["extension_tables"] == {
        "person_jisheng": {"system": "jisheng",
                           "columns": ["entity_id", "ethnicity", "marital_status", "registration_date"]},
        "person_jzdj": {"system": "jzdj",
                        "columns": ["entity_id", "gender", "registration_date", "fang_dong_xing_ming"]}}
    assert summary["golden"]["authority_basis"] == "metric_authority"
    assert summary["golden"]["entity_types"]["person"]["entities"] == 2
    assert summary["collect_once"]["hours_per_year_saved"] == pytest.approx(4.5)
    json.dumps(summary, ensure_ascii=False)


def test_ddl_is_postgresql_syntax(unified):
    _, _, out = unified
    statements = pglast.parse_sql((out / "unified_schema.sql").read_text(encoding="utf-8"))
    kinds = [type(s.stmt).__name__ for s in statements]
    assert kinds.count("CreateStmt") == 8      # 2 core, 2 extensions, 2 × (value_source, source_record)
    assert "CommentStmt" in kinds


@pytest.fixture(scope="module")
def loaded(unified):
    """A fresh DuckDB with unified_schema.sql run and the golden parquet files loaded into it."""
    engine, _, out = unified
    engine.export_parquet("clusters", out / "clusters.parquet")
    con = duckdb.connect()
    con.execute((out / "unified_schema.sql").read_text(encoding="utf-8"))
    for entity in ("person", "enterprise"):
        for statement in load_statements(engine.sql("SELECT * FROM unified_schema"), entity,
                                         f"read_parquet('{out}/golden_{entity}.parquet')",
                                         f"read_parquet('{out}/clusters.parquet')"):
            con.execute(statement)
    yield con
    con.close()


def test_golden_records_load_through_the_ddl(loaded):
    con = loaded
    assert con.execute("SELECT * FROM person ORDER BY 1").fetchall() == [
        ("P0000000001", "张伟", "11010519491231002X", "13800000002", "广东省深圳市南山区桃园路1号", "440305"),
        ("P0000000004", "李娜", None, "13900000000", "北京市东城区东四路2号", "110101")]
    assert con.execute("SELECT count(*) FROM person_jzdj").fetchall()[0][0] == 2
    assert con.execute("SELECT gender, registration_date FROM person_jzdj "
                       "WHERE entity_id = 'P0000000001'").fetchall()[0] == ("1", "2026-01-01")
    assert con.execute("SELECT ethnicity FROM person_jisheng ORDER BY entity_id").fetchall() == [("01",), ("01",)]
    assert con.execute("SELECT source FROM person_value_source WHERE entity_id = 'P0000000001' "
                       "AND column_name = 'phone'").fetchall()[0] == ("jisheng",)
    assert con.execute("SELECT count(*) FROM person_source_record").fetchall()[0][0] == 7
    assert con.execute("SELECT uscc FROM enterprise").fetchall()[0] == ("91350100M000100Y43",)


def test_loaded_tables_validate_against_json_schema(unified, loaded):
    _, _, out = unified
    document = json.loads((out / "unified_schema.json").read_text(encoding="utf-8"))
    tables = {t: pl.from_arrow(loaded.sql(f"SELECT * FROM {t}").to_arrow_table()).to_dicts()
              for t in document["properties"]}
    assert set(tables) == {"person", "person_jisheng", "person_jzdj", "enterprise", "person_value_source",
                           "person_source_record", "enterprise_value_source", "enterprise_source_record"}
    assert len(tables["person_jzdj"]) == 2
    jsonschema.validate(tables, document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"person": [{"entity_id": "P1", "id_number": "123"}]}, document)
