"""Telephone area codes of places: the packaged table against its source, lookups by place and hint."""

import phonenumbers
import polars as pl
import pytest
from phonenumbers import PhoneNumberType, geocoder

from linkage.normalize.address.divisions import divisions
from linkage.normalize.area_codes import (
    AREA_CODES, area_code_of_hint, area_codes_of, load_area_codes,
)


def _fixed_line(code: str) -> phonenumbers.PhoneNumber | None:
    """A valid fixed-line number under `code` (subscriber numbers differ by area), if any."""
    for subscriber in ("62345678", "2345678", "82345678", "3234567", "5234567"):
        number = phonenumbers.parse(f"+86{code[1:]}{subscriber}")
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
                PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
            return number
    return None


def test_every_code_is_a_fixed_line_area_code_that_libphonenumber_names():
    table = load_area_codes()
    assert table["area_code"].n_unique() >= 300
    for code in table["area_code"].unique().to_list():
        number = _fixed_line(code)
        assert number is not None and geocoder.description_for_number(number, "zh"), code


def test_table_names_divisions_as_the_address_normalizer_writes_them():
    table = load_area_codes()
    known = set(divisions()["code"].cast(pl.Utf8).to_list())
    assert set(table["code"].to_list()) <= known
    assert table.filter(pl.col("code") == "4403").row(0, named=True) == {
        "area_code": "0755", "code": "4403", "province": "广东省", "city": "深圳市",
        "district": None}
    # most prefectures have their code (the README lists the ones the source lacks)
    assert table.filter(pl.col("code").str.len_chars() == 4).height >= 320


@pytest.mark.parametrize("province, city, district, code", [
    ("广东省", "深圳市", "南山区", "0755"),
    ("广东省", "深圳市", None, "0755"),
    ("北京市", "北京市", "朝阳区", "010"),
    ("重庆市", "重庆市", "巫山县", "023"),
    ("湖北省", None, "仙桃市", "0728"),          # a county-level city no prefecture holds
    ("辽宁省", "铁岭市", "银州区", "024"),       # one code for four prefectures
    ("湖南省", "株洲市", None, "0731"),          # misspelt 株州 in the source
    ("湖北省", "襄阳市", None, "0710"),
    ("云南省", "迪庆藏族自治州", "德钦县", "0887"),  # the source names 香格里拉市 and 迪庆
    ("山西省", "晋中市", None, None),            # two codes: 0354 and 0358
    ("广东省", None, None, None),
    (None, None, None, None),
])
def test_area_code_of_a_place(province, city, district, code):
    found = area_codes_of(pl.Series([province], dtype=pl.Utf8), pl.Series([city], dtype=pl.Utf8),
                          pl.Series([district], dtype=pl.Utf8))
    assert found.to_list() == [code]


@pytest.mark.parametrize("hint, code", [
    ("深圳市", "0755"), ("深圳", "0755"), ("广东省深圳市", "0755"), ("北京", "010"),
    ("巫山县", "023"), ("仙桃市", "0728"),
    ("南山区", None),   # in 深圳 (0755) and 鹤岗 (0468)
    ("鼓楼区", None), ("广东省", None), (None, None), ("火星", None),
])
def test_area_code_of_a_region_hint(hint, code):
    assert area_code_of_hint(hint) == code


def test_known_codes_pattern():
    codes = AREA_CODES.split("|")
    assert {"10", "20", "755", "728", "898"} <= set(codes) and "978" not in codes
    assert len(codes) == load_area_codes()["area_code"].n_unique()
