"""Gender (GB/T 2261.1) with the ID cross-check, and ethnicity (GB/T 3304)."""

import polars as pl
import pytest

from linkage.normalize.codes import (
    ETHNICITY_TABLE, cross_check_gender, normalize_ethnicity, normalize_gender,
)


def series(name, *values):
    return pl.Series(name, list(values), dtype=pl.Utf8)


@pytest.mark.parametrize("raw, code", [
    ("男", "1"), ("男性", "1"), (" 男 ", "1"), ("M", "1"), ("m", "1"), ("Male", "1"), ("1", "1"),
    ("女", "2"), ("女性", "2"), ("F", "2"), ("female", "2"), ("2", "2"), ("２", "2"),
    ("0", "0"), ("9", "9"), ("未说明", "9"),
])
def test_gender_codes(raw, code):
    assert normalize_gender(series("gender", raw)).row(0) == (code, "valid")


def test_gender_invalid_kept_blank_null():
    out = normalize_gender(series("gender", "男女", "X", "不详", "", None))
    assert out["gender"].to_list() == ["男女", "X", None, None, None]
    assert out["gender_flag"].to_list() == ["invalid", "invalid", None, None, None]


def test_gender_cross_checked_with_id():
    gender = normalize_gender(series("gender", "男", "女", "男", "0", "男女", None))
    id_gender = pl.Series(["2", "2", None, "1", "1", "1"])
    out = cross_check_gender(gender, id_gender, "gender")
    assert out["gender_flag"].to_list() == ["conflicts_with_id", "valid", "valid", "valid",
                                            "invalid", None]


@pytest.mark.parametrize("raw, name, code", [
    ("汉", "汉族", "01"), ("汉族", "汉族", "01"), ("漢族", "汉族", "01"), ("01", "汉族", "01"),
    ("1", "汉族", "01"), ("HA", "汉族", "01"), ("ha", "汉族", "01"), (" 汉 族 ", "汉族", "01"),
    ("蒙古", "蒙古族", "02"), ("维吾尔", "维吾尔族", "05"), ("维族", "维吾尔族", "05"),
    ("土家族", "土家族", "15"), ("土", "土族", "30"), ("朝鲜族", "朝鲜族", "10"),
    ("基诺族", "基诺族", "56"), ("56", "基诺族", "56"), ("其他", "其他", "97"),
    ("外国血统中国籍人士", "外国血统中国籍人士", "98"),
])
def test_ethnicity(raw, name, code):
    assert normalize_ethnicity(series("ethnicity", raw)).row(0) == (name, code, "valid")


def test_ethnicity_invalid_and_blank():
    out = normalize_ethnicity(series("ethnicity", "火星族", "99", "无", None))
    assert out.rows() == [("火星族", None, "invalid"), ("99", None, "invalid"),
                          (None, None, None), (None, None, None)]


def test_all_56_ethnic_groups_with_distinct_codes():
    groups = {v for v in ETHNICITY_TABLE.values() if int(v[1]) <= 56}
    assert len(groups) == 56
    assert len({code for _, code in groups}) == 56
    assert all(name.endswith("族") for name, _ in groups)
