"""The schema proposal and crosswalk on the hand-built run (tests/unify/conftest.py)."""

import polars as pl

from linkage.unify.proposal import propose, safe_name


def _table_of(schema: pl.DataFrame, entity: str, column: str) -> list[str]:
    return schema.filter((pl.col("entity_type") == entity) & (pl.col("column_name") == column))[
        "table_name"].sort().to_list()


def test_safe_name_is_pinyin_sql_identifier():
    assert safe_name("房东姓名") == "fang_dong_xing_ming"
    assert safe_name("暂住证号(新)") == "zan_zhu_zheng_hao_xin"
    assert safe_name("2号楼") == "c_2_hao_lou"
    assert safe_name("***") == "col"


def test_core_holds_identifying_and_shared_attributes(engine):
    schema = propose(engine).schema
    person_core = schema.filter(pl.col("table_name") == "person").sort("position")["column_name"].to_list()
    assert person_core == ["entity_id", "name", "id_number", "phone", "address", "address_division_code"]
    # one system collects enterprises: everything it holds is core
    enterprise_core = schema.filter(pl.col("table_name") == "enterprise")["column_name"].to_list()
    assert enterprise_core == ["entity_id", "name", "uscc", "safety_supervisor"]


def test_extensions_hold_what_one_department_collects(engine):
    schema = propose(engine).schema
    assert _table_of(schema, "person", "gender") == ["person_jzdj"]
    assert _table_of(schema, "person", "ethnicity") == ["person_jisheng"]
    assert _table_of(schema, "person", "marital_status") == ["person_jisheng"]
    # registration date is per-department metadata: one column in each extension
    assert _table_of(schema, "person", "registration_date") == ["person_jisheng", "person_jzdj"]
    extra = schema.filter(pl.col("header") == "房东姓名").to_dicts()
    assert [(r["table_name"], r["column_name"], r["sql_type"]) for r in extra] == [
        ("person_jzdj", "fang_dong_xing_ming", "VARCHAR")]
    # neither the all-blank column 备用 nor the row numbering 序号 is proposed
    assert schema.filter(pl.col("header").is_in(["备用", "序号"])).height == 0


def test_types_and_standards(engine):
    schema = propose(engine).schema
    rows = {(r["table_name"], r["column_name"]): r for r in schema.to_dicts()}
    assert rows[("person", "id_number")]["standard"] == "GB 11643-1999"
    assert rows[("person", "id_number")]["check_sql"] == "id_number SIMILAR TO '[0-9]{17}[0-9X]'"
    assert rows[("person_jzdj", "gender")]["standard"] == "GB/T 2261.1-2003"
    assert rows[("person_jisheng", "ethnicity")]["standard"] == "GB/T 3304-1991"
    assert rows[("person_jzdj", "registration_date")]["sql_type"] == "VARCHAR(10)"
    assert rows[("person_jzdj", "registration_date")]["check_sql"] == (
        "registration_date SIMILAR TO '[0-9]{4}-[0-9]{2}(-[0-9]{2})?'")
    assert rows[("enterprise", "uscc")]["standard"] == "GB 32100-2015"
    assert rows[("person", "address_division_code")]["standard"] == "GB/T 2260-2007"
    assert rows[("person", "address_division_code")]["check_sql"] == "address_division_code SIMILAR TO '[0-9]{6}'"
    assert rows[("person", "entity_id")]["nullable"] is False
    assert all(r["rationale_zh"] and r["rationale_en"] for r in rows.values())
    assert "计生(jisheng)、居住登记(jzdj)" in rows[("person", "name")]["rationale_zh"]


def test_crosswalk_has_every_source_column_with_its_target(engine):
    crosswalk = propose(engine).crosswalk
    assert crosswalk.height == 19
    targets = {(r["source"], r["source_column"]): r["target"] for r in crosswalk.to_dicts()}
    assert targets[("jzdj", "姓名")] == "person.name"
    assert targets[("jisheng", "身份证号码")] == "person.id_number"
    assert targets[("jzdj", "性别")] == "person_jzdj.gender"
    assert targets[("jisheng", "登记日期")] == "person_jisheng.registration_date"
    assert targets[("jzdj", "房东姓名")] == "person_jzdj.fang_dong_xing_ming"
    assert targets[("jzdj", "备用")] is None
    assert targets[("jzdj", "序号")] is None
    serial = crosswalk.filter(pl.col("source_column") == "序号").row(0, named=True)
    assert serial["rationale_en"] == "row numbering of the export, not a fact: not carried over"
    dropped = crosswalk.filter(pl.col("source_column") == "备用").row(0, named=True)
    assert dropped["rationale_en"] == "empty in the export: not carried over"
    assert dropped["transformation"] == "不迁移 / not carried over"
    assert crosswalk.filter(pl.col("source_column") == "民族")["transformation"][0].startswith("民族名称")
