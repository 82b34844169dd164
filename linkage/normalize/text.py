"""Shared text folding for every normalizer: width, whitespace, placeholders, script, caching.

- `fold`: NFKC (full-width letters, digits and brackets to half-width), invisible characters
  dropped, whitespace runs collapsed to one space, trimmed.
- `blank_placeholders`: the values clerks type for "nothing" (无, 不详, /, 000000 …) to null.
- `clean_text`: both — the normalizer of kinds text / code / number.
- `squeeze_han_spaces`: spaces next to a Chinese character removed (张 伟 → 张伟), spaces
  between Latin words kept.
- `han_characters`: the distinct Chinese characters of a column.
- `to_simplified`: traditional to simplified Chinese with OpenCC, only where needed, keeping
  the characters that are standard simplified characters too (`simplified_too`: 乾县, 於潜镇).
- `per_unique`: run a column function once per distinct value and spread the result back.
- `apply_where`: run a column function only on the values that need it.
"""

from __future__ import annotations

import functools
from typing import Callable

import polars as pl

PLACEHOLDERS = frozenset({
    "无", "暂无", "没有", "不详", "不祥", "未知", "不清楚", "不明", "待定", "待查", "待补充",
    "空", "未填", "未填写", "缺失", "其它不详", "略", "保密",
    "null", "none", "nil", "nan", "n/a", "na", "#n/a", "#value!", "#ref!", "undefined",
})
# Only punctuation, question marks (and zeros): "/", "--", "？？", "***", "0", "000000".
_PUNCTUATION = r"\s\-_/\\.。,，·*?？!！#"
_FILLER = rf"^[{_PUNCTUATION}]*$"
_FILLER_OR_ZEROS = rf"^[{_PUNCTUATION}0]*$"
_INVISIBLE = r"[\u200b-\u200f\u2060\ufeff\u00ad]"
_HAN = r"\p{Han}"


# a number in scientific notation (4.40306195608317E+17): an ID or code stored as a number in a
# spreadsheet, whose last digits are lost; normalizers flag it precision_lost
SCIENTIFIC = r"^\d(?:\.\d+)?[Ee]\+?\d+$"


def as_text(series: pl.Series) -> pl.Series:
    """The column as Utf8 (an all-null column may arrive typed Null)."""
    return series if series.dtype == pl.Utf8 else series.cast(pl.Utf8)


def apply_where(series: pl.Series, mask: pl.Series, function: Callable[[pl.Series], pl.Series]
                ) -> pl.Series:
    """`function` applied only to the values where `mask` is true; the others unchanged.

    For work that most values do not need (a rare bracket, a traditional character): the few
    values that do are gathered, transformed and scattered back.
    """
    rows = mask.fill_null(False).arg_true()
    if len(rows) == 0:
        return series
    return series.clone().scatter(rows, function(series.gather(rows))).alias(series.name)


