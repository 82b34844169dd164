"""Match the administrative head of addresses (省 市 区 街道 社区) against the divisions.

The head is read from the left, one division at a time, with relational steps instead of a
per-address loop: every prefix of 2–`MAX_LENGTH` characters of the unread text is joined with
the spellings of `divisions.spellings()`; a candidate must be deeper than the division read
before it and lie inside it; the longest wins, then one inside the region hint, then the
higher level.  Several codes may survive (朝阳区 without a city): they are kept, and a deeper
division read later narrows them (朝阳区 + 麦子店街道 → 北京).  A short form (南山 for 南山区)
must not be followed by a road word (北京路, 江西南路 are roads) nor by a type word, and a
short township (西丽 for 西丽街道) must be followed by one of its communities.
Villages and townships are only accepted without a division read before them when their name
says what they are (…社区 / …村, …街道 / …镇 / …乡) — or, for a township, when it lies in the
region hint (西丽白芒社区 in 深圳).

`read_codes(text, hint)` returns per address the number of characters read and, per level
1–5, the codes that remain possible (lists; null when the level was not written);
`read_heads(text, hint)` the characters read and the names of the five levels.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from linkage.normalize.address.divisions import LEVELS, MUNICIPALITIES, ancestor, names, spellings
from linkage.normalize.text import per_unique

MAX_LENGTH = 15  # the longest county name (level 3); longer townships and villages are rare
# after a short form: a road (北京路, 江西南路, 人民大道) or the type word it dropped (南山区)
SHORT_GUARD = r"^(?:[东西南北中]?(?:路|街|道|巷|弄|大道|大街|里|胡同|公路)|[省市区县旗州盟镇乡村])"
# where the stem read for the head ends: a digit, a Latin letter or a building number (十六栋)
AFTER_STEM = r"(?s)(?:[0-9A-Z]|[零〇一二两三四五六七八九十百千]+(?:栋|幢|号楼|单元)).*"
SELF_NAMED = {4: r"(?:街道|镇|乡)$", 5: r"(?:社区|村)$"}
_SEED = 20231  # of the 64-bit hashes prefixes and spellings are joined on
_BITMAP_MASK = (1 << 24) - 1  # low bits of those hashes in `_spelling_bitmap`


def _spelled(state: pl.DataFrame, table: pl.DataFrame, keep: pl.Expr = pl.lit(True)) -> pl.DataFrame:
    """Rows of `table` (with its `key`, see `_keyed`) spelled at the start of each `rest` of
    `state` and satisfying `keep`, with k = their length.  Prefixes and spellings meet on
    64-bit hashes of the text (a bitmap of the spellings' hashes first drops the many prefixes
    that cannot be one), then the text itself is compared."""
    rest = state["rest"]
    length = rest.str.len_chars().to_numpy()
    bitmap = _spelling_bitmap()
    found = []
    for k in range(2, MAX_LENGTH + 1):
        key = rest.str.head(k).hash(seed=_SEED)
        rows = np.flatnonzero(bitmap[key.to_numpy() & _BITMAP_MASK] & (length >= k))
        found.append(pl.DataFrame({"row": rows, "k": np.full(len(rows), k), "key": key.gather(rows)}))
    prefixes = pl.concat(found)
    return (
        state.gather(prefixes["row"]).with_columns(prefixes.drop("row"))
        .join(table, on="key")
        .filter(keep)
        .filter(pl.col("rest").str.starts_with(pl.col("spelling")))
        .drop("key")
    )


@functools.cache
def _spelling_bitmap() -> np.ndarray:
    """True at the low bits of every spelling's join key (a few percent of the slots)."""
    bitmap = np.zeros(_BITMAP_MASK + 1, dtype=bool)
    bitmap[_keyed()["key"].to_numpy() & _BITMAP_MASK] = True
    return bitmap


