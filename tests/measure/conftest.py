"""A hand-built linked run: sources, source_columns, records and clusters in an in-memory engine.

Persons (clusters in brackets):
  P1 = records 1, 2 (jzdj), 3 (zzsb), 4 (jisheng)   name 张伟 except 3 = 张玮; phones 0001/0002/0001
  P5 = records 5 (jzdj), 6 (zzsb)                     李娜
  P7 = records 7 (jisheng), 8 (jisheng_old)           王芳, ID with a bad check digit
  P9 = record 9 (zzsb)                                赵六, invalid phone, no ID
Enterprises: E10 = records 10, 11 (lb_emp); E12 = record 12 (lb_emp, bad USCC check).
Systems: jisheng and jisheng_old are one system "jisheng"; lb_emp is system "lb".
Every figure the tests expect is worked out by hand in the test that asserts it.
"""

from __future__ import annotations

import polars as pl
import pytest

from linkage.engine import open_engine
from linkage.measure import BurdenSettings, run_measure

ID_A, ID_B, ID_C = "11010519491231002X", "440305198503021126", "440305199001011235"

SOURCES = [  # source, system, title, entity_type, updates_per_year
    ("jzdj", "jzdj", "居住登记", "person", 4.0),
    ("zzsb", "zzsb", "自主申报", "person", None),
    ("jisheng", "jisheng", "计生", "person", None),
    ("jisheng_old", "jisheng", "计生(旧)", "person", None),
    ("lb_emp", "lb", "劳保单位", "enterprise", None),
]
COLLECTS = {
    "jzdj": ["name", "id_number", "phone", "address", "registration_date", None],
    "zzsb": ["name", "id_number", "phone"],
    "jisheng": ["name", "id_number", "gender"],
    "jisheng_old": ["name", "id_number"],
    "lb_emp": ["name", "uscc"],
}
RECORD_COLUMNS = ("record_id source entity_type name id_number id_number_flag phone phone_flag "
                  "address address_key address_flag address_community community gender gender_flag "
                  "registration_date registration_date_flag uscc uscc_flag").split()
N = None
RECORDS = [
    (1, "jzdj", "person", "张伟", ID_A, "valid", "13800000001", "valid", "桃源路1号", "k1", "parsed",
     "其他", "桃源", N, N, "2020-01-01", "valid", N, N),
    (2, "jzdj", "person", "张伟", ID_A, "valid", "13800000002", "valid", "桃源路1号之一", "k1",
     "partial", N, "桃源", N, N, "2021-01-01", "valid", N, N),
    (3, "zzsb", "person", "张玮", ID_A, "valid", "13800000001", "valid", N, N, N, N, N, N, N, N, N, N, N),
    (4, "jisheng", "person", "张伟", ID_A, "valid", N, N, N, N, N, N, N, "1", "valid", N, N, N, N),
    (5, "jzdj", "person", "李娜", ID_B, "valid", "13900000009", "valid", "某地", "k5", "unparsed",
     "福田", N, N, N, N, N, N, N),
    (6, "zzsb", "person", "李娜", ID_B, "valid", N, N, N, N, N, N, N, N, N, N, N, N, N),
    (7, "jisheng", "person", "王芳", ID_C, "bad_check_digit", N, N, N, N, N, N, N, "2", "valid",
     N, N, N, N),
    (8, "jisheng_old", "person", "王芳", ID_C, "bad_check_digit", N, N, N, N, N, N, N, N, N, N, N, N, N),
    (9, "zzsb", "person", "赵六", N, N, "1370000000", "invalid", N, N, N, N, N, N, N, N, N, N, N),
    (10, "lb_emp", "enterprise", "某公司", N, N, N, N, N, N, N, N, N, N, N, N, N, "U1", "valid"),
    (11, "lb_emp", "enterprise", "某公司", N, N, N, N, N, N, N, N, N, N, N, N, N, "U1", "valid"),
    (12, "lb_emp", "enterprise", "另公司", N, N, N, N, N, N, N, N, N, N, N, N, N, "U2", "bad_check"),
]
CLUSTERS = {1: "P000000001", 2: "P000000001", 3: "P000000001", 4: "P000000001",
            5: "P000000005", 6: "P000000005", 7: "P000000007", 8: "P000000007",
            9: "P000000009", 10: "E000000010", 11: "E000000010", 12: "E000000012"}
BURDEN = BurdenSettings(seconds_per_field={"phone": 10},
                        updates_per_year={"zzsb": 2, "jisheng": 3})


def load_fixture(engine) -> None:
    engine.load("sources", pl.DataFrame(
        [{"source": s, "system": y, "title": t, "entity_type": e, "updates_per_year": u}
         for s, y, t, e, u in SOURCES],
        schema={"source": pl.Utf8, "system": pl.Utf8, "title": pl.Utf8, "entity_type": pl.Utf8,
                "updates_per_year": pl.Float64}))
    engine.load("source_columns", pl.DataFrame(
        [{"source": s, "column_index": i, "header": a or "备注", "attribute": a,
          "method": "synonym" if a else "unmapped"}
         for s, attrs in COLLECTS.items() for i, a in enumerate(attrs)],
        schema={"source": pl.Utf8, "column_index": pl.Int64, "header": pl.Utf8,
                "attribute": pl.Utf8, "method": pl.Utf8}))
    records = pl.DataFrame(RECORDS, schema=RECORD_COLUMNS, orient="row",
                           schema_overrides={"record_id": pl.Int64})
    engine.load("records", records.with_columns(source_row=pl.col("record_id")))
    engine.load("clusters", records.select(
        "record_id", "source", pl.col("record_id").alias("source_row"), "entity_type",
        pl.col("record_id").replace_strict(CLUSTERS, return_dtype=pl.Utf8).alias("entity_id")))


@pytest.fixture(scope="package")
def measured():
    """(engine, metrics) after run_measure on the fixture."""
    engine = open_engine()
    load_fixture(engine)
    metrics = run_measure(engine, BURDEN, "zh")
    yield engine, metrics
    engine.close()


@pytest.fixture
def table(measured):
    """table(name, order_by) → the metric table as a list of dicts."""
    engine, _ = measured

    def _table(name: str, where: str = "true") -> list[dict]:
        return engine.sql(f"SELECT * FROM {name} WHERE {where}").to_dicts()

    return _table
