"""Comparisons as data, evaluated vectorised on a batch of pairs.

`compile_comparisons` turns the settings into `Comparison` objects; `compare_batch` takes a
polars frame with `<column>_l` / `<column>_r` for every column the comparisons read (and
`tf__<column>_l` / `_r` for frequency-weighted levels) and returns, per pair and comparison,
the agreement level `gamma` and the term frequency behind it.

Gamma convention (as in Splink): with K levels, the first (strongest) level is K, the last is 1,
0 means "compared and none of the levels holds" and -1 means "missing on either side" (neutral).
A level is tried only where all its columns are present on both sides, so a level on a column
a run does not have is skipped, and a pair with no comparable level is neutral.
String similarities are rapidfuzz scores on characters, computed only on the pairs a level
still has to decide (never on equal or blank values).  What each level type tests lives in
`linkage.link.levels` (one class per type).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA, Hamming, Indel, JaroWinkler, Levenshtein

from linkage.columns import term_frequency
from linkage.link.levels import level_type
from linkage.link.presets import KINDS
from linkage.link.settings import ComparisonSettings, LevelSettings


@dataclass(frozen=True)
class Level:
    type: str
    columns: tuple[str, ...]
    threshold: float | None
    tf: bool
    identity: bool
    label: str
    label_zh: str

    @property
    def required(self) -> tuple[str, ...]:
        """Columns that must be present on both sides for the level to be tried."""
        return level_type(self.type).required(self.columns)


@dataclass(frozen=True)
class Comparison:
    name: str
    column: str
    levels: tuple[Level, ...]
    fallback: str | None
    implied_by: str | None
    ignore_values: tuple[str, ...]
    group: str | None = None

    def gamma(self, level_index: int) -> int:
        return len(self.levels) - level_index

    def label(self, gamma: int, zh: bool = False) -> str:
        if gamma < 0:
            return "缺失(中性)" if zh else "missing (neutral)"
        if gamma == 0:
            return "不同" if zh else "different"
        level = self.levels[len(self.levels) - gamma]
        return level.label_zh if zh else level.label

    @property
    def identity_gammas(self) -> list[int]:
        return [self.gamma(i) for i, lv in enumerate(self.levels) if lv.identity]

    @property
    def columns(self) -> list[str]:
        """Every column the levels read (a level may need fewer on both sides: `required`)."""
        return list(dict.fromkeys(c for lv in self.levels for c in (*lv.required, *lv.columns)))


def _compile_level(level: LevelSettings, column: str) -> Level:
    label, label_zh = level_type(level.type).label
    columns = tuple(level.columns or [column])
    if level.type == "exact" and columns != (column,):
        label, label_zh = "same " + " + ".join(columns), "相同: " + " + ".join(columns)
    t = level.threshold
    return Level(level.type, columns, t, level.tf, level.identity,
                 level.label or label.format(t=t or 0), level.label_zh or label_zh.format(t=t or 0))


def compile_comparisons(settings: list[ComparisonSettings]) -> list[Comparison]:
    out = []
    for c in settings:
        levels = c.levels or [LevelSettings(**lv) for lv in KINDS[c.kind](c.column)]
        out.append(Comparison(c.name, c.column,
                              tuple(_compile_level(lv, c.column) for lv in levels),
                              c.fallback, c.implied_by, tuple(c.ignore_values), c.group))
    return out


def tf_columns(comparisons: list[Comparison]) -> list[str]:
    """Columns whose term frequencies the frequency-weighted levels need."""
    return list(dict.fromkeys(lv.columns[0] for c in comparisons for lv in c.levels if lv.tf))


def tf_positions(comparisons: list[Comparison]) -> list[int]:
    """The comparisons with a frequency-weighted level, by index: the columns of the pairs'
    term-frequency arrays (n × len(tf_positions), the other comparisons have none — at tens of
    millions of pairs a column for each comparison would be gigabytes of NaN)."""
    return [k for k, c in enumerate(comparisons) if any(lv.tf for lv in c.levels)]


@lru_cache(maxsize=2)
def confusion_pairs(kind: str) -> pl.Series:
    """Ordered pairs "ab" of distinct characters easily typed for one another: of similar
    shape (`shape`, groups of same_stroke.txt) or sounding alike (`homophone`, same_pinyin.txt:
    a character, its same-tone and its other-tone homophones)."""
    name = {"shape": "same_stroke.txt", "homophone": "same_pinyin.txt"}[kind]
    text = resources.files("linkage").joinpath(f"data/{name}").read_text("utf-8")
    pairs = set()
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if kind == "shape":
            group = [ch for ch in fields if len(ch) == 1]
            pairs.update(a + b for a in group for b in group if a != b)
        else:
            char, others = fields[0], "".join(fields[1:])
            pairs.update(p for o in others if o != char for p in (char + o, o + char))
    return pl.Series("pair", sorted(pairs))


class Batch:
    """A batch of pairs with per-batch caches of similarity scores."""

    def __init__(self, frame: pl.DataFrame):
        self.frame = frame
        self.n = frame.height
        self._present: dict[str, np.ndarray] = {}
        self._scores: dict[tuple[str, str], np.ndarray | tuple] = {}

    def side(self, column: str, side: str) -> pl.Series:
        return self.frame.get_column(f"{column}_{side}")

    def present(self, column: str) -> np.ndarray:
        if column not in self._present:
            self._present[column] = (self.side(column, "l").is_not_null()
                                     & self.side(column, "r").is_not_null()).to_numpy()
        return self._present[column]

    def date_parts(self, column: str) -> tuple[np.ndarray, ...]:
        """(year, month, day) of both sides of an ISO date column, -1 where unreadable."""
        key = ("date_parts", column)
        if key not in self._scores:
            self._scores[key] = tuple(
                s.str.slice(a, b).cast(pl.Int32, strict=False).fill_null(-1).to_numpy()
                for s in (self.side(column, "l"), self.side(column, "r"))
                for a, b in ((0, 4), (5, 2), (8, 2)))
        return self._scores[key]

    def equal(self, column: str) -> np.ndarray:
        return (self.side(column, "l") == self.side(column, "r")).fill_null(False).to_numpy()

    def cross_equal(self, left: str, right: str) -> np.ndarray:
        """Column `left` of the left record equals column `right` of the right record."""
        return (self.side(left, "l") == self.side(right, "r")).fill_null(False).to_numpy()

    def same_length(self, column: str, rows: np.ndarray) -> np.ndarray:
        same = self.side(column, "l").str.len_chars() == self.side(column, "r").str.len_chars()
        return rows & same.fill_null(False).to_numpy()

    def score(self, metric: str, column: str, rows: np.ndarray) -> np.ndarray:
        """A rapidfuzz score for `rows` (computed once per batch, only where still unknown)."""
        return self.cross_score(metric, column, column, rows)

    def cross_score(self, metric: str, left: str, right: str, rows: np.ndarray) -> np.ndarray:
        """A rapidfuzz score of column `left` of the left record against column `right` of the
        right record, for `rows` (cached per batch like `score`)."""
        key = (metric, left, right)
        values = self._scores.setdefault(key, np.full(self.n, np.nan, dtype=np.float32))
        todo = np.flatnonzero(rows & np.isnan(values))
        if todo.size:
            idx = pl.Series(todo)
            a = self.side(left, "l").gather(idx).to_list()
            b = self.side(right, "r").gather(idx).to_list()
            values[todo] = process.cpdist(a, b, scorer=_SCORERS[metric], workers=-1)
        return values


_SCORERS = {"jaro_winkler": JaroWinkler.normalized_similarity,
            "ratio": Indel.normalized_similarity, "indel": Indel.distance, "osa": OSA.distance,
            "levenshtein": Levenshtein.distance, "hamming": Hamming.distance}


def compare_batch(frame: pl.DataFrame, comparisons: list[Comparison]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Gamma (n × k, int8) and the term frequency behind each frequency-weighted agreement
    (`level_tf`: a column per `tf_positions`) for a batch of pairs;
    `implied_by` is not applied here (see `neutralise_implied`)."""
    batch = Batch(frame)
    gamma = np.full((batch.n, len(comparisons)), -1, dtype=np.int8)
    for k, comp in enumerate(comparisons):
        undecided = np.ones(batch.n, dtype=bool)
        compared = np.zeros(batch.n, dtype=bool)
        for i, level in enumerate(comp.levels):
            comparable = np.ones(batch.n, dtype=bool)
            for c in level.required:
                comparable &= batch.present(c)
            compared |= comparable
            hit = level_type(level.type).holds(batch, level, undecided & comparable)
            gamma[hit, k] = comp.gamma(i)
            undecided &= ~hit
        gamma[undecided & compared, k] = 0
    return gamma, level_tf(frame, gamma, comparisons)


