"""Match the administrative head of addresses (省 市 区 街道 社区) against the divisions.

The head is read from the left, one division at a time, with relational steps instead of a
per-address loop: every prefix of 2–`MAX_LENGTH` characters of the unread text is joined with
the spellings of `divisions.spellings()`; a candidate must be deeper than the division read
before it and lie inside it; the longest wins, then one inside the region hint, then the
higher level.  Several codes may survive (朝阳区 without a city): they are kept, and a deeper
division read later narrows them (朝阳区 + 麦子店街道 → 北京).  A short form (南山 for 南山区)
must not be followed by a road word (北京路, 江西南路 are roads), a type word or a compound
word (钱塘公寓, 嘉禾花园 name compounds), and a short township (西丽 for 西丽街道) must be
followed by one of its communities; a township starting a compound's name where it may stand
is read without taking the name (上城区望江家园: 望江街道, the compound 望江家园 left for the
tail).  With a region hint, a county's short form far from it (outside its province) named
alone is not read where a compound's or road's name follows (嘉禾明珠苑, 新安江路 for 杭州市).
Villages and townships are only accepted without a division read before them when their name
says what they are (…社区 / …村, …街道 / …镇 / …乡) — or, for a township, when it lies in the
region hint (西丽白芒社区 in 深圳); a village alone, with a hint, only in the hint's province.

`read_codes(text, hint)` returns per address the number of characters read and, per level
1–5, the codes that remain possible (lists; null when the level was not written);
`read_heads(text, hint)` the characters read and the names of the five levels.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from linkage.normalize.address.divisions import LEVELS, MUNICIPALITIES, RANKS, ancestor, names, spellings
from linkage.normalize.address.history import transfers
from linkage.normalize.address.rules import COMPOUND_ENDS, COMPOUND_PART, LONG_COMPOUND_WORDS
from linkage.normalize.text import per_unique

MAX_LENGTH = 15  # the longest county name (level 3); longer townships and villages are rare
WRITTEN_LEVELS = (2, 3)  # the levels whose former names `division_names` reports
MAX_STEPS = 9  # five levels, and divisions written twice or development zones between them
# a development zone between two levels (杭州经济技术开发区下沙街道, 江干区经济技术开发区): passed over;
# its name holds no division's type word (劣杭州市余杭区星桥开发区 is no zone's name)
DEVELOPMENT_ZONE = (r"^([\p{Han}&&[^省市区县]]{0,10}?(?:经济技术开发区|经济开发区|技术开发区|高新技术产业开发区|高新技术开发区|"
                    r"高新区|开发区|工业园区|工业区|产业园区|园区|保税区|度假区|新区|新城))")
# after a short form: a road (北京路, 江西南路, 中山二路, 人民大道) or the type word it dropped (南山区)
SHORT_GUARD = r"^(?:[东西南北中]?[一二三四五六七八九十0-9]*(?:路|街|道|巷|弄|大道|大街|里|胡同|公路)|[省市区县旗州盟镇乡村])"
# a township's short form starting a road's name (东四十条, 小龙坎正街, 江北文昌一路, 蛇口工业七路)
ROAD_AHEAD = r"^(?:\p{Han}?|\p{Han}{0,3}[一二三四五六七八九十])(?:路|街|条|巷|大道|大街)"
HOUSE_MARK = "0"  # stands for the house part cut from a stem (`AFTER_STEM`)
# after a short form: a compound word, so the short form starts a compound's name (钱塘公寓,
# 嘉禾花园, 望江家园, 天水雅苑 — not 嘉禾县, 望江县 or 天水市); a one-character word only where
# the name ends there (滨湖苑3幢; 昆山城北镇 and 苏州园区 are divisions)
_COMPOUND_END = rf"{COMPOUND_ENDS}{COMPOUND_PART}?(?:{HOUSE_MARK}|$)"
COMPOUND_AHEAD = rf"^(?:{LONG_COMPOUND_WORDS}|[雅嘉名景花新华豪]?{_COMPOUND_END})"
# … or a compound's name further on (明珠花园, 江南春城, 大东门荣发小区)
COMPOUND_NAME = rf"^\p{{Han}}*?(?:{LONG_COMPOUND_WORDS}|中心|{_COMPOUND_END})"
# where the stem read for the head ends: a digit, a Latin letter or a building number (十六栋);
# what follows is marked by one digit, so that a name followed by a house number (沙河街12号:
# a road, not 沙河街道) still shows it
AFTER_STEM = r"(?s)(?:[0-9A-Z]|[零〇一二两三四五六七八九十百千]+(?:栋|幢|号楼|单元)).*"
SELF_NAMED = {4: r"(?:街道|镇|乡)$", 5: r"(?:社区|村)$"}
_SEED = 20231  # of the 64-bit hashes prefixes and spellings are joined on
_BITMAP_MASK = (1 << 24) - 1  # low bits of those hashes in `_spelling_bitmap`


def _spelled(state: pl.DataFrame, part: str, keep: pl.Expr = pl.lit(True),
             columns: dict[str, str] | None = None) -> pl.DataFrame:
    """Rows of the spellings `_keyed(part)` (their columns renamed by `columns`) spelled at the
    start of each `rest` of `state` and satisfying `keep`, with k = their length.  Prefixes and
    spellings meet on 64-bit hashes of the text (a bitmap of the spellings' hashes first drops
    the many prefixes that cannot be one), then the text itself is compared."""
    table = _keyed(part)
    if columns:
        table = table.select("key", "spelling", *(pl.col(old).alias(new) for old, new in columns.items()))
    rest = state["rest"]
    length = rest.str.len_chars().to_numpy()
    bitmap = _spelling_bitmap(part)
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
def _spelling_bitmap(part: str) -> np.ndarray:
    """True at the low bits of every spelling's join key (a few percent of the slots)."""
    bitmap = np.zeros(_BITMAP_MASK + 1, dtype=bool)
    bitmap[_keyed(part)["key"].to_numpy() & _BITMAP_MASK] = True
    return bitmap


