"""Phones: country codes, separators, several numbers per cell, mobile / landline / invalid,
local numbers completed with the area code of their place."""

import polars as pl
import pytest

from linkage.normalize.phones import complete_local_numbers, normalize_phone


def norm(*values):
    out = normalize_phone(pl.Series("phone", list(values), dtype=pl.Utf8))
    assert out["phone_written"].null_count() == len(values)  # filled only when completing
    return out.drop("phone_written")


def complete(values, area_codes):
    phones = normalize_phone(pl.Series("phone", values, dtype=pl.Utf8))
    return complete_local_numbers(phones, pl.Series(area_codes, dtype=pl.Utf8), "phone")


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


@pytest.mark.parametrize("raw", [
    "0755-50928397", "075-550928397", "07555-0928397", "0755 5092 8397", "(0755)50928397",
    "755-50928397", "86-755-50928397", "+86 755 50928397", "0086-755-50928397",
])
def test_landline_read_by_its_digits_wherever_the_separators_fall(raw):
    assert norm(raw).row(0) == ("075550928397", "075550928397", "landline", "valid")


def test_digits_0086_inside_a_number_are_no_country_code():
    assert norm("2000086", "13800138000/2000086")["phone_all"].to_list() == [
        "2000086", "13800138000;2000086"]


def test_area_code_split_off_by_a_space_in_a_cell_of_several_numbers():
    out = norm("0755 50928397 13800138000", "075 550928397 13800138000",
               "755 50928397 13800138000", "13800138000 010 62345678")
    assert out["phone_all"].to_list() == ["075550928397;13800138000"] * 3 + [
        "13800138000;01062345678"]
    # a word that is a number itself is not joined (two numbers: a mobile and a local one)
    assert norm("13800138000 50928397")["phone_all"].to_list() == ["13800138000;50928397"]
    # no known area code makes a landline of the two words: they stay apart
    assert norm("0123 4567890 13800138000")["phone_all"].to_list() == [
        "0123;4567890;13800138000"]


def test_local_numbers_get_the_area_code_of_their_place():
    out = complete(["50928397", "5092 8397", "0755-50928397", "13800138000/50928397",
                    "50928397", "50928397", None, "12345"],
                   ["0755", "0755", "0755", "0755", "010", None, "0755", "0755"])
    assert out["phone"].to_list() == ["075550928397", "075550928397", "075550928397",
                                      "13800138000", "01050928397", "50928397", None, "12345"]
    assert out["phone_all"].to_list() == [
        "075550928397", "075550928397", "075550928397", "13800138000;075550928397",
        "01050928397", "50928397", None, "12345"]
    assert out["phone_flag"].to_list() == ["area_code_added", "area_code_added", "valid",
                                           "valid", "area_code_added", "no_area_code", None,
                                           "invalid"]
    assert out["phone_written"].to_list() == ["50928397", "50928397", None, None, "50928397",
                                              None, None, None]
    assert out["phone_type"].to_list()[:6] == ["landline", "landline", "landline", "mobile",
                                               "landline", "landline"]


def test_completed_numbers_are_listed_once():
    # the number written whole is the first valid one; the local one completes to it
    out = complete(["50928397/0755-50928397"], ["0755"])
    assert out.row(0) == ("075550928397", "075550928397", "landline", "valid", None)
