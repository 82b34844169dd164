"""GB/T 2260 codes of parsed addresses."""

from linkage.engine import Scratch
from linkage.unify.divisions import TABLE, division_codes


def test_codes_as_precise_as_the_names_allow(engine):
    scratch = Scratch(engine)
    assert division_codes(engine, scratch, "person") == ["address"]
    codes = dict(engine.sql(f"SELECT record_id, code FROM {TABLE} ORDER BY record_id").rows())
    # record 3 (南山区 alone) gets no code: 深圳 and 鹤岗 both have a 南山区
    assert codes == {
        1: "440305",   # 广东省 深圳市 南山区
        4: "110101",   # 北京市 东城区 (a municipality: no city level)
        5: "440300",   # 广东省 深圳市, no district: the city's code
    }
    scratch.drop()
    assert TABLE not in engine.tables() and "_unify_divisions" not in engine.tables()


def test_no_address_parts_no_codes(engine):
    # the address columns exist, but no enterprise record has a parsed address
    with Scratch(engine) as scratch:
        assert division_codes(engine, scratch, "enterprise") == ["address"]
        assert engine.sql(f"SELECT count(*) AS n FROM {TABLE}")["n"][0] == 0
        engine.execute("ALTER TABLE records DROP COLUMN address_district")
        assert division_codes(engine, scratch, "person") == []
