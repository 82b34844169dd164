"""Dates as ISO text, from the ways departmental exports write them.

Understood: 19850302, 1985-3-2, 1985/03/02, 1985.3.2, 1985年3月2日, 一九八五年三月二日,
a trailing time (1985-03-02 00:00:00, as Excel connectors hand date cells over), 2/13/1985 or
13/2/1985 when the order is unambiguous, Excel serial numbers (31108 → 1985-03-02), and partial
dates: year and month (198503, 1985-03, 1985年3月 → "1985-03") or a year alone ("1985").
Impossible dates (1985-02-30, month 13, years outside 1800–2100) are kept as cleaned text and
flagged invalid.  ISO dates pass straight through; the others are parsed once per distinct value.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from linkage.normalize.text import as_text, blank_placeholders, fold, per_unique

FIRST_YEAR, LAST_YEAR = 1800, 2100
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 61 = 1900-03-01 (Excel counts a 1900-02-29)
LAST_SERIAL = (dt.date(LAST_YEAR, 12, 31) - EXCEL_EPOCH).days

_TIME = r"(?:T|\s)*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
_CHINESE_DIGITS = dict(zip("〇零○一二三四五六七八九", "000123456789"))
# (pattern, kind) — the capture groups are year, month, day in that order unless noted.
_YMD = (r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$", r"^(\d{4})(\d{2})(\d{2})$")
_YM = (r"^(\d{4})[-/.年](\d{1,2})月?$", r"^(\d{4})(\d{2})$")
_YEAR = r"^(\d{4})年?$"
_SLASHED = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$"  # day and month in either order
_SERIAL = r"^(\d{1,5})(?:\.\d+)?$"


def _digits(text: pl.Series) -> pl.Series:
    """Chinese numerals in dates to Arabic digits (一九八五年三月十二日 → 1985年3月12日)."""
    text = text.str.replace_many(_CHINESE_DIGITS)
    return (
        text.str.replace_all(r"(\d)十(\d)", "${1}${2}")
        .str.replace_all(r"(\d)十", "${1}0")
        .str.replace_all(r"十(\d)", "1${1}")
        .str.replace_all("十", "10")
    )


def _first_match(text: pl.Expr, patterns: tuple[str, ...], group: int) -> pl.Expr:
    return pl.coalesce([text.str.extract(p, group) for p in patterns])


def _parse(values: pl.Series) -> pl.DataFrame:
    folded = blank_placeholders(fold(values))
    compact = _digits(folded.str.replace(_TIME, "")).str.replace_all(r"\s", "")
    t = pl.col("t")
    frame = pl.DataFrame({"folded": folded, "t": compact})

    year_only = t.str.extract(_YEAR, 1).cast(pl.Int32)
    is_year = year_only.is_between(FIRST_YEAR, LAST_YEAR)
    a = t.str.extract(_SLASHED, 1).cast(pl.Int32)
    b = t.str.extract(_SLASHED, 2).cast(pl.Int32)
    slashed_month = pl.when((a > 12) & (b <= 12)).then(b).when((b > 12) & (a <= 12) | (a == b))\
        .then(a)
    slashed_day = pl.when((a > 12) & (b <= 12)).then(a).when((b > 12) & (a <= 12) | (a == b))\
        .then(b)
    serial = t.str.extract(_SERIAL, 1).cast(pl.Int32)
    year_month_form = pl.any_horizontal([t.str.contains(p) for p in _YM])
    serial_ok = ~is_year.fill_null(False) & ~year_month_form & serial.is_between(1, LAST_SERIAL)
    serial_date = (
        pl.when(serial_ok & (serial >= 61)).then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial))
        .when(serial_ok & (serial < 60)).then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial + 1))
    )

    frame = frame.with_columns(
        y=pl.coalesce(_first_match(t, _YMD, 1), t.str.extract(_SLASHED, 3)).cast(pl.Int32),
        m=pl.coalesce(_first_match(t, _YMD, 2).cast(pl.Int32), slashed_month),
        d=pl.coalesce(_first_match(t, _YMD, 3).cast(pl.Int32), slashed_day),
        ym_y=_first_match(t, _YM, 1).cast(pl.Int32),
        ym_m=_first_match(t, _YM, 2).cast(pl.Int32),
        year=pl.when(is_year).then(year_only),
        serial_date=serial_date,
    )
    in_range = pl.col("y").is_between(FIRST_YEAR, LAST_YEAR)
    full = pl.when(in_range).then(
        pl.format("{}-{}-{}", pl.col("y"), pl.col("m").cast(pl.Utf8).str.zfill(2),
                  pl.col("d").cast(pl.Utf8).str.zfill(2)).str.to_date("%Y-%m-%d", strict=False)
    )
    month_ok = pl.col("ym_y").is_between(FIRST_YEAR, LAST_YEAR) & pl.col("ym_m").is_between(1, 12)
    year_month = pl.when(month_ok).then(
        pl.format("{}-{}", pl.col("ym_y"), pl.col("ym_m").cast(pl.Utf8).str.zfill(2)))
    date = pl.coalesce(full, pl.col("serial_date")).dt.to_string("%Y-%m-%d")
    iso = pl.coalesce(date, year_month, pl.col("year").cast(pl.Utf8))
    flag = (
        pl.when(pl.col("folded").is_null()).then(None)
        .when(date.is_not_null()).then(pl.lit("valid"))
        .when(iso.is_not_null()).then(pl.lit("partial"))
        .otherwise(pl.lit("invalid"))
    )
    return frame.select(pl.coalesce(iso, pl.col("folded")).alias("value"), flag.alias("flag"))


def normalize_date(series: pl.Series, prefix: str | None = None) -> pl.DataFrame:
    """Columns `<prefix>` (ISO text) and `<prefix>_flag` (valid / partial / invalid).

    Bare numbers of up to five digits other than a year are read as Excel serial dates: call
    this for date columns only.
    """
    prefix = prefix or series.name
    text = as_text(series)
    # ISO dates (the common case, and what Excel connectors hand over) need no parsing
    iso = text.str.contains(r"^\d{4}-\d{2}-\d{2}$") & text.str.to_date("%Y-%m-%d", strict=False)\
        .dt.year().is_between(FIRST_YEAR, LAST_YEAR)
    out = pl.DataFrame({"value": text}).select(
        pl.when(iso).then(pl.col("value")).alias("value"),
        pl.when(iso).then(pl.lit("valid")).alias("flag"),
    )
    rows = (~iso.fill_null(False) & text.is_not_null()).arg_true()
    if len(rows):
        parsed = per_unique(text.gather(rows), _parse)
        out = out.with_columns(out[c].scatter(rows, parsed[c]) for c in out.columns)
    return out.rename({"value": prefix, "flag": f"{prefix}_flag"})