@functools.cache
def _keyed(part: str) -> pl.DataFrame:
    """Spellings with the join key of `_spelled` and `self_named` (not a township or community,
    or one whose name says what it is: …街道, …社区).  `part`: "main", all but the short forms
    of villages and communities; "village_shorts", those (姜家 for 姜家村), read only right after
    their township and kept apart so that the many common words among them (人民, 中心) cost
    nothing elsewhere."""
    table = spellings()
    village_short = (pl.col("level") == 5) & pl.col("short")
    table = table.filter(village_short if part == "village_shorts" else ~village_short)
    self_named = pl.lit(True)
    for named_level, pattern in SELF_NAMED.items():
        self_named = self_named & ((pl.col("level") != named_level) | pl.col("spelling").str.contains(pattern))
    return table.with_columns(pl.col("spelling").hash(seed=_SEED).alias("key"), self_named.alias("self_named"))


def _followed_by_part(candidates: pl.DataFrame) -> pl.DataFrame:
    """The candidates (id, k, code, level, rest, …) whose following text starts with a division
    inside them (宁波镇海: 镇海区 follows 宁波; 西丽白芒社区: 白芒社区 follows 西丽) or with
    themselves again (镇江镇江市)."""
    if candidates.is_empty():
        return candidates
    following = candidates.select(
        pl.struct("id", "k", "code", "level").alias("candidate"), pl.col("rest").str.slice(pl.col("k")).alias("rest"))
    level = pl.col("candidate").struct.field("level")
    after = pl.col("rest").str.slice(pl.col("k"))
    doubtful_part = (pl.col("short") & (after.str.contains(SHORT_GUARD) | after.str.contains(COMPOUND_AHEAD)
                                        | ((pl.col("part_level") >= 4) & after.str.contains(ROAD_AHEAD)))
                     # a division named like a compound word (新村 village: 东湖新村 is no 东湖区)
                     | pl.col("spelling").str.contains(rf"^(?:{LONG_COMPOUND_WORDS})$"))
    confirmed = (
        _spelled(following, "main", columns={"short": "short", "code": "part", "level": "part_level"})
        .filter(~doubtful_part & (((pl.col("part_level") > level)
                  & (ancestor(pl.col("part"), pl.col("part_level"), level) == pl.col("candidate").struct.field("code")))
                 | (pl.col("part") == pl.col("candidate").struct.field("code"))))
        .select(pl.col("candidate").struct.unnest()).unique()
    )
    return candidates.join(confirmed, on=["id", "k", "code", "level"], how="semi")


