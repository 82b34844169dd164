"""A hand-built linked run: two person systems (居住登记 jzdj, 计生 jisheng), one enterprise system.

Entities (clusters):
- P0000000001: records 1, 2, 6 (jzdj) and 3 (jisheng) — 张伟, ID 11010519491231002X
- P0000000004: records 4 (jisheng, ID with a bad check digit), 5 and 7 (jzdj) — 李娜
- E0000000008: records 8, 9 (aqsc) — 甲公司
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from linkage.engine import open_engine

ID_A = "11010519491231002X"
ID_B = "110105199001010011"
USCC = "91350100M000100Y43"


def _extras(values: dict | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False)


SOURCES = pl.DataFrame({
    "source": ["jzdj", "jisheng", "aqsc"], "system": ["jzdj", "jisheng", "aqsc"],
    "title": ["居住登记", "计生", "安全生产"], "entity_type": ["person", "person", "enterprise"],
    "rows_in": [5, 2, 2], "updates_per_year": [None, 4.0, None],
}, schema_overrides={"updates_per_year": pl.Float64})

SOURCE_COLUMNS = pl.DataFrame(
    [
        ("jzdj", 0, "姓名", "name", "synonym", 1.0, 1.0),
        ("jzdj", 1, "身份证号", "id_number", "synonym", 1.0, 0.8),
        ("jzdj", 2, "手机", "phone", "synonym", 1.0, 0.6),
        ("jzdj", 3, "性别", "gender", "synonym", 1.0, 1.0),
        ("jzdj", 4, "登记日期", "registration_date", "synonym", 1.0, 1.0),
        ("jzdj", 5, "房东姓名", None, "unmapped", 0.0, 0.4),
        ("jzdj", 6, "备用", None, "unmapped", 0.0, 0.0),
        ("jzdj", 7, "序号", None, "unmapped", 0.0, 1.0),
        ("jzdj", 8, "居住地址", "address", "synonym", 1.0, 0.4),
        ("jisheng", 0, "姓名", "name", "synonym", 1.0, 1.0),
        ("jisheng", 1, "身份证号码", "id_number", "synonym", 1.0, 1.0),
        ("jisheng", 2, "联系电话", "phone", "synonym", 1.0, 0.5),
        ("jisheng", 3, "民族", "ethnicity", "synonym", 1.0, 1.0),
        ("jisheng", 4, "婚姻状况", "marital_status", "synonym", 1.0, 0.5),
        ("jisheng", 5, "登记日期", "registration_date", "synonym", 1.0, 1.0),
        ("jisheng", 6, "现住址", "address", "synonym", 1.0, 1.0),
        ("aqsc", 0, "企业名称", "name", "synonym", 1.0, 1.0),
        ("aqsc", 1, "统一社会信用代码", "uscc", "synonym", 1.0, 0.5),
        ("aqsc", 2, "安全负责人", "safety_supervisor", "synonym", 1.0, 0.5),
    ],
    schema=["source", "column_index", "header", "attribute", "method", "confidence", "fill_rate"],
    orient="row",
)

RECORDS = pl.DataFrame(
    [
        # record_id, source, row, type, name, id, id_flag, phone, phone_flag, gender, gender_flag,
        # ethnicity, ethnicity_code, ethnicity_flag, marital, reg_date, extras, uscc, uscc_flag, safety
        (1, "jzdj", 1, "person", "张伟", ID_A, "valid", "13800000001", "valid", "1", "valid",
         None, None, None, None, "2024-01-01", _extras({"房东姓名": "李四", "备用": None}), None, None, None),
        (2, "jzdj", 2, "person", "张伟", ID_A, "valid", "13800000002", "valid", "1", "valid",
         None, None, None, None, "2025-01-01", _extras({"房东姓名": "王五", "备用": None}), None, None, None),
        (3, "jisheng", 1, "person", "张伟", ID_A, "valid", "13800000002", "valid", None, None,
         "汉族", "01", "valid", "已婚", "2023-05-05", _extras({}), None, None, None),
        (4, "jisheng", 2, "person", "李娜", ID_B, "bad_check_digit", None, None, None, None,
         "汉族", "01", "valid", None, "2023-06", _extras({}), None, None, None),
        (5, "jzdj", 3, "person", "李娜", None, None, "13900000000", "valid", "2", "valid",
         None, None, None, None, "2024-02-02", _extras({"房东姓名": None, "备用": None}), None, None, None),
        (6, "jzdj", 4, "person", "张伟", ID_A, "valid", None, None, "2", "valid",
         None, None, None, None, "2026-01-01", _extras({"房东姓名": None, "备用": None}), None, None, None),
        (7, "jzdj", 5, "person", "李娜", None, None, "1390000", "invalid", None, None,
         None, None, None, None, "2027-01-01", _extras({"房东姓名": None, "备用": None}), None, None, None),
        (8, "aqsc", 1, "enterprise", "甲公司", None, None, None, None, None, None,
         None, None, None, None, None, None, USCC, "valid", None),
        (9, "aqsc", 2, "enterprise", "甲公司", None, None, None, None, None, None,
         None, None, None, None, None, None, None, None, "王强"),
    ],
    schema={"record_id": pl.Int64, "source": pl.Utf8, "source_row": pl.Int64, "entity_type": pl.Utf8,
            "name": pl.Utf8, "id_number": pl.Utf8, "id_number_flag": pl.Utf8, "phone": pl.Utf8,
            "phone_flag": pl.Utf8, "gender": pl.Utf8, "gender_flag": pl.Utf8, "ethnicity": pl.Utf8,
            "ethnicity_code": pl.Utf8, "ethnicity_flag": pl.Utf8, "marital_status": pl.Utf8,
            "registration_date": pl.Utf8, "extras": pl.Utf8, "uscc": pl.Utf8, "uscc_flag": pl.Utf8,
            "safety_supervisor": pl.Utf8},
    orient="row",
)

ADDRESSES = pl.DataFrame(
    [(1, "广东省深圳市南山区桃园路1号", "parsed", "广东省", "深圳市", "南山区"),
     (3, "南山区桃园路1号", "partial", None, None, "南山区"),          # two counties are called 南山区
     (4, "北京市东城区东四路2号", "parsed", "北京市", None, "东城区"),
     (5, "广东省深圳市", "partial", "广东省", "深圳市", None)],
    schema=["record_id", "address", "address_flag", "address_province", "address_city", "address_district"],
    orient="row", schema_overrides={"record_id": pl.Int64},
)
RECORDS = RECORDS.join(ADDRESSES, on="record_id", how="left")

ENTITY_OF = {1: "P0000000001", 2: "P0000000001", 3: "P0000000001", 6: "P0000000001",
             4: "P0000000004", 5: "P0000000004", 7: "P0000000004",
             8: "E0000000008", 9: "E0000000008"}

# hand-made measure tables (linkage.measure writes the real ones)
AUTHORITY = pl.DataFrame(
    [("person", "name", "jzdj", 1), ("person", "name", "jisheng", 2),
     ("person", "id_number", "jzdj", 1), ("person", "id_number", "jisheng", 2),
     ("person", "phone", "jisheng", 1), ("person", "phone", "jzdj", 2)],
    schema=["entity_type", "attribute", "source", "rank"], orient="row",
)
REENTRY = pl.DataFrame(
    [("person", "name", "jzdj", "jzdj", 4, 2.0, 1.0), ("person", "name", "jisheng", "jisheng", 2, 1.0, 0.5),
     ("person", "phone", "jzdj", "jzdj", 3, 1.0, 2.0), ("person", "phone", "jisheng", "jisheng", 1, 0.5, 1.0),
     ("person", "gender", "jzdj", "jzdj", 3, 0.5, 0.25)],
    schema=["entity_type", "attribute", "system", "source", "values_keyed", "reentries", "hours_per_year"],
    orient="row",
)


def _clusters() -> pl.DataFrame:
    return RECORDS.select(
        "record_id", "source", "source_row", "entity_type",
        pl.col("record_id").replace_strict(ENTITY_OF, return_dtype=pl.Utf8).alias("entity_id"))


def make_engine(measured: bool, engine=None, employees: bool = False):
    """The linked run in `engine` (default: a new in-memory one); with `measured`, also
    metric_authority and metric_field_reentry as linkage.measure writes them (else unify falls
    back to its own); with `employees`, 甲公司's two records also carry employees 10 and 9 (the
    same source, no registration date: a tie of numbers)."""
    eng = engine if engine is not None else open_engine()
    columns, records = SOURCE_COLUMNS, RECORDS
    if employees:
        columns = pl.concat([columns, pl.DataFrame(
            [("aqsc", 3, "从业人数", "employees", "synonym", 1.0, 1.0)],
            schema=columns.schema, orient="row")])
        records = records.with_columns(employees=pl.col("record_id").replace_strict(
            {8: "10", 9: "9"}, default=None, return_dtype=pl.Utf8))
    eng.load("sources", SOURCES)
    eng.load("source_columns", columns)
    eng.load("records", records)
    eng.load("clusters", _clusters())
    if measured:
        eng.load("metric_authority", AUTHORITY)
        eng.load("metric_field_reentry", REENTRY)
    return eng


@pytest.fixture
def engine():
    eng = make_engine(measured=False)
    yield eng
    eng.close()


@pytest.fixture
def measured():
    eng = make_engine(measured=True)
    yield eng
    eng.close()
