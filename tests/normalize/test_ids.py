"""Citizen ID numbers: cleaning, 15 → 18 digits, check digit, date, lenient area code, derived."""

import polars as pl
import pytest
from stdnum.iso7064 import mod_11_2

from linkage.normalize.ids import FLAGS, check_characters, normalize_id_number

VALID = "11010519491231002X"      # the GB 11643 example number
LEGACY = "110105491231002"         # its 15-digit form


def norm(*values, derive=True):
    return normalize_id_number(pl.Series("id_number", list(values), dtype=pl.Utf8), derive=derive)


@pytest.mark.parametrize("raw", [
    "11010519491231002X", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ",
    "110105 19491231 002X", "110105-19491231-002x", "'11010519491231002X", " 11010519491231002×",
    "110105491231002",
])
def test_spellings_of_one_number(raw):
    out = norm(raw)
    assert out["id_number"].to_list() == [VALID]
    assert out["id_number_flag"].to_list() == ["valid"]


def test_legacy_15_digit_upgrade_is_marked():
    out = norm(LEGACY, VALID)
    assert out["id_number"].to_list() == [VALID, VALID]
    assert out["id_number_legacy"].to_list() == [True, False]


@pytest.mark.parametrize("raw, flag", [
    ("110105194912310021", "bad_check_digit"),
    ("110105194902300028", "bad_date"),        # 30 February
    ("110105219912310023", "bad_date"),        # born in 2199
    ("110105187001010011", "bad_date"),        # before 1880
    ("11010519491231002", "wrong_length"),
    ("1101051949123100211", "wrong_length"),
    ("1101054912310", "wrong_length"),
    ("张三", "not_an_id"),
    ("11010519491231X02X", "not_an_id"),
    ("E12345678", "not_an_id"),                # a passport number in the ID column
])
def test_flags(raw, flag):
    assert norm(raw)["id_number_flag"].to_list() == [flag]
    assert flag in FLAGS


def test_invalid_values_are_kept_and_placeholders_blanked():
    out = norm("110105194912310021", "张三", "000000000000000000", "无", "", None)
    assert out["id_number"].to_list() == ["110105194912310021", "张三", None, None, None, None]
    assert out["id_number_flag"].to_list() == ["bad_check_digit", "not_an_id", None, None, None,
                                               None]


def test_area_code_is_lenient_for_abolished_codes():
    # 440321 was 深圳市宝安县 until 1993; python-stdnum's strict cn.ric rejects it
    body = "44032119850302123"
    number = body + mod_11_2.calc_check_digit(body)
    out = norm(number, "99010119850302123" + mod_11_2.calc_check_digit("99010119850302123"))
    assert out["id_number_flag"].to_list() == ["valid", "valid"]
    assert out["id_region"].to_list() == ["广东省深圳市宝安县", None]  # named as it was


def test_derived_birth_date_gender_region():
    out = norm(VALID, "440305198503021234", "110105194902300028", None)
    assert out["id_birth_date"].to_list() == ["1949-12-31", "1985-03-02", None, None]
    assert out["id_gender"].to_list() == ["2", "1", None, None]
    assert out["id_region"].to_list() == ["北京市朝阳区", "广东省深圳市南山区", None, None]
    assert norm(VALID, derive=False).columns == ["id_number", "id_number_flag", "id_number_legacy"]


def test_check_characters_agree_with_stdnum():
    bodies = [f"{i * 7919 % 999999:06d}19{i % 100:02d}0{1 + i % 9}1{i % 28 + 1:02d}{i % 1000:03d}"
              for i in range(300)]
    bodies = [b[:17] for b in bodies]
    expected = [mod_11_2.calc_check_digit(b) for b in bodies]
    assert check_characters(pl.Series(bodies)).to_list() == expected
    assert check_characters(pl.Series(["123", None, "1101051949123100A"])).to_list() == [None] * 3