@functools.cache
def _keyed(level: int | None = None) -> pl.DataFrame:
    """`spellings()` (or one level of them) with the join key of `_spelled` and `self_named`
    (not a township or community, or one whose name says what it is: …街道, …社区)."""
    table = spellings() if level is None else spellings().filter(pl.col("level") == level)
    self_named = pl.lit(True)
    for named_level, pattern in SELF_NAMED.items():
        self_named = self_named & ((pl.col("level") != named_level) | pl.col("spelling").str.contains(pattern))
    return table.with_columns(pl.col("spelling").hash(seed=_SEED).alias("key"), self_named.alias("self_named"))


def _confirmed_short_townships(found: pl.DataFrame) -> pl.DataFrame:
    """Drop short township spellings (东四, 中山 are also the start of road names) unless one of
    their own communities follows (西丽白芒社区)."""
    short = (pl.col("level") == 4) & pl.col("short")
    candidates = found.filter(short)
    if candidates.is_empty():
        return found
    following = candidates.select(
        pl.struct("id", "k", "code").alias("candidate"), pl.col("rest").str.slice(pl.col("k")).alias("rest"))
    communities = _keyed(5).select("key", "spelling", pl.col("code").alias("community"))
    confirmed = (
        _spelled(following, communities)
        .filter(pl.col("community") // 1000 == pl.col("candidate").struct.field("code"))
        .select(pl.col("candidate").struct.unnest()).unique()
    )
    return pl.concat([found.filter(~short), candidates.join(confirmed, on=["id", "k", "code"], how="semi")])


def _candidates(state: pl.DataFrame, context: pl.DataFrame, hint: pl.DataFrame) -> pl.DataFrame:
    """Every admissible division spelled at the start of `rest`: id, k (length), level, code, in_hint."""
    # deeper than, and inside, the division read before (when one was read)
    inside = (ancestor(pl.col("code"), pl.col("level"), pl.col("context_level").fill_null(1))
              == pl.col("context_code")).fill_null(True)
    state = state.select("id", "rest", "last").join(context, on="id", how="left")
    found = _spelled(state, _keyed(), (pl.col("level") > pl.col("last")) & inside)
    short = found.filter(pl.col("short"))
    unguarded = short.filter(~pl.col("rest").str.slice(pl.col("k")).str.contains(SHORT_GUARD))
    found = _confirmed_short_townships(pl.concat([found.filter(~pl.col("short")), unguarded]))
    found = found.with_columns(pl.col("context_code").is_null().alias("free"), _in_hint(hint).alias("in_hint"))
    found = found.filter(~pl.col("free") | pl.col("self_named") | ((pl.col("level") == 4) & pl.col("in_hint")))
    return found.select("id", "k", "level", "code", "in_hint").unique()


def _in_hint(hint: pl.DataFrame) -> pl.Expr:
    """True where a candidate lies inside, or contains, one of the hint's divisions."""
    inside = pl.lit(False)
    for code, level in hint.iter_rows():
        below = (pl.col("level") >= level) & (ancestor(pl.col("code"), pl.col("level"), level) == code)
        above = (pl.col("level") < level) & (ancestor(pl.lit(code, pl.Int64), pl.lit(level), pl.col("level")) == pl.col("code"))
        inside = inside | below | above
    return inside


def read_heads(text: pl.Series, hint: pl.DataFrame) -> pl.DataFrame:
    """Per address of `text` (no nulls): `read` characters and the names of the five levels
    (`province` … `community`, see `division_names`).  Division names hold no digits, Latin
    letters or building numbers (十六栋), so each distinct leading run without them is read once."""
    stems = text.str.replace(AFTER_STEM, "")
    return per_unique(stems, lambda distinct: _read_and_name(distinct, hint), always=True)


def _read_and_name(text: pl.Series, hint: pl.DataFrame) -> pl.DataFrame:
    heads = read_codes(text, hint)
    return pl.concat([heads.select("read"), division_names(heads, hint)], how="horizontal")


def read_codes(text: pl.Series, hint: pl.DataFrame) -> pl.DataFrame:
    """Per address of `text` (no nulls): `read` characters and `codes_1` … `codes_5` (List[Int64])."""
    state = pl.DataFrame({"id": pl.int_range(len(text), eager=True, dtype=pl.Int64), "rest": text,
                          "last": pl.zeros(len(text), pl.Int8, eager=True),
                          "read": pl.zeros(len(text), pl.Int64, eager=True)})
    context = pl.DataFrame(schema={"id": pl.Int64, "context_code": pl.Int64, "context_level": pl.Int8})
    found: list[pl.DataFrame] = []
    active = state
    for _ in range(5):
        candidates = _candidates(active, context, hint)
        if candidates.is_empty():
            break
        score = pl.col("k") * 100 + pl.col("in_hint").cast(pl.Int64) * 10 - pl.col("level")
        best = candidates.filter(score == score.max().over("id"))
        found.append(best.select("id", "level", "code"))
        step = best.group_by("id").agg(pl.col("k").first(), pl.col("level").first())
        active = (
            active.join(step, on="id")
            .select("id", pl.col("rest").str.slice(pl.col("k")), pl.col("level").alias("last"),
                    pl.col("read") + pl.col("k"))
        )
        state = state.update(active.select("id", "read"), on="id")
        context = best.select("id", pl.col("code").alias("context_code"), pl.col("level").alias("context_level"))
    codes = pl.concat(found) if found else pl.DataFrame(schema={"id": pl.Int64, "level": pl.Int8, "code": pl.Int64})
    per_level = state.select("id", "read")
    for level in range(1, 6):
        at_level = codes.filter(pl.col("level") == level).group_by("id").agg(pl.col("code").sort().alias(f"codes_{level}"))
        per_level = per_level.join(at_level, on="id", how="left")
    return per_level.sort("id").drop("id")


def division_names(heads: pl.DataFrame, hint: pl.DataFrame) -> pl.DataFrame:
    """Names of the five levels per address, from the deepest level read and everything above
    it (南山区 → 广东省 深圳市 南山区).  A level is named when every code still possible agrees
    on its name.  Addresses with no division read take the region hint's levels."""
    deepest = pl.coalesce(*(pl.when(pl.col(f"codes_{level}").is_not_null()).then(pl.lit(level, pl.Int8))
                            for level in range(5, 0, -1)))
    frame = heads.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("id"),
        pl.coalesce(*(pl.col(f"codes_{level}") for level in range(5, 0, -1))).alias("code"),
        deepest.alias("level"))
    if hint.height:
        fallback = pl.lit(pl.Series(hint["code"].to_list(), dtype=pl.Int64).implode())
        hint_level = int(hint["level"].max())  # one level: a hint names one kind of division
        frame = frame.with_columns(
            pl.when(pl.col("code").is_null()).then(fallback).otherwise(pl.col("code")).alias("code"),
            pl.col("level").fill_null(hint_level))
    exploded = frame.explode("code").drop_nulls("code")
    table = names()
    names_of = dict(table.filter(pl.col("code").is_in(MUNICIPALITIES)).iter_rows())
    out = frame.select("id")
    for level, label in LEVELS.items():
        at_level = (
            exploded.filter(pl.col("level") >= level)
            .select("id", ancestor(pl.col("code"), pl.col("level"), level).alias("code"))
            .join(table, on="code")
            .group_by("id").agg(pl.col("name").unique().alias("names"))
            .filter(pl.col("names").list.len() == 1)
            .select("id", pl.col("names").list.first().alias(label))
        )
        out = out.join(at_level, on="id", how="left")
    municipality = pl.col("province").is_in([names_of[code] for code in MUNICIPALITIES])
    return out.sort("id").drop("id").with_columns(
        pl.coalesce("city", pl.when(municipality).then(pl.col("province"))).alias("city"))
