"""Entry errors: their named rates, and injectors that apply them to whole columns.

Every injector takes a text column, a boolean mask of the rows chosen for the error and a numpy
Generator, and returns the new column and the mask of rows it really changed (a swap of two
equal digits changes nothing and is not recorded).  Work is done on the chosen rows only,
with polars expressions.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
import polars as pl
from opencc import OpenCC

from linkage.synth.codes import legacy_id
from linkage.synth.reference import reference

NOISE_LEVELS = {"low": 0.5, "default": 1.0, "high": 2.0}


@dataclass(frozen=True)
class NoiseRates:
    """Base probability of each entry error (per record and field where the error can apply)."""

    homophone: float = 0.02        # a name character typed as a homophone from the pinyin menu
    shape: float = 0.004           # a shape-similar character (handwritten forms keyed later)
    drop_char: float = 0.003       # a given-name character dropped (names of 3+ characters)
    extra_char: float = 0.002      # a character keyed twice
    inner_space: float = 0.01      # a space between surname and given name
    traditional: float = 0.004     # traditional characters from an old client
    id_swap: float = 0.004         # two neighbouring ID digits swapped
    id_wrong_digit: float = 0.004  # one ID digit wrong
    id_legacy15: float = 0.08      # the 15-digit legacy ID (people born 1900–1984)
    id_lower_x: float = 0.3        # a lower-case x (IDs ending in X)
    fullwidth: float = 0.005       # full-width digits in an ID or phone number
    missing: float = 0.02          # a value left blank (scaled per field by MISSING_WEIGHT)
    day_month_swap: float = 0.02   # birth day and month swapped (where both are <= 12)
    move_in_wrong_month: float = 0.02  # a move-in date keyed 1–12 months off
    phone_wrong_digit: float = 0.005
    stale_phone: float = 0.4       # the system keeps the old number (people who changed it)
    stale_address: float = 0.4     # the system keeps the old address (people who moved)
    address_style: float = 0.1     # the address in another style (numerals, 栋/座/号楼, levels)
    address_messy: float = 0.05    # the address head written messily: a former district name, separators, a level twice, short names
    name_variant: float = 0.15     # an enterprise name in another form (region, legal form)
    code_wrong_char: float = 0.005  # one character of a USCC or organisation code wrong
    damaged_row: float = 0.001     # a CSV / TSV line broken in the export (extra field, bad bytes)
    pinyin: float = 0.0            # a person name typed in pinyin (Zhang Xiaoming), none by default
    given_name_first: float = 0.0  # of the names typed in pinyin, those written given name first (Xiaoming Zhang)

    def scaled(self, factor: float, multipliers: dict[str, float] | None = None) -> "NoiseRates":
        """Rates times a factor (and per-error multipliers), capped at 1."""
        multipliers = multipliers or {}
        return NoiseRates(**{
            f.name: min(1.0, getattr(self, f.name) * factor * multipliers.get(f.name, 1.0))
            for f in dataclasses.fields(self)})


# how much more (or less) often than `missing` each field is left blank (a system's own rates for
# the ID number and phone, linkage.synth.systems SourceSpec.missing, take precedence)
MISSING_WEIGHT = {
    "name": 0.05, "gender": 0.5, "birth_date": 0.5, "phone": 3.0,
    "address": 0.3, "household_address": 2.0, "ethnicity": 1.5, "uscc": 1.0, "legal_rep": 0.5,
    "legal_rep_id_number": 2.0, "spouse_id_number": 2.0, "spouse_name": 1.0, "employer": 2.0,
}

_FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
_DIGITS = "0123456789"


def _chosen(values: pl.Series, mask: np.ndarray) -> tuple[np.ndarray, pl.Series]:
    idx = np.flatnonzero(mask & values.is_not_null().to_numpy())
    return idx, values.gather(idx)


def _apply(values: pl.Series, idx: np.ndarray, new: pl.Series) -> tuple[pl.Series, np.ndarray]:
    changed = (new != values.gather(idx)).fill_null(True).to_numpy() if len(idx) else np.zeros(0, bool)
    where = idx[changed]
    out = values.clone()
    if len(where):
        out.scatter(where, new.filter(pl.Series(changed)))
    mask = np.zeros(len(values), dtype=bool)
    mask[where] = True
    return out, mask


def _positions(sub: pl.Series, rng, start, idx) -> tuple[np.ndarray, np.ndarray]:
    """A random character position at or after `start` (scalar or per row) per chosen value,
    and whether the value has such a position."""
    first = np.full(len(idx), start, dtype=np.int64) if np.ndim(start) == 0 else np.asarray(start)[idx]
    span = sub.str.len_chars().to_numpy().astype(np.int64) - first
    pos = first + np.floor(rng.random(len(idx)) * np.maximum(span, 1)).astype(np.int64)
    return pos, span > 0


def _splice(sub: pl.Series, pos: np.ndarray, middle: pl.Expr, skip: int) -> pl.Series:
    """value[:pos] + middle + value[pos + skip:], evaluated per row."""
    frame = pl.DataFrame({"v": sub, "pos": pos})
    return frame.select(pl.concat_str(pl.col("v").str.slice(0, pl.col("pos")), middle,
                                      pl.col("v").str.slice(pl.col("pos") + skip))).to_series()


@functools.cache
def _confusion(kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, pl.Series]:
    """Lookup of a confusion set: code points of its characters (sorted), where each one's
    candidates start and how many it has, and all candidates in one column."""
    table = reference().confusion.select("char", kind)
    counts = table[kind].list.len().to_numpy().astype(np.int64)
    starts = np.cumsum(counts) - counts
    keys = _codepoints(table["char"])
    order = np.argsort(keys)
    return keys[order], starts[order], counts[order], table[kind].explode().drop_nulls()


def _codepoints(chars: pl.Series) -> np.ndarray:
    """Code point of each one-character value (0 for an empty one)."""
    return np.asarray(chars.to_list(), dtype="U1").view(np.uint32).astype(np.int64)


def substitute_char(values: pl.Series, mask: np.ndarray, rng: np.random.Generator,
                    kind: str = "homophones", start=0) -> tuple[pl.Series, np.ndarray]:
    """One character (at or after `start`) replaced by a homophone or shape-similar character."""
    idx, sub = _chosen(values, mask)
    if not len(idx):
        return _apply(values, idx, sub)
    pos, ok = _positions(sub, rng, start, idx)
    keys, starts, counts, candidates = _confusion(kind)
    chars = pl.DataFrame({"v": sub, "pos": pos}).select(pl.col("v").str.slice(pl.col("pos"), 1)).to_series()
    codepoints = _codepoints(chars)
    at = np.minimum(np.searchsorted(keys, codepoints), len(keys) - 1)
    count = np.where(keys[at] == codepoints, counts[at], 0)
    pick = starts[at] + np.floor(rng.random(len(idx)) * count).astype(np.int64)
    ok &= count > 0
    new = _splice(sub.filter(pl.Series(ok)), pos[ok], pl.lit(candidates.gather(pick[ok])), 1)
    return _apply(values, idx[ok], new)


def drop_char(values: pl.Series, mask, rng, start=1) -> tuple[pl.Series, np.ndarray]:
    """One character at or after `start` dropped, for values that keep 2+ characters after it."""
    idx, sub = _chosen(values, mask)
    if not len(idx):
        return _apply(values, idx, sub)
    pos, _ = _positions(sub, rng, start, idx)
    long_enough = sub.str.len_chars().to_numpy() >= 3
    new = _splice(sub, pos, pl.lit(""), 1)
    return _apply(values, idx[long_enough], new.filter(pl.Series(long_enough)))


def double_char(values: pl.Series, mask, rng, start=1) -> tuple[pl.Series, np.ndarray]:
    """One character at or after `start` keyed twice."""
    idx, sub = _chosen(values, mask)
    if not len(idx):
        return _apply(values, idx, sub)
    pos, ok = _positions(sub, rng, start, idx)
    new = _splice(sub, pos, pl.col("v").str.slice(pl.col("pos"), 1), 0)
    return _apply(values, idx[ok], new.filter(pl.Series(ok)))


def insert_space(values: pl.Series, mask, at) -> tuple[pl.Series, np.ndarray]:
    """A space inserted after `at` characters (the surname), as clerks align two-character names."""
    idx, sub = _chosen(values, mask)
    at = np.broadcast_to(np.asarray(at), (len(values),))[idx]
    ok = sub.str.len_chars().to_numpy() > at
    new = _splice(sub, at, pl.lit(" "), 0)
    return _apply(values, idx[ok], new.filter(pl.Series(ok)))


_S2T = OpenCC("s2t")


def _traditional(text: str) -> str:
    """OpenCC s2t, kept simplified when an old GBK client could not hold the result."""
    converted = _S2T.convert(text)
    try:
        converted.encode("gbk")
    except UnicodeEncodeError:
        return text
    return converted


def _per_distinct(values: pl.Series, function) -> pl.Series:
    """`function` of each value, called once per distinct value."""
    distinct = values.unique().to_list()
    return values.replace_strict(dict(zip(distinct, map(function, distinct))), return_dtype=pl.Utf8)


def to_traditional(values: pl.Series, mask) -> tuple[pl.Series, np.ndarray]:
    """Traditional characters (OpenCC s2t), converted once per distinct value."""
    idx, sub = _chosen(values, mask)
    return _apply(values, idx, _per_distinct(sub, _traditional))


def swap_neighbours(values: pl.Series, mask, rng, limit: int = 17) -> tuple[pl.Series, np.ndarray]:
    """Two neighbouring characters among the first `limit` swapped."""
    idx, sub = _chosen(values, mask)
    if not len(idx):
        return _apply(values, idx, sub)
    lengths = sub.str.len_chars().to_numpy()
    span = np.minimum(lengths, limit) - 1
    pos = np.floor(rng.random(len(idx)) * np.maximum(span, 1)).astype(np.int64)
    ok = span >= 1
    frame = pl.DataFrame({"v": sub, "pos": pos})
    new = frame.select(pl.concat_str(
        pl.col("v").str.slice(0, pl.col("pos")), pl.col("v").str.slice(pl.col("pos") + 1, 1),
        pl.col("v").str.slice(pl.col("pos"), 1), pl.col("v").str.slice(pl.col("pos") + 2))).to_series()
    return _apply(values, idx[ok], new.filter(pl.Series(ok)))


def wrong_char(values: pl.Series, mask, rng, limit: int = 17, alphabet: str = _DIGITS) -> tuple[pl.Series, np.ndarray]:
    """One of the first `limit` characters replaced by another character of `alphabet`."""
    idx, sub = _chosen(values, mask)
    if not len(idx):
        return _apply(values, idx, sub)
    span = np.minimum(sub.str.len_chars().to_numpy(), limit)
    pos = np.floor(rng.random(len(idx)) * np.maximum(span, 1)).astype(np.int64)
    letters = pl.Series(list(alphabet), dtype=pl.Utf8)
    frame = pl.DataFrame({"v": sub, "pos": pos, "shift": rng.integers(1, len(alphabet), len(idx))})
    old = frame.select(pl.col("v").str.slice(pl.col("pos"), 1)).to_series()
    where = old.replace_strict({c: i for i, c in enumerate(alphabet)}, default=-1,
                               return_dtype=pl.Int64).to_numpy()
    ok = (where >= 0) & (span > 0)
    replacement = letters.gather((np.maximum(where, 0) + frame["shift"].to_numpy()) % len(alphabet))
    new = _splice(sub, pos, pl.lit(replacement), 1)
    return _apply(values, idx[ok], new.filter(pl.Series(ok)))


def legacy15(values: pl.Series, mask) -> tuple[pl.Series, np.ndarray]:
    """18-digit ID numbers written in their 15-digit legacy form."""
    idx, sub = _chosen(values, mask)
    return _apply(values, idx, legacy_id(sub))


def fullwidth_digits(values: pl.Series, mask) -> tuple[pl.Series, np.ndarray]:
    idx, sub = _chosen(values, mask)
    new = sub.str.replace_many(list(_FULLWIDTH), list(_FULLWIDTH.values()))
    return _apply(values, idx, new)


def lower_x(values: pl.Series, mask) -> tuple[pl.Series, np.ndarray]:
    idx, sub = _chosen(values, mask)
    return _apply(values, idx, sub.str.replace("X", "x", literal=True))


@functools.cache
def _pinyin(text: str) -> str:
    """Toneless pinyin of Chinese text in one capitalised word (小明 → Xiaoming)."""
    from pypinyin import lazy_pinyin  # its dictionaries cost ≈ 60 MiB: loaded only where names are typed in pinyin

    return "".join(lazy_pinyin(text, errors="ignore")).capitalize()


def romanise(values: pl.Series, mask, surname_len) -> tuple[pl.Series, np.ndarray]:
    """Names written in pinyin, surname then given name (张小明 → Zhang Xiaoming); `surname_len`
    (per row) gives where the surname ends."""
    idx, sub = _chosen(values, mask)
    frame = pl.DataFrame({"v": sub.str.replace_all(" ", "", literal=True),
                          "k": np.asarray(surname_len, dtype=np.int64)[idx]})
    parts = frame.select(pl.col("v").str.slice(0, pl.col("k")).alias("surname"),
                         pl.col("v").str.slice(pl.col("k")).alias("given"))
    words = [_per_distinct(parts[c], _pinyin) for c in ("surname", "given")]
    new = (words[0] + " " + words[1]).str.strip_chars(" ")
    return _apply(values, idx, new)


def given_name_first(values: pl.Series, mask) -> tuple[pl.Series, np.ndarray]:
    """Pinyin names with the surname moved after the given name (Zhang Xiaoming → Xiaoming Zhang)."""
    idx, sub = _chosen(values, mask)
    return _apply(values, idx, sub.str.replace(r"^(\S+) (.+)$", "${2} ${1}"))


def blank(values: pl.Series, mask) -> tuple[pl.Series, np.ndarray]:
    """Values left blank (null); the system's own placeholder is written at export."""
    idx, sub = _chosen(values, mask)
    return _apply(values, idx, pl.Series([None] * len(idx), dtype=pl.Utf8))
