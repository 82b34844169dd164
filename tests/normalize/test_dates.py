"""Dates: the many spellings, Excel serials, partial dates, impossible dates."""

import polars as pl
import pytest

from linkage.normalize.dates import normalize_date


def norm(*values):
    return normalize_date(pl.Series("birth_date", list(values), dtype=pl.Utf8))


@pytest.mark.parametrize("raw", [
    "19850302", "1985-3-2", "1985-03-02", "1985/03/02", "1985/3/2", "1985.3.2", "1985年3月2日",
    "1985年03月02号", "一九八五年三月二日", "1985-03-02 00:00:00", "1985-03-02T08:30:00",
    " 1985 - 03 - 02 ", "１９８５－０３－０２", "31108", "31108.0",
])
def test_full_dates(raw):
    out = norm(raw)
    assert out.row(0) == ("1985-03-02", "valid")


def test_day_month_order_only_when_unambiguous():
    out = norm("13/2/1985", "2/13/1985", "2/3/1985", "3/3/1985")
    assert out["birth_date"].to_list() == ["1985-02-13", "1985-02-13", "2/3/1985", "1985-03-03"]
    assert out["birth_date_flag"].to_list() == ["valid", "valid", "invalid", "valid"]


def test_chinese_numerals_with_tens():
    assert norm("二〇〇一年十二月三十一日", "一九九〇年十月十日")["birth_date"].to_list() == [
        "2001-12-31", "1990-10-10"]


def test_partial_dates():
    out = norm("1985-03", "198503", "1985年3月", "1985.3", "1985年", "1985")
    assert out["birth_date"].to_list() == ["1985-03"] * 4 + ["1985", "1985"]
    assert out["birth_date_flag"].to_list() == ["partial"] * 6


def test_excel_serials():
    out = norm("1", "59", "60", "61", "31108", "45658")
    assert out["birth_date"].to_list() == ["1900-01-01", "1900-02-28", "60", "1900-03-01",
                                           "1985-03-02", "2025-01-01"]
    assert out["birth_date_flag"].to_list() == ["valid", "valid", "invalid", "valid", "valid",
                                                "valid"]


def test_impossible_dates_are_kept_and_flagged():
    out = norm("1985-02-30", "19851301", "1985-02-29", "1984-02-29", "1799-01-01", "85-3-2", "abc")
    assert out["birth_date"].to_list() == ["1985-02-30", "19851301", "1985-02-29", "1984-02-29",
                                           "1799-01-01", "85-3-2", "abc"]
    assert out["birth_date_flag"].to_list() == ["invalid", "invalid", "invalid", "valid",
                                                "invalid", "invalid", "invalid"]


def test_blanks_and_placeholders():
    out = norm(None, "", "无", "不详", "0", "00000000")
    assert out["birth_date"].to_list() == [None] * 6
    assert out["birth_date_flag"].to_list() == [None] * 6


def test_iso_date_typed_columns_are_accepted():
    import datetime as dt

    out = normalize_date(pl.Series("d", [dt.date(1985, 3, 2), None]))
    assert out["d"].to_list() == ["1985-03-02", None]
