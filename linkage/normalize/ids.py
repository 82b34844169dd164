"""Citizen ID numbers (公民身份号码, GB 11643): clean, upgrade 15 → 18 digits, validate, derive.

Cleaning folds full-width digits, drops spaces, dashes and the apostrophe Excel users type to
keep digits as text, and upper-cases the check character (x, ×).  A 15-digit legacy number
(issued before 1999) becomes 18 digits: "19" inserted before the 2-digit birth year and the
check character computed.  Validation checks the check character (ISO 7064 MOD 11-2) and the
birth date; the area code is deliberately not validated, because numbers issued under county
codes that were later renamed or abolished stay valid for life (python-stdnum's `cn.ric`
rejects them).  MOD 11-2 catches every single-character change and every swap of two unequal
neighbouring characters; it does not catch swaps ten positions apart (equal weights).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from linkage.normalize.regions import region_names
from linkage.normalize.text import SCIENTIFIC, apply_where, blank_placeholders, fold

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum mod 11
EARLIEST_BIRTH = dt.date(1880, 1, 1)
FLAGS = ("valid", "bad_check_digit", "bad_date", "wrong_length", "not_an_id", "precision_lost")


def check_characters(bodies: pl.Series) -> pl.Series:
    """The MOD 11-2 check character of each 17-digit body (null for anything else).

    A body is read as one integer and its digits peeled off arithmetically in numpy: much
    faster than slicing the text 17 times.
    """
    number = pl.select(
        pl.when(bodies.str.contains(r"^\d{17}$")).then(bodies.cast(pl.Int64, strict=False))
    ).to_series()
    digits = number.fill_null(0).to_numpy().copy()
    total = np.zeros(len(digits), dtype=np.int64)
    for weight in reversed(WEIGHTS):
        total += digits % 10 * weight
        digits //= 10
    checks = pl.Series(list(CHECK_CHARACTERS), dtype=pl.Utf8).gather(pl.Series(total % 11))
    return pl.select(pl.when(number.is_not_null()).then(checks)).to_series().alias(bodies.name)


def clean_id(series: pl.Series) -> pl.Series:
    """Folded, upper-case text without separators; placeholders (000000…, 无) as null.

    Values already of the shape of an ID (15 or 18 characters, digits and a final X) skip
    the cleaning.
    """
    text = fold(series)
    done = text.str.contains(r"^(?:\d{17}[\dX]|\d{15})$") & ~text.str.contains(r"^0+$")
    return apply_where(text, ~done, lambda t: blank_placeholders(
        t.str.replace_all(r"[\s\-'‘’`\"]", "").str.replace_all("×", "X").str.to_uppercase()
    ))


def normalize_id_number(series: pl.Series, prefix: str | None = None,
                        derive: bool = False) -> pl.DataFrame:
    """Columns `<prefix>`, `<prefix>_flag`, `<prefix>_legacy`; with `derive` also
    `id_birth_date`, `id_gender` and `id_region` (for valid IDs and IDs whose only fault is
    the check character).  Flags: valid / bad_check_digit / bad_date / wrong_length / not_an_id /
    precision_lost (a number in scientific notation: an ID stored as a spreadsheet number).
    """
    prefix = prefix or series.name
    raw = pl.col("raw")
    legacy = raw.str.contains(r"^\d{15}$")
    body = pl.when(legacy).then(
        pl.concat_str([raw.str.slice(0, 6), pl.lit("19"), raw.str.slice(6, 9)])
    ).otherwise(raw.str.slice(0, 17))
    frame = pl.DataFrame({"raw": clean_id(series)}).with_columns(
        legacy.alias("legacy"), body.alias("body")
    )
    frame = frame.with_columns(check_characters(frame["body"]).alias("check"))
    number = pl.col("id")
    frame = frame.with_columns(
        pl.when(pl.col("legacy")).then(pl.concat_str("body", "check")).otherwise(raw).alias("id")
    ).with_columns(number.str.contains(r"^\d{17}[\dX]$").alias("shaped"))
    frame = frame.with_columns(
        pl.when(pl.col("shaped")).then(number.str.slice(6, 8).str.to_date("%Y%m%d", strict=False))
        .alias("birth")
    )
    birth_ok = pl.col("birth").is_between(pl.lit(EARLIEST_BIRTH), pl.lit(dt.date.today()))
    flag = (
        pl.when(number.is_null()).then(None)
        .when(~pl.col("shaped")).then(
            pl.when(number.str.contains(SCIENTIFIC)).then(pl.lit("precision_lost"))
            .when(number.str.contains(r"^\d+X?$")).then(pl.lit("wrong_length"))
            .otherwise(pl.lit("not_an_id")))
        .when(~birth_ok.fill_null(False)).then(pl.lit("bad_date"))
        .when(pl.col("check") != number.str.slice(17, 1)).then(pl.lit("bad_check_digit"))
        .otherwise(pl.lit("valid"))
    )
    frame = frame.with_columns(flag.alias("flag"))
    columns = [
        number.alias(prefix),
        pl.col("flag").alias(f"{prefix}_flag"),
        pl.when(number.is_not_null()).then(pl.col("legacy")).alias(f"{prefix}_legacy"),
    ]
    if not derive:
        return frame.select(columns)
    usable = pl.col("flag").is_in(["valid", "bad_check_digit"])
    male = number.str.slice(16, 1).is_in(list("13579"))
    out = frame.select(
        *columns,
        pl.when(usable).then(pl.col("birth").dt.to_string("%Y-%m-%d")).alias("id_birth_date"),
        pl.when(usable).then(pl.when(male).then(pl.lit("1")).otherwise(pl.lit("2")))
        .alias("id_gender"),
        pl.when(usable).then(number.str.slice(0, 6)).alias("id_region"),
    )
    return out.with_columns(_regions_of(out["id_region"]))


def _regions_of(areas: pl.Series) -> pl.Series:
    """Region names of area codes, looked up once per distinct code."""
    distinct = areas.unique()
    mapping = region_names(distinct)
    return areas.replace_strict(distinct, mapping, default=None, return_dtype=pl.Utf8)