def _short_forms_admitted(found: pl.DataFrame, hint: pl.DataFrame) -> pl.DataFrame:
    """Short forms (南山 for 南山区) are admitted unless a road, a type word or a compound word
    follows them (北京路, 中山二路; 朝阳镇; 嘉禾花园, 钱塘公寓), or, for a township, unless it comes
    without its county or prefecture right before it (东四, 中山 also start road names), or, with
    a region hint, for a county outside the hint's province named with nothing before it and
    starting what reads as a compound's or a road's name (with the hint 杭州市, 嘉禾明珠苑,
    江南春城 and 新安江路 name no 嘉禾县, 江南区 or 新安县; 湖南嘉禾 does) — in all these cases
    admitted after all when a division inside them follows (宁波镇海区, 西丽白芒社区,
    嘉禾珠泉镇).  A village or community's short form (泽国镇姜家 for 姜家村) only right after
    its township.  A township's short form starting a compound's name after a division holding
    it, or alone inside the hint (上城区望江家园, 望江家园 with the hint 杭州市) is read too, but
    `keeps_name`: its characters stay for the compound (望江街道, 望江家园)."""
    after = pl.col("rest").str.slice(pl.col("k"))
    short = found.filter(pl.col("short")).with_columns(  # what follows, tested once
        after.str.contains(SHORT_GUARD).alias("_guard"), after.str.contains(ROAD_AHEAD).alias("_road"),
        after.str.contains(COMPOUND_AHEAD).alias("_compound"))
    placed = (pl.col("context_level") >= 2).fill_null(False)
    if hint.height:
        placed = placed | (pl.col("context_code").is_null() & _in_hint(hint))
    keeps_name = ((pl.col("level") == 4) & ~pl.col("repeat") & placed & pl.col("_compound")
                  & ~pl.col("_guard") & ~pl.col("_road"))
    # a county's short form named alone, far from the hint (outside its province), starting a
    # compound's name or a road's
    far = ((pl.col("level") == 3) & pl.col("context_code").is_null() & ~_in_hint(_province(hint))
           & (after.str.contains(COMPOUND_NAME) | pl.col("_road"))) if hint.height else pl.lit(False)
    doubtful = (pl.col("_guard") | pl.col("_compound") | far
                | ((pl.col("level") >= 4) & ((pl.col("context_level") < 2).fill_null(True) | pl.col("_road")))
                | ((pl.col("level") == 5) & (pl.col("context_level") != 4)).fill_null(True))
    short = short.with_columns(keeps_name.alias("keeps_name"), doubtful.alias("_doubtful")).drop(
        "_guard", "_road", "_compound")
    sure = pl.concat([found.filter(~pl.col("short")),
                      short.filter(~pl.col("_doubtful") | pl.col("keeps_name"))],
                     how="diagonal_relaxed")
    # only a doubtful short form as long as the longest sure reading could still win
    longest = sure.group_by("id").agg(pl.col("k").max().alias("sure_k"))
    doubtful_rows = (short.filter(pl.col("_doubtful") & ~pl.col("keeps_name") & (pl.col("level") < 5))
                     .join(longest, on="id", how="left")
                     .filter(pl.col("sure_k").is_null() | (pl.col("k") >= pl.col("sure_k"))).drop("sure_k"))
    sure = sure.drop("_doubtful")
    doubtful_rows = doubtful_rows.drop("_doubtful")
    return pl.concat([sure, _followed_by_part(doubtful_rows)], how="diagonal_relaxed")