def _fold_all(text: pl.Series) -> pl.Series:
    folded = (
        text.str.normalize("NFKC")
        .str.replace_all(_INVISIBLE, "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return pl.select(pl.when(folded.str.len_chars() > 0).then(folded)).to_series()


def fold(series: pl.Series) -> pl.Series:
    """NFKC-fold, drop invisible characters, collapse whitespace, trim; blank → null.

    Values made only of printable ASCII and common Chinese characters, without spaces (most
    IDs, phones, dates and names), are already folded; only the others go through the
    Unicode work.
    """
    text = as_text(series).alias(series.name)
    done = text.str.contains(r"^[\x21-\x7e\u4e00-\u9fff]+$").fill_null(True)
    return apply_where(text, ~done, _fold_all)


def is_placeholder(series: pl.Series, zeros: bool = True) -> pl.Series:
    """True where a folded value means "no value"; `zeros=False` keeps "0" (a real count)."""
    lowered = series.str.to_lowercase()
    filler = _FILLER_OR_ZEROS if zeros else _FILLER
    return lowered.is_in(list(PLACEHOLDERS)) | lowered.str.contains(filler)


def blank_placeholders(series: pl.Series, zeros: bool = True) -> pl.Series:
    """Null where a folded value is a placeholder, the value otherwise."""
    keep = ~is_placeholder(series, zeros)
    return pl.select(pl.when(keep).then(series)).to_series().alias(series.name)


def clean_text(series: pl.Series, zeros: bool = True) -> pl.Series:
    """Folded text with placeholders as null: the normalizer of kinds text, code and number
    (numbers pass `zeros=False`: "0" employees is a value, not a blank)."""
    return blank_placeholders(fold(series), zeros)


def squeeze_han_spaces(series: pl.Series) -> pl.Series:
    """Remove whitespace next to a Chinese character or a middle dot (张 伟 → 张伟)."""
    return (
        series.str.replace_all(rf"([{_HAN}·])\s+", "${1}")
        .str.replace_all(rf"\s+([{_HAN}·])", "${1}")
    )


def han_characters(series: pl.Series) -> pl.Series:
    """The distinct Chinese characters of a column, sorted."""
    chars = as_text(series).drop_nulls().str.join("").str.split("").explode().unique()
    return chars.filter(chars.str.contains(rf"^{_HAN}$")).sort()


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@functools.cache
def simplified_too() -> frozenset[str]:
    """Characters OpenCC's t2s folds into another one although they are standard simplified
    characters themselves, in place and personal names: those the NBS division list writes
    that are in GB 2312 (the simplified character set: 乾 of 乾县, not 干; 於 of 於潜镇, not
    于) or whose t2s form the list never writes (篢 of 织篢镇, not 𬕂)."""
    from linkage.normalize.address.divisions import divisions

    written = divisions()["name"].str.split("").explode().unique().sort().to_list()
    folded = _t2s().convert("".join(written)) if written else ""
    if len(folded) != len(written):
        raise RuntimeError("OpenCC changed the number of characters")
    present = set(written)
    return frozenset(old for old, new in zip(written, folded)
                     if old != new and (_in_gb2312(old) or new not in present))


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def to_simplified(series: pl.Series) -> pl.Series:
    """Traditional → simplified Chinese (OpenCC t2s, with its phrase tables), except the
    characters of `simplified_too` (張乾 → 张乾, not 张干).

    Only values holding a character that OpenCC changes on its own are converted, all in one
    call, one per line (conversion never crosses a line break); the characters are sorted out
    once per distinct character, so a million names cost a few thousand lookups.
    """
    text = as_text(series)
    chars = han_characters(text)
    if chars.is_empty():
        return text.alias(series.name)
    simplified = _t2s().convert("\n".join(chars.to_list())).split("\n")
    traditional = chars.filter((pl.Series(simplified) != chars) & ~chars.is_in(list(simplified_too())))
    if traditional.is_empty():
        return text.alias(series.name)
    has = text.str.contains_any(traditional.to_list()) & ~text.str.contains("\n")
    return apply_where(text.alias(series.name), has, _convert)


def _convert(values: pl.Series) -> pl.Series:
    """OpenCC t2s of values without line breaks, in one call; the characters of
    `simplified_too` pass through as private-use stand-ins."""
    keep = sorted(simplified_too())
    stand_ins = [chr(0xE000 + i) for i in range(len(keep))]
    protected = values.str.replace_many(keep, stand_ins) if keep else values
    converted = _t2s().convert("\n".join(protected.to_list())).split("\n")
    if len(converted) != len(values):
        raise RuntimeError("OpenCC changed the number of lines")
    out = pl.Series(values.name, converted, dtype=pl.Utf8)
    return out.str.replace_many(stand_ins, keep) if keep else out


def per_unique(series: pl.Series, compute: Callable[[pl.Series], pl.DataFrame],
               always: bool = False) -> pl.DataFrame:
    """Apply `compute` once per distinct value of `series`; its columns for every row, in order.

    `compute` receives a column of values and returns a frame of the same height.  When most
    values are distinct, spreading results back costs more than a cheap `compute` saves, so it
    then runs on the column itself, unless `always` (for costly work such as address parsing,
    where deduplicating pays even at 60–80 % distinct values).
    """
    if not always and (series.len() < 1000 or series.approx_n_unique() > series.len() // 2):
        return compute(series)
    distinct = series.unique()
    index = pl.DataFrame({series.name: distinct,
                          "__index": pl.int_range(len(distinct), eager=True, dtype=pl.UInt32)})
    rows = series.to_frame().join(index, on=series.name, how="left", nulls_equal=True,
                                  maintain_order="left")
    return compute(distinct).gather(rows["__index"])
