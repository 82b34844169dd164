"""The administrative divisions an address is matched against: names, spellings and codes.

`divisions()` is the packaged NBS table (`code`, `level` 1–5, `name`; see build_data.py).
`spellings()` adds the ways names are written: the full name at every level and the short
form without the type word (广东省 → 广东, 延边朝鲜族自治州 → 延边, 南山区 → 南山, 西丽街道 →
西丽, 姜家村 → 姜家) when at least two characters remain; unofficial spellings and former
names (see `history`).
Codes nest by digits (2 / 4 / 6 / 9 / 12), so `ancestor(code, level, up_to)` is arithmetic.
"""

from __future__ import annotations

import functools
from importlib import resources

import polars as pl

DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
LEVELS = {1: "province", 2: "city", 3: "district", 4: "street", 5: "community"}
# 直辖市: their counties hang under the province, which is also their city
MUNICIPALITIES = (11, 12, 31, 50)
_ETHNIC = "朝鲜|土家|苗|藏|羌|彝|布依|侗|哈尼|壮|傣|白|景颇|傈僳|回|蒙古|柯尔克孜|哈萨克|维吾尔|黎|畲|瑶|仡佬|水|土|满|锡伯|达斡尔|鄂温克|鄂伦春|纳西|拉祜|佤|普米|独龙|怒|保安|东乡|撒拉|裕固|塔吉克|毛南|仫佬|各"
TYPE_WORDS = {
    1: r"(?:(?:壮族|回族|维吾尔)?自治区|特别行政区|省|市)$",
    2: rf"(?:(?:(?:{_ETHNIC})族?)+自治州|地区|市|盟)$",
    3: rf"(?:(?:(?:{_ETHNIC})族?)+自治[县旗]|林区|新区|区|县|市|旗)$",
    4: r"(?:街道|镇|乡)$",
    5: r"(?:社区|村)$",
}
ROAD_END = r"(?:路|街|道|巷|大道)$"
LANE_END = r"(?:路|街|道|巷|大道|里|弄|胡同)$"  # 枣营北里社区: 枣营北里 is a lane


@functools.cache
def divisions() -> pl.DataFrame:
    """`code` (Int64), `level` (Int8, 1 province … 5 community), `name`, sorted by code."""
    path = resources.files("linkage") / "data" / "admin" / "divisions.parquet"
    with resources.as_file(path) as parquet:
        return pl.read_parquet(parquet)


@functools.cache
def names() -> pl.DataFrame:
    """`code`, `name` of every division, with each municipality's province name standing in
    for its city (1101 → 北京市), whose NBS name is the placeholder 市辖区."""
    table = divisions()
    provinces = table.filter(pl.col("code").is_in(MUNICIPALITIES))
    cities = pl.concat([provinces.with_columns(pl.col("code") * 100 + offset) for offset in (1, 2)])
    return pl.concat([table, cities]).select("code", "name").sort("code")


RANKS = {"current": 0, "alias": 1, "former": 2}


@functools.cache
def spellings() -> pl.DataFrame:
    """`spelling`, `level`, `code`, `short` (Boolean: a short form, needs a guard on what
    follows), `rank` (0 a name of today's division, 1 an unofficial spelling of it, 2 a former
    name of a division whose territory it holds now) and `written` (the full name the spelling
    stands for: today's, or the former one)."""
    from linkage.normalize.address.history import former_names

    current = _spelled_names(divisions(), RANKS["current"])
    upper = current.filter(pl.col("level") <= 4)  # unofficial and former spellings are of levels 1–4
    former = _spelled_names(former_names(), RANKS["former"])
    # a former name's short form never stands for a name of today's (金华 of 金华县 is 金华市)
    former = former.filter(~pl.col("short") | ~pl.col("spelling").is_in(upper["spelling"].implode()))
    # an unofficial or former spelling that is also today's name of the same division is today's
    others = (pl.concat([_aliases(), former]).sort("rank", maintain_order=True)
              .unique(["spelling", "level", "code"], keep="first", maintain_order=True)
              .join(upper, on=["spelling", "level", "code"], how="anti"))
    return pl.concat([current, others])