def level_tf(frame: pl.DataFrame, gamma: np.ndarray, comparisons: list[Comparison]) -> np.ndarray:
    """The term frequency behind each frequency-weighted agreement of the pairs of `frame`
    (their `tf__<column>_l` / `_r`) at levels `gamma`: the larger of the two records' value
    shares (n × len(tf_positions), float32, NaN where the level is not frequency-weighted)."""
    positions = tf_positions(comparisons)
    tf = np.full((len(gamma), len(positions)), np.nan, dtype=np.float32)
    for j, k in enumerate(positions):
        comp = comparisons[k]
        for i, level in enumerate(comp.levels):
            if level.tf:
                hit = gamma[:, k] == comp.gamma(i)
                column = term_frequency(level.columns[0])
                tf[hit, j] = np.fmax(frame.get_column(f"{column}_l").to_numpy(),
                                     frame.get_column(f"{column}_r").to_numpy())[hit]
    return tf


def neutralise_implied(gamma: np.ndarray, tf: np.ndarray, comparisons: list[Comparison]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Copies with a comparison made missing (neutral) where the comparison it is `implied_by`
    agrees at an identity level and it agrees too (at any level but "different"): the birth
    date written in an agreeing ID number is not new evidence beside it.  Where it disagrees, it
    stays: a child keyed with a parent's ID number, born 2009 against the number's 1982, is
    another person, whatever the number says.  (Training sees the raw levels, which say how
    often the typed birth date of one person differs.)"""
    gamma, tf = gamma.copy(), tf.copy()
    positions = tf_positions(comparisons)
    for k, comp in enumerate(comparisons):
        if comp.implied_by is not None:
            j = next(i for i, c in enumerate(comparisons) if c.name == comp.implied_by)
            implied = np.isin(gamma[:, j], comparisons[j].identity_gammas) & (gamma[:, k] != 0)
            gamma[implied, k] = -1
            if k in positions:
                tf[implied, positions.index(k)] = np.nan
    return gamma, tf
