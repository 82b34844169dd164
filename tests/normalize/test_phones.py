"""Phones: country codes, separators, several numbers per cell, mobile / landline / invalid."""

import polars as pl
import pytest

from linkage.normalize.phones import normalize_phone


def norm(*values):
    return normalize_phone(pl.Series("phone", list(values), dtype=pl.Utf8))


@pytest.mark.parametrize("raw", [
    "13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+8613800138000",
    "0086 138 0013 8000", "86-13800138000", "１３８００１３８０００", "手机:13800138000",
    "13800138000 转 12", "tel: 138 0013 8000 ext 12", "(+86)13800138000",
])
def test_mobile_spellings(raw):
    out = norm(raw)
    assert out.row(0) == ("13800138000", "13800138000", "mobile", "valid")


@pytest.mark.parametrize("raw, number", [
    ("0755-88888888", "075588888888"),
    ("(0755)8888 8888", "075588888888"),
    ("０７５５－８８８８８８８８", "075588888888"),
    ("010-12345678", "01012345678"),
    ("+86 755 8888 8888", "075588888888"),
    ("0755-88888888转123", "075588888888"),
])
def test_landlines_keep_their_area_code(raw, number):
    assert norm(raw).row(0) == (number, number, "landline", "valid")


def test_several_numbers_in_one_cell():
    out = norm("13800138000/13900139000", "13800138000、0755-88888888", "13800138000 13900139000",
               "1380013800013900139000", "13800138000或13900139000", "13800138000；13800138000")
    assert out["phone"].to_list() == ["13800138000"] * 6
    assert out["phone_all"].to_list() == [
        "13800138000;13900139000", "13800138000;075588888888", "13800138000;13900139000",
        "13800138000;13900139000", "13800138000;13900139000", "13800138000",
    ]


def test_first_valid_number_wins():
    out = norm("12345/13900139000")
    assert out.row(0) == ("13900139000", "12345;13900139000", "mobile", "valid")


def test_local_service_invalid_and_placeholders():
    out = norm("8888-1234", "400-800-8888", "12345", "1380013800", "abc", "无", "/", None,
               "00000000")
    assert out["phone"].to_list() == ["88881234", "4008008888", "12345", "1380013800", "abc",
                                      None, None, None, None]
    assert out["phone_type"].to_list() == ["landline", "service", None, None, None, None, None,
                                           None, None]
    assert out["phone_flag"].to_list() == ["no_area_code", "valid", "invalid", "invalid",
                                           "invalid", None, None, None, None]


def test_fast_and_slow_paths_mix_in_order():
    out = norm("13800138000", "138 0013 8001", "075588888888", "abc", None)
    assert out["phone"].to_list() == ["13800138000", "13800138001", "075588888888", "abc", None]