def _candidates(state: pl.DataFrame, context: pl.DataFrame, hint: pl.DataFrame) -> pl.DataFrame:
    """Every admissible division spelled at the start of `rest`: id, k (length), level, code,
    in_hint, rank, written and `repeat` — a division read already, written again (北京北京市,
    杭州市余杭区杭州市余杭区), which is passed over."""
    # deeper than, and inside, the division read before (or a division that took part of its
    # territory: 余杭区临平街道 is in 临平区 today)
    reach = pl.col("reach").fill_null(pl.col("context_code"))
    inside = (ancestor(pl.col("code"), pl.col("level"), pl.col("context_level").fill_null(1)) == reach).fill_null(True)
    repeat = ((pl.col("level") <= pl.col("context_level"))
              & (ancestor(pl.col("context_code"), pl.col("context_level"), pl.col("level")) == pl.col("code"))
              ).fill_null(False)
    context = context.join(transfers().rename({"code": "context_code"}), on="context_code", how="left")
    context = pl.concat([context, context.filter(pl.col("reach").is_not_null()).with_columns(pl.lit(None, pl.Int64).alias("reach"))])
    state = state.select("id", "rest", "last").join(context, on="id", how="left")
    # a county in the same prefecture after a county: the first stood for the prefecture
    # (湖南省吉首市保靖县: 吉首市 is the seat of 湘西州)
    sibling = ((pl.col("level") == 3) & (pl.col("context_level") == 3) & ~pl.col("short")
               & (pl.col("code") // 100 == pl.col("context_code") // 100)).fill_null(False)
    keep = ((pl.col("level") > pl.col("last")) & inside) | repeat | sibling
    found = _spelled(state, "main", keep)
    after_township = state.filter(pl.col("context_level") == 4)
    if after_township.height:  # a village's short form only right after its township
        found = pl.concat([found, _spelled(after_township, "village_shorts", keep)])
    # found only in a division that took part of the territory: ranked after one in the
    # division read (余杭区临平街道 → 临平区); a short form there (余杭区临平, 余杭区乔司) passes
    # the same guards as any other
    moved = pl.col("reach").is_not_null() & ~repeat
    found = found.with_columns(
        repeat.alias("repeat"), pl.when(moved).then(pl.lit(RANKS["former"], pl.Int8)).otherwise(pl.col("rank")).alias("rank"))
    found = _short_forms_admitted(found, hint)
    # 白云湖街 for 白云湖街道, but not a road of that name with its house number (沙河街12号)
    street_as_road = (pl.col("rank") == RANKS["alias"]) & pl.col("written").str.ends_with("街道") & pl.col(
        "rest").str.slice(pl.col("k") - 1).str.contains(r"^街[0-9甲乙丙丁号巷]")
    found = found.filter(~street_as_road)
    found = found.with_columns(pl.col("context_code").is_null().alias("free"), _in_hint(hint).alias("in_hint"))
    # read without a division before it: only what names its kind, under its own name; an
    # unofficial township spelling only after its county or prefecture (江苏省镇江镇江市 is no 镇江镇)
    self_named = pl.col("self_named") & (pl.col("rank") != RANKS["alias"]) | (pl.col("level") < 4)
    alias_too_far = (pl.col("rank") == RANKS["alias"]) & (pl.col("level") == 4) & (pl.col("context_level") < 2)
    found = found.filter((~pl.col("free") | self_named | ((pl.col("level") == 4) & pl.col("in_hint")))
                         & ~alias_too_far.fill_null(False))
    # a village named alone: not one named like a compound word (新村), nor, with a hint, one
    # outside the hint's province (时代新村 in 山东 for 杭州市)
    alone = pl.col("free") & (pl.col("level") == 5)
    outside = ~_in_hint(_province(hint)) if hint.height else pl.lit(False)
    compound_word = pl.col("written").str.contains(rf"^(?:{LONG_COMPOUND_WORDS})$")
    found = found.filter(~(alone & (outside | compound_word)))
    return found.select("id", "k", "level", "code", "in_hint", "rank", "written", "short", "repeat",
                        pl.col("keeps_name").fill_null(False)).unique()


@functools.cache
def _children() -> dict[int, list[tuple[int, str]]]:
    """A province's or prefecture's code → its prefectures or counties (code, name)."""
    table = names().filter(pl.col("code").is_between(1000, 999999))
    out: dict[int, list[tuple[int, str]]] = {}
    for code, name in table.iter_rows():
        out.setdefault(code // 100, []).append((code, name))
    return out


def _one_typo_child(parent: int, written: str) -> int | None:
    """The one prefecture or county inside `parent` whose name differs from `written` in a
    single character other than its type word (照通市 for 昭通市, 义务市 for 义乌市), or None."""
    near = [code for code, name in _children().get(parent, ())
            if len(name) == len(written) and name[-1] == written[-1]
            and sum(a != b for a, b in zip(name, written)) == 1]
    return near[0] if len(near) == 1 else None


def _typos(stuck: pl.DataFrame, context: pl.DataFrame) -> pl.DataFrame:
    """For addresses where nothing is spelled next right after a province or a prefecture, a
    prefecture or county written with one wrong character (云南省照通市, 金华市义务市, 宁波鄞洲区):
    the one division inside that its name is a character away from, read as an unofficial
    spelling of it."""
    rows = stuck.join(context.filter(pl.col("context_level").is_in([1, 2])), on="id").select(
        "id", "context_code", (pl.col("context_level") + 1).alias("level"),
        pl.col("rest").str.extract(r"^(\p{Han}{1,4}?[州盟县区市旗])", 1).alias("written"))
    rows = rows.drop_nulls("written").filter(pl.col("written").str.len_chars() >= 3)
    if rows.is_empty():
        return pl.DataFrame()
    pairs = rows.select("context_code", "written").unique()
    pairs = pairs.with_columns(pl.Series("code", [_one_typo_child(p, w) for p, w in pairs.iter_rows()],
                                         dtype=pl.Int64))
    return rows.join(pairs.drop_nulls("code"), on=["context_code", "written"]).select(
        "id", pl.col("written").str.len_chars().cast(pl.Int64).alias("k"), pl.col("level").cast(pl.Int8),
        "code", pl.lit(False).alias("in_hint"), pl.lit(RANKS["alias"], pl.Int8).alias("rank"),
        "written", pl.lit(False).alias("short"), pl.lit(False).alias("repeat"),
        pl.lit(False).alias("keeps_name"))


def _province(hint: pl.DataFrame) -> pl.DataFrame:
    """The provinces of the hint's divisions."""
    return hint.select(ancestor(pl.col("code"), pl.col("level"), 1).alias("code"),
                       pl.lit(1, pl.Int8).alias("level")).unique()


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
    letters or building numbers (十六栋), so each distinct leading run without them is read once
    (followed by `HOUSE_MARK` where the address goes on)."""
    stems = text.str.replace(AFTER_STEM, HOUSE_MARK)
    return per_unique(stems, lambda distinct: _read_and_name(distinct, hint), always=True)


def _read_and_name(text: pl.Series, hint: pl.DataFrame) -> pl.DataFrame:
    heads = _read_past_junk(text, read_codes(text, hint), hint)
    return pl.concat([heads.select("read"), division_names(heads, hint)], how="horizontal")


def _read_past_junk(text: pl.Series, heads: pl.DataFrame, hint: pl.DataFrame) -> pl.DataFrame:
    """Where no province or prefecture was read from the start but one is written in full
    further on (邮寄地址浙江省杭州市…, 沙河街道内蒙古包头市…, 得力集团宁波江北工业园浙江省宁波市…), the
    head is read again from there; the text before it is dropped.  Kept when it reads a
    province or prefecture."""
    names = _upper_names()
    unread = (heads["codes_1"].is_null() & heads["codes_2"].is_null()
              & text.str.contains_any(list(names)).fill_null(False))
    if not unread.any():
        return heads
    rows = unread.arg_true()
    junk = text.gather(rows).str.extract(rf"^(.+?)(?:{'|'.join(names)})", 1).str.len_chars()
    later = junk.is_not_null()
    rows, junk = rows.filter(later), junk.filter(later)
    again = read_codes(text.gather(rows).str.slice(junk), hint).with_columns(pl.col("read") + junk)
    better = (again["codes_1"].is_not_null() | again["codes_2"].is_not_null())
    rows, again = rows.filter(better), again.filter(better)
    if again.is_empty():
        return heads
    return (heads.with_row_index("row").update(again.with_columns(rows.alias("row")), on="row", include_nulls=True)
            .drop("row"))


@functools.cache
def _upper_names() -> tuple[str, ...]:
    """Provinces and prefectures written in full (or a province's short form of three
    characters or more: 内蒙古), longest first."""
    table = spellings().filter((pl.col("level") <= 2) & (pl.col("spelling").str.len_chars() >= 3)
                               & (~pl.col("short") | (pl.col("level") == 1)))
    return tuple(sorted(set(table["spelling"].to_list()), key=len, reverse=True))


def read_codes(text: pl.Series, hint: pl.DataFrame) -> pl.DataFrame:
    """Per address of `text` (no nulls): `read` characters, `codes_1` … `codes_5` (List[Int64])
    and `written_2`, `written_3` (List[Utf8]): the full names of the prefectures and counties
    read, as written (江干区 for today's 上城区 / 钱塘区).

    Each step reads the longest division spelled next (on a tie: one in the region hint, a
    name of today's before an unofficial or former one, the higher level).  A division written
    again is passed over; so is a development zone (杭州经济技术开发区下沙街道) or a short
    repeat (宁波宁波余姚市), but only when a division follows it.  At the deepest level read,
    today's names win over unofficial and former ones when several remain."""
    state = pl.DataFrame({"id": pl.int_range(len(text), eager=True, dtype=pl.Int64), "rest": text,
                          "last": pl.zeros(len(text), pl.Int8, eager=True),
                          "read": pl.zeros(len(text), pl.Int64, eager=True),
                          "pending": pl.zeros(len(text), pl.Int64, eager=True)})
    context = pl.DataFrame(schema={"id": pl.Int64, "context_code": pl.Int64, "context_level": pl.Int8})
    found: list[pl.DataFrame] = []
    active = state
    for step_number in range(MAX_STEPS):
        candidates = _candidates(active, context, hint)
        candidates = pl.concat([candidates, _typos(
            active.join(candidates.select("id").unique(), on="id", how="anti"), context)],
            how="diagonal_relaxed")
        score = (pl.col("k") * 1000 + pl.col("in_hint").cast(pl.Int64) * 100 + (~pl.col("repeat")).cast(pl.Int64) * 50
                 + (pl.col("rank") == 0).cast(pl.Int64) * 10 - pl.col("level"))
        best = candidates.filter(score == score.max().over("id"))
        new = best.filter(~pl.col("repeat"))
        # a repeat is recorded too: its code is one read already, its written name may be a former one
        found.append(best.select("id", "level", "code", "rank", "written", pl.lit(step_number).alias("step")))
        step = best.group_by("id").agg(  # a township starting a compound's name leaves it unread
            pl.when(pl.col("keeps_name")).then(0).otherwise(pl.col("k")).first().alias("k"),
            pl.col("level").first(), pl.col("repeat").first(),
            pl.col("short").min())  # a repeat written in full anywhere is committed
        # nothing spelled next: pass over a development zone, or one or two stray characters
        # before a division written in full (浙江小温州市, 浙江劣杭州市), if a division follows
        stuck = active.join(step, on="id", how="anti")
        zone = stuck.select("id", pl.col("rest").str.extract(DEVELOPMENT_ZONE, 1).str.len_chars().alias("k"))
        zone = pl.concat([zone.drop_nulls(), _stray(stuck.join(zone.drop_nulls(), on="id", how="anti"))])
        zone = zone.with_columns(pl.lit(None, pl.Int8).alias("level"), pl.lit(True).alias("repeat"),
                                 pl.lit(True).alias("short"))
        step = pl.concat([step, zone], how="vertical_relaxed")
        if step.is_empty():
            break
        committed = ~pl.col("repeat") | ~pl.col("short")
        active = active.join(step, on="id").select(
            "id", pl.col("rest").str.slice(pl.col("k")),
            pl.when(pl.col("repeat")).then(pl.col("last")).otherwise(pl.col("level")).alias("last"),
            pl.when(committed).then(pl.col("read") + pl.col("pending") + pl.col("k")).otherwise(pl.col("read")),
            pl.when(committed).then(0).otherwise(pl.col("pending") + pl.col("k")).alias("pending"))
        state = state.update(active.select("id", "read"), on="id")
        moved = new.select("id", pl.col("code").alias("context_code"), pl.col("level").alias("context_level"))
        context = pl.concat([context.join(moved, on="id", how="anti"), moved]).unique()
    codes = (pl.concat(found) if found else
             pl.DataFrame(schema={"id": pl.Int64, "level": pl.Int8, "code": pl.Int64, "rank": pl.Int8,
                                  "written": pl.Utf8, "step": pl.Int32}))
    # a level read twice (a county after a county): the later reading stands
    codes = codes.filter(pl.col("step") == pl.col("step").max().over("id", "level"))
    # at the deepest level, today's names before unofficial and former ones
    deepest = (pl.col("level") == pl.col("level").max().over("id"))
    codes = codes.filter(~deepest | (pl.col("rank") == pl.col("rank").filter(deepest).min().over("id")))
    codes = _consistent_deepest(codes)
    per_level = state.select("id", "read")
    for level in range(1, 6):
        at_level = codes.filter(pl.col("level") == level).group_by("id").agg(
            pl.col("code").unique().sort().alias(f"codes_{level}"),
            *([pl.col("written").unique().sort().alias(f"written_{level}")] if level in WRITTEN_LEVELS else []))
        per_level = per_level.join(at_level, on="id", how="left")
    return per_level.sort("id").drop("id")


def _old_names(heads: pl.DataFrame, named: pl.DataFrame) -> pl.Series:
    """Per address, the written prefecture and county names that differ from today's, joined."""
    frame = pl.DataFrame({f"w{level}": heads[f"written_{level}"] for level in WRITTEN_LEVELS})
    frame = frame.with_columns(*(named[LEVELS[level]].alias(f"t{level}") for level in WRITTEN_LEVELS))
    parts = [
        pl.col(f"w{level}").list.set_difference(pl.concat_list(pl.col(f"t{level}").fill_null(""))).list.join("")
        for level in WRITTEN_LEVELS
    ]
    joined = pl.concat_str(parts, ignore_nulls=True)
    return frame.select(pl.when(joined.str.len_chars() > 0).then(joined)).to_series()


def _stray(stuck: pl.DataFrame) -> pl.DataFrame:
    """`id`, `k`: one or two characters before a province, prefecture or county written in
    full (three characters or more); looked for at once (Aho–Corasick) before the pattern."""
    names = _full_names()
    near = stuck.filter(pl.col("rest").str.slice(1, 12).str.contains_any(list(names)).fill_null(False))
    gap = near.select("id", pl.col("rest").str.extract(rf"^(\p{{Han}}{{1,2}}?)(?:{'|'.join(names)})", 1)
                      .str.len_chars().alias("k"))
    return gap.drop_nulls()


@functools.cache
def _full_names() -> tuple[str, ...]:
    """Provinces, prefectures and counties written in full, three characters or more."""
    table = spellings().filter((pl.col("level") <= 3) & ~pl.col("short") & (pl.col("spelling").str.len_chars() >= 3))
    return tuple(sorted(set(table["spelling"].to_list()), key=len, reverse=True))


def _consistent_deepest(codes: pl.DataFrame) -> pl.DataFrame:
    """At the deepest level read, the codes inside the divisions read above them, where any
    are (沙河街道内蒙古包头市九原区: the 沙河街道 of 九原区, though many were possible when it
    was read); all of them where none is (余杭区临平街道: 临平街道 lies in 临平区 today)."""
    deepest = codes.filter(pl.col("level") == pl.col("level").max().over("id"))
    inside = deepest
    for upper in range(1, 5):
        above = codes.filter(pl.col("level") == upper).select("id", pl.col("code").alias("above")).unique()
        has_above = inside.join(above.select("id").unique(), on="id", how="semi")
        matched = has_above.filter(pl.col("level") > upper).join(
            above, left_on=["id", ancestor(pl.col("code"), pl.col("level"), upper)], right_on=["id", "above"], how="semi")
        inside = pl.concat([inside.join(above.select("id").unique(), on="id", how="anti"),
                            has_above.filter(pl.col("level") <= upper), matched])
    kept = pl.concat([inside, deepest.join(inside.select("id").unique(), on="id", how="anti")])
    return pl.concat([codes.filter(pl.col("level") != pl.col("level").max().over("id")), kept])


def division_names(heads: pl.DataFrame, hint: pl.DataFrame) -> pl.DataFrame:
    """Names of the five levels per address, from the deepest level read and everything above
    it (南山区 → 广东省 深圳市 南山区).  A level is named when every code still possible agrees
    on its name.  Addresses with no division read take the region hint's levels.  `old_name`:
    the prefecture and county as written where they differ from today's (杭州市富阳市 →
    富阳市; 余杭区临平街道, in 临平区 since 2021 → 余杭区)."""
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
    out = out.sort("id").drop("id").with_columns(
        pl.coalesce("city", pl.when(municipality).then(pl.col("province"))).alias("city"))
    return out.with_columns(_old_names(heads, out).alias("old_name"))
