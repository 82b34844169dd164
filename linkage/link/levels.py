"""Comparison level types: one small class each, registered by name.

A level type says which columns it needs on both sides of a pair (`required`), how it holds on
a batch of pairs (`holds`, vectorised over the rows still undecided), whether it needs a
`threshold`, and its English and Chinese labels.  A comparison's settings name a type by its
`name` (`{type: jaro_winkler, threshold: 0.9}`); adding a type means adding one class here
with `@register` — the settings, the config's JSON Schema and the labels pick it up.

`holds` receives a `Batch` (linkage.link.comparisons): the pairs' `<column>_l` / `<column>_r`
values with per-batch caches of rapidfuzz scores, so a similarity is computed once per column
and batch, and only where a level still has to decide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA

if TYPE_CHECKING:
    from linkage.link.comparisons import Batch, Level

REGISTRY: dict[str, "LevelType"] = {}


def register(cls: type["LevelType"]) -> type["LevelType"]:
    REGISTRY[cls.name] = cls()
    return cls


class LevelType:
    """One kind of agreement test on a pair; subclasses set the class attributes and `holds`."""

    name: ClassVar[str]
    label: ClassVar[tuple[str, str]]  # (English, Chinese); may use {t} for the threshold
    needs_threshold: ClassVar[bool] = False
    n_columns: ClassVar[int | None] = None  # how many `columns` the level must name, if fixed

    def required(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        """Columns that must be present on both sides for the level to be tried."""
        return columns

    def holds(self, batch: "Batch", level: "Level", rows: np.ndarray) -> np.ndarray:
        """Where the level holds, evaluated only on `rows` (False elsewhere)."""
        raise NotImplementedError


@register
class Exact(LevelType):
    name = "exact"
    label = ("exact", "完全一致")

    def holds(self, batch, level, rows):
        out = rows.copy()
        for column in level.columns:
            out &= batch.equal(column)
        return out


@register
class IdLegacy(LevelType):
    """Equal ID numbers, one of them written in the 15-digit form (`<column>_legacy`)."""

    name = "id_legacy"
    label = ("15/18-digit equivalent", "15/18位等同")

    def required(self, columns):
        return (*columns, f"{columns[0]}_legacy")

    def holds(self, batch, level, rows):
        column = level.columns[0]
        legacy = f"{column}_legacy"
        differ = (batch.side(legacy, "l") != batch.side(legacy, "r")).fill_null(False)
        return rows & batch.equal(column) & differ.to_numpy()


@register
class OneTypo(LevelType):
    """Same length, one character off or two neighbours swapped."""

    name = "one_typo"
    label = ("one character off or swapped", "错一位或颠倒")

    def holds(self, batch, level, rows):
        column = level.columns[0]
        rows = batch.same_length(column, rows)
        return rows & (batch.score("osa", column, rows) <= 1)


@register
class IdTypo(LevelType):
    """18-character IDs one digit off or with two neighbours swapped in the 15-digit body
    (area, 2-digit year, month, day, sequence): the check digit of a number converted from 15
    digits was computed from the typo, so it differs too."""

    name = "id_typo"
    label = ("one digit off or swapped (15-digit body)", "错一位或颠倒(不计校验位)")

    def holds(self, batch, level, rows):
        column = level.columns[0]
        left, right = batch.side(column, "l"), batch.side(column, "r")
        full = ((left.str.len_chars() == 18) & (right.str.len_chars() == 18)).fill_null(False)
        idx = np.flatnonzero(rows & full.to_numpy())
        out = np.zeros(batch.n, dtype=bool)
        if idx.size:
            gather = pl.Series(idx)
            a, b = ((s.gather(gather).str.slice(0, 6) + s.gather(gather).str.slice(8, 9)).to_list()
                    for s in (left, right))
            out[idx] = process.cpdist(a, b, scorer=OSA.distance, workers=-1) <= 1
        return out


@register
class EditDistance(LevelType):
    name = "edit_distance"
    label = ("edit distance <= {t:g}", "编辑距离 ≤ {t:g}")
    needs_threshold = True

    def holds(self, batch, level, rows):
        return rows & (batch.score("levenshtein", level.columns[0], rows) <= level.threshold)


@register
class JaroWinkler(LevelType):
    name = "jaro_winkler"
    label = ("Jaro-Winkler >= {t:g}", "相似度 ≥ {t:g}")
    needs_threshold = True

    def holds(self, batch, level, rows):
        return rows & (batch.score(self.name, level.columns[0], rows) >= level.threshold - 1e-6)


@register
class Ratio(LevelType):
    """Normalized Indel similarity (rapidfuzz fuzz.ratio / 100)."""

    name = "ratio"
    label = ("similarity >= {t:g}", "相似度 ≥ {t:g}")
    needs_threshold = True

    def holds(self, batch, level, rows):
        return rows & (batch.score(self.name, level.columns[0], rows) >= level.threshold - 1e-6)


class _Confusion(LevelType):
    """Same length, one character different, and that character a confusable one."""

    def holds(self, batch, level, rows):
        column = level.columns[0]
        rows = batch.same_length(column, rows)
        rows &= batch.score("hamming", column, rows) == 1
        idx = np.flatnonzero(rows)
        out = np.zeros(batch.n, dtype=bool)
        if not idx.size:
            return out
        sub = pl.DataFrame({"a": batch.side(column, "l").gather(idx),
                            "b": batch.side(column, "r").gather(idx)})
        width = int(sub["a"].str.len_chars().max())
        chars = [[pl.col(s).str.slice(i, 1) for s in "ab"] for i in range(width)]
        differing = pl.coalesce([pl.when(a != b).then(a + b) for a, b in chars])
        from linkage.link.comparisons import confusion_pairs

        pairs = confusion_pairs(self.name).implode()
        out[idx] = sub.select(differing.is_in(pairs)).to_series().to_numpy()
        return out


@register
class Shape(_Confusion):
    name = "shape"
    label = ("similar shape", "形近")


@register
class Homophone(_Confusion):
    name = "homophone"
    label = ("one character a homophone", "一字同音")


@register
class OneDropped(LevelType):
    """One character dropped or added (Indel distance 1)."""

    name = "one_dropped"
    label = ("one character dropped or added", "漏字或多字")

    def holds(self, batch, level, rows):
        return rows & (batch.score("indel", level.columns[0], rows) == 1)


class _Date(LevelType):
    """ISO dates (YYYY-MM-DD) on both sides; partial dates never hold."""

    def holds(self, batch, level, rows):
        column = level.columns[0]
        left, right = batch.side(column, "l"), batch.side(column, "r")
        full = ((left.str.len_chars() == 10) & (right.str.len_chars() == 10)).fill_null(False)
        return self.dates_hold(batch, level, column, rows & full.to_numpy())

    def dates_hold(self, batch, level, column, rows) -> np.ndarray:
        raise NotImplementedError


@register
class DateExact(_Date):
    """The whole date equal; partial dates equal to each other are `date_year_month` /
    `date_year` (two "2012-12" are far weaker evidence than two "2012-12-05")."""

    name = "date_exact"
    label = ("exact", "完全一致")

    def dates_hold(self, batch, level, column, rows):
        return rows & batch.equal(column)


@register
class DateSwap(_Date):
    name = "date_swap"
    label = ("day and month swapped", "月日颠倒")

    def dates_hold(self, batch, level, column, rows):
        yl, ml, dl, yr, mr, dr = batch.date_parts(column)
        return rows & (yl == yr) & (ml == dr) & (dl == mr) & (ml != dl)


@register
class DateOneOff(_Date):
    name = "date_one_off"
    label = ("one date part off", "年月日错一项")

    def dates_hold(self, batch, level, column, rows):
        yl, ml, dl, yr, mr, dr = batch.date_parts(column)
        same = (yl == yr).astype(np.int8) + (ml == mr) + (dl == dr)
        return rows & (same == 2)


@register
class DateWithin(_Date):
    name = "date_within"
    label = ("within {t:g} days", "相差 {t:g} 天内")
    needs_threshold = True

    def dates_hold(self, batch, level, column, rows):
        left, right = batch.side(column, "l"), batch.side(column, "r")
        days = (left.str.to_date(strict=False) - right.str.to_date(strict=False)).dt.total_days()
        return rows & (days.abs() <= level.threshold).fill_null(False).to_numpy()


class _DatePartial(LevelType):
    """A date written only to `length` characters (出生年月 "1963-01", or the year "1963") on
    one side or both, the other agreeing as far as that goes (1963-01-25, or 1963-01): not a
    disagreement, and weaker evidence than a whole date."""

    length: ClassVar[int]

    def holds(self, batch, level, rows):
        column = level.columns[0]
        pair = pl.DataFrame({"l": batch.side(column, "l"), "r": batch.side(column, "r")})
        left, right = pl.col("l"), pl.col("r")
        shorter_left = (left.str.len_chars() == self.length) & right.str.starts_with(left)
        shorter_right = (right.str.len_chars() == self.length) & left.str.starts_with(right)
        held = pair.select((shorter_left | shorter_right).fill_null(False)).to_series()
        return rows & held.to_numpy()


@register
class DateYearMonth(_DatePartial):
    name = "date_year_month"
    label = ("same year and month (one side without the day)", "年月相同(一方未写日)")
    length = 7


@register
class DateYear(_DatePartial):
    name = "date_year"
    label = ("same year (one side gives only the year)", "年份相同(一方只写年)")
    length = 4


@register
class SharedValue(LevelType):
    """";"-separated value lists share a value (every phone number written in a cell)."""

    name = "shared_value"
    label = ("shared value", "有相同值")

    def holds(self, batch, level, rows):
        column = level.columns[0]
        common = (batch.side(column, "l").str.split(";")
                  .list.set_intersection(batch.side(column, "r").str.split(";")).list.len())
        return rows & (common > 0).fill_null(False).to_numpy()


@register
class CrossExact(LevelType):
    """The first column of one record equals the second column of the other, either way round:
    one record's name is the other's former name (曾用名).  Only the first column need be on
    both sides; the second is usually carried by one system alone."""

    name = "cross_exact"
    label = ("one record's value is the other's second column", "一方的值为另一方的另一列")
    n_columns = 2

    def required(self, columns):
        return columns[:1]

    def holds(self, batch, level, rows):
        first, second = level.columns
        return rows & (batch.cross_equal(first, second) | batch.cross_equal(second, first))


@register
class Swapped(LevelType):
    """Two name parts exchanged: the first column of one record equals the second of the other
    and the other way round (given name and surname written in each other's field, as happens
    in pinyin- and Latin-written names).  With a `threshold`, each cross pair needs at least
    that Jaro-Winkler similarity instead of equality (one more typo in a swapped name)."""

    name = "swapped"
    label = ("name parts swapped", "姓名前后颠倒")
    n_columns = 2

    def holds(self, batch, level, rows):
        first, second = level.columns
        if level.threshold is None:
            cross = (batch.cross_equal(first, second) & batch.cross_equal(second, first))
            return rows & cross
        return rows & (batch.cross_score("jaro_winkler", first, second, rows)
                       >= level.threshold - 1e-6) & (
            batch.cross_score("jaro_winkler", second, first, rows) >= level.threshold - 1e-6)


def level_type(name: str) -> LevelType:
    return REGISTRY[name]


LEVEL_TYPES: tuple[str, ...] = tuple(REGISTRY)