def _spelled_names(table: pl.DataFrame, rank: int) -> pl.DataFrame:
    """The full name at every level and the short forms of `table` (`code`, `level`, `name`)."""
    def rows(frame: pl.DataFrame, spelling: pl.Expr, short: bool) -> pl.DataFrame:
        return frame.select(spelling.alias("spelling"), "level", "code", pl.lit(short).alias("short"),
                            pl.lit(rank, pl.Int8).alias("rank"), pl.col("name").alias("written"))

    full = rows(table, pl.col("name"), False)
    shorts = [
        rows(table.filter(pl.col("level") == level), pl.col("name").str.replace(pattern, ""), True)
        .filter((pl.col("spelling").str.len_chars() >= 2) & (pl.col("spelling") != pl.col("written")))
        for level, pattern in TYPE_WORDS.items()
    ]
    # 清新区 is no 新区 of 清: a county whose type-word stem is too short loses its last character
    counties = table.filter(pl.col("level") == 3)
    shorts.append(rows(counties.filter(pl.col("name").str.replace(TYPE_WORDS[3], "").str.len_chars() < 2),
                       pl.col("name").str.slice(0, pl.col("name").str.len_chars() - 1), True)
                  .filter(pl.col("spelling").str.len_chars() >= 2))
    # 延边州, 峨边县: the short form with the bare type word
    autonomous = [
        rows(table.filter(pl.col("name").str.contains("自治[州县旗]$")),
             pl.col("name").str.replace(TYPE_WORDS[level], "") + pl.col("name").str.slice(-1), True)
        for level in (2, 3)
    ]
    # a township or community named after a road (学院路街道, 枣营北里社区) is not shortened:
    # the short form is the road
    shorts[3] = shorts[3].filter(~pl.col("spelling").str.contains(ROAD_END))
    shorts[4] = shorts[4].filter(~pl.col("spelling").str.contains(LANE_END))
    return pl.concat([full, *shorts, *autonomous])


def _aliases() -> pl.DataFrame:
    """Unofficial spellings people write: an autonomous region as a province (广西省,
    广西自治区) and a township under any of its type words (中泰乡 and 中泰镇 for 中泰街道:
    townships are often upgraded 乡 → 镇 → 街道 keeping their stem; 白云湖街, 向阳办事处 for
    a 街道).  `head` reads them only after a division they lie in."""
    table = divisions()
    regions = table.filter((pl.col("level") == 1) & pl.col("name").str.ends_with("自治区"))
    region_stem = pl.col("name").str.replace(TYPE_WORDS[1], "")
    townships = table.filter(pl.col("level") == 4).with_columns(
        pl.col("name").str.replace(TYPE_WORDS[4], "").alias("stem"))
    townships = townships.filter((pl.col("stem").str.len_chars() >= 2) & ~pl.col("stem").str.contains(ROAD_END))
    frames = [regions.select((region_stem + word).alias("spelling"), "level", "code", "name")
              for word in ("省", "自治区")]
    frames += [townships.select((pl.col("stem") + word).alias("spelling"), "level", "code", "name")
               for word in ("街道", "镇", "乡")]
    # 白云湖街, 向阳办事处 for …街道 (街道办事处 is rewritten to 街道 before reading)
    frames += [townships.filter(pl.col("name").str.ends_with("街道"))
               .select((pl.col("stem") + word).alias("spelling"), "level", "code", "name") for word in ("街", "办事处")]
    aliases = pl.concat(frames).filter(pl.col("spelling") != pl.col("name"))
    return aliases.select("spelling", "level", "code", pl.lit(False).alias("short"),
                          pl.lit(RANKS["alias"], pl.Int8).alias("rank"), pl.col("name").alias("written"))


def ancestor(code: pl.Expr, level: pl.Expr, up_to: pl.Expr | int) -> pl.Expr:
    """The code of the division at level `up_to` that contains `code` (of level `level`)."""
    digits = (_digits(level) - _digits(up_to)).clip(lower_bound=0)
    return code // pl.lit(10, pl.Int64).pow(digits.cast(pl.Int64))


def _digits(level: pl.Expr | int) -> pl.Expr:
    level = pl.lit(level) if isinstance(level, int) else level
    return (pl.when(level == 1).then(2).when(level == 2).then(4).when(level == 3).then(6)
            .when(level == 4).then(9).otherwise(12))


def resolve_hint(hint: str | None) -> pl.DataFrame:
    """Codes (`code`, `level`) of the province / prefecture / county a region hint names
    (several for an ambiguous county like 鼓楼区); empty when there is no hint or no match."""
    table = spellings().filter(pl.col("level") <= 3)
    if not hint:
        return table.clear().select("code", "level")
    text = hint.strip()
    exact = table.filter(pl.col("spelling") == text)
    if exact.is_empty():
        # a hint may be a path: 广东省深圳市 names its deepest part last
        ends = table.filter(pl.lit(text).str.ends_with(pl.col("spelling")) & ~pl.col("short"))
        exact = ends.filter(pl.col("spelling").str.len_chars() == pl.col("spelling").str.len_chars().max())
    exact = exact.filter(pl.col("level") == pl.col("level").max())  # 吉林 → the prefecture
    return exact.select("code", "level").unique().sort("code")
