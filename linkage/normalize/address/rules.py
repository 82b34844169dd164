"""Rewrite address text into its canonical spelling, and read the components of its tail.

`clean_address` prepares a whole address for reading its administrative head: width and script
folded (NFKC, traditional → simplified), punctuation and spaces dropped (one kept between
Latin words), placeholders (无,
不详) blanked, committee words unified (桃源社区居委会 → 桃源社区, 城关居委会 → 城关社区,
白石村村委会 → 白石村, 街道办事处 → 街道).

`canonical_tail` rewrites the rest (after the head, so that division names keep their own
numerals and words: 三门峡市, 第三社区, 乔屯楼社区) in one form: Chinese numerals before
counting words into digits, 号楼 / 幢 / 座 / 栋楼 / # → 栋, 室 / 房 / 房间 / 户 → nothing,
3门 → 3单元, 3-2-502 → 3栋2单元502, a floor before a room dropped (5楼502 → 502), in a 弄 the
house number is the building (100弄5号 → 100弄5栋), leading zeros dropped.

`tail_components` reads, from the canonical tail, a township or community the divisions did
not know, the road and house number, the compound (小区 / 花园 / 公寓 / 大厦 … named instead of,
or after, the road and number), building, unit and room.
"""

from __future__ import annotations

import functools
import re

import polars as pl

from linkage.normalize.address.divisions import divisions
from linkage.normalize.address.numerals import arabic_numerals
from linkage.normalize.text import apply_where, blank_placeholders, fold, simplified_too

_PUNCTUATION = r"[\u200b-\u200f\u2060\ufeff,，、;；:：\"“”'‘’()（）\[\]【】{}<>《》。·?？!！]"
# spaces go, except one between two ASCII characters (No. 5 Main Street)
# (pattern, replacement, literals): the literals are words every match contains, so values
# without any of them are skipped cheaply (none given: the pattern itself is searched for)
Rule = tuple[str, str, tuple[str, ...]]
_SPACES: tuple[Rule, ...] = ((r"\s+", " ", ()), (r" ?([^\x00-\x7F]) ?", "${1}", ()))
_ROOM_NO = r"[A-Z]?\d+[A-Z]?"
_BUILDING_NO = r"(?:[A-Z]?\d+[A-Z]?|[A-Z])"
_ROAD_WORDS = r"(?:大道|大街|公路|胡同|路|街|巷|弄|道|里|段)"
# the words a compound's name ends in (钱塘公寓, 时代小区, 国际商会中心): residential estates and the
# office or shopping complexes a building number is counted in; the one-character ones (华家池府,
# 翠苑一区) only before the house part or the end (not 江城路, 蓝湾国际超市, 镇政府门卫室)
# (the long words also keep a division's short form from being read before them: head.py)
LONG_COMPOUND_WORDS = "小区|花园|公寓|家园|嘉园|新村|山庄|公馆|别墅|大厦|大楼|广场|商城"
COMPOUND_WORDS = f"{LONG_COMPOUND_WORDS}|中心|天地|人家"
_END_CHARACTERS = "苑府庭园城里坊湾邸墅"
COMPOUND_ENDS = f"[{_END_CHARACTERS}]"
# text holding none of these holds no compound word (looked for at once, Aho–Corasick)
_COMPOUND_LITERALS = (*COMPOUND_WORDS.split("|"), *_END_CHARACTERS)
# a part of a compound written after its name: 一区, 东区, A区, 2期
COMPOUND_PART = r"(?:(?:\d+|[一二三四五六七八九十]+|[东南西北中A-Z])(?:区|期))"
# a compound's name: no road, house part or division word in it
_COMPOUND_NAME = r"[\p{Han}&&[^路街巷弄道号栋室组区村镇]]{1,14}"
COMPOUND = (rf"(?:(?<ends>{_COMPOUND_NAME}{COMPOUND_ENDS}{COMPOUND_PART}?)(?:[0-9A-Z\-]|$)"
            rf"|(?<word>{_COMPOUND_NAME}(?:{COMPOUND_WORDS}){COMPOUND_PART}?))")

# applied in order to the whole address before its head is read
HEAD_REWRITES: tuple[Rule, ...] = (
    (r"^(?:中华人民共和国|中国)", "", ("中",)),
    (r"[－—–~～_]", "-", ("－", "—", "–", "~", "～", "_")),
    # separators between two levels (浙江省-杭州-下城区, 浙江省/温州市); twice: matches overlap
    (r"(\p{Han})[\-/\\|>]+(\p{Han})", "${1}${2}", ("-", "/", "\\", "|", ">")),
    (r"(\p{Han})[\-/\\|>]+(\p{Han})", "${1}${2}", ("-", "/", "\\", "|", ">")),
    # the placeholder prefectures of the NBS list (宁波市市辖区, 上海市-市辖区-黄浦区)
    (r"市辖区|(?:省|自治区)直辖县级行政区划", "", ("市辖区", "直辖县级")),
    (r"村?(?:村民委员会|村委会)", "村", ("委员会", "村委会")),
    (r"(?:社区)?(?:居民委员会|居委会)", "社区", ("委员会", "居委会")),
    (r"街道办事处|街道办", "街道", ("街道办",)),
)
# applied in order to the tail, after its Chinese numerals became digits
TAIL_REWRITES: tuple[Rule, ...] = (
    (r"第(\d)", "${1}", ("第",)),
    (rf"({_BUILDING_NO})(?:号楼|栋楼|#楼|幢|座|栋|#)", "${1}栋", ("楼", "幢", "座", "栋", "#")),
    (r"(\d+)楼(\d+单元)", "${1}栋${2}", ("楼",)),
    (r"(\d+)门(\d)", "${1}单元${2}", ("门",)),
    (r"(\d+)(?:层|楼)-?(\d+)", "${2}", ("层", "楼")),
    (rf"({_ROOM_NO})(?:号房|房间|室|房|户)", "${1}", ("房", "室", "户")),
    (rf"(栋|单元)({_ROOM_NO})号", "${1}${2}", ()),
    (r"(\d+)-(\d+)-(\d+)$", "${1}栋${2}单元${3}", ("-",)),
    (r"(栋|单元)-", "${1}", ("-",)),
    (r"栋(\d+)-(\d{3,})$", "栋${1}单元${2}", ("-",)),
    (r"([^\d\-])(\d+)-(\d{3,})$", "${1}${2}栋${3}", ("-",)),
    (r"(\d+)弄(\d+)号", "${1}弄${2}栋", ("弄",)),
    (r"(^|[^\d])0+(\d)", "${1}${2}", ()),
)


@functools.cache
def _traditional() -> dict[str, str]:
    """Traditional → simplified for every CJK unified ideograph OpenCC changes on its own,
    except standard simplified characters (`simplified_too`: 乾县 stays 乾县, not 干县)."""
    import opencc

    chars = [chr(code) for code in range(0x4E00, 0xA000)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    keep = simplified_too()
    return {old: new for old, new in zip(chars, converted) if old != new and len(new) == 1 and old not in keep}


def simplified(text: pl.Series) -> pl.Series:
    """Traditional characters → simplified, character by character (addresses need no phrase
    conversion), in one Aho–Corasick pass; characters that are simplified ones too are kept."""
    return text.str.replace_many(_traditional())


def _rewrite(text: pl.Series, rules: tuple[Rule, ...]) -> pl.Series:
    """The rules applied in order, each only to the values it may match: finding a match
    costs a fraction of rewriting a column, and most rules match few addresses or none."""
    for pattern, replacement, literals in rules:
        hits = (text.str.contains_any(list(literals)) if literals else text.str.contains(pattern)).fill_null(False)
        count = hits.sum()
        if count > len(text) // 2:
            text = text.str.replace_all(pattern, replacement)
        elif count:
            text = apply_where(text, hits, lambda values: values.str.replace_all(pattern, replacement))
    return text


def clean_address(text: pl.Series) -> pl.Series:
    """Each address folded and with committee words unified (null when blank or a placeholder)."""
    out = fold(text).str.replace_all(_PUNCTUATION, "")
    out = apply_where(out, out.str.contains(r"\p{Ll}"), lambda values: values.str.to_uppercase())
    out = apply_where(out, out.str.contains(" ", literal=True), lambda values: _rewrite(values, _SPACES))
    out = simplified(out.str.strip_chars())
    # a placeholder (无, 不详, NULL, ---) is short or has no Chinese character, letter or digit
    maybe_blank = (out.str.len_bytes() <= 32) | ~out.str.contains(r"[\p{Han}A-Z1-9]")
    out = _rewrite(apply_where(out, maybe_blank, blank_placeholders), HEAD_REWRITES)
    return pl.select(pl.when(out.str.len_chars() > 0).then(out)).to_series().alias(text.name)


def canonical_tail(tail: pl.Series) -> pl.Series:
    """The part of each address after its administrative head, in canonical spelling, without
    a second address written after the first (…1单元601（广东省佛山市南海区）, …2705 另：清江浦区…)."""
    return _rewrite(arabic_numerals(_without_second_head(tail)), TAIL_REWRITES)


@functools.cache
def _division_names() -> tuple[str, ...]:
    """Provinces, prefectures and counties in full (today's or former), three characters or
    more (not 东区 of SOHO东区), longest first."""
    from linkage.normalize.address.divisions import RANKS, spellings

    full = spellings().filter((pl.col("level") <= 3) & ~pl.col("short") & (pl.col("rank") != RANKS["alias"])
                              & (pl.col("spelling").str.len_chars() >= 3))["spelling"]
    return tuple(sorted(set(full.to_list()), key=len, reverse=True))


def _without_second_head(tail: pl.Series) -> pl.Series:
    """The tail up to a division written in full after a house part (a digit, 号, 室, 楼 …) or
    after 另 / 或: where a second address starts.  Division names are looked for at once
    (Aho–Corasick) before the pattern runs on the few tails holding one."""
    names = _division_names()
    pattern = rf"(?:([0-9A-Z号室楼栋幢层单元])|另|或)(?:{'|'.join(names)}).*$"
    maybe = tail.str.contains_any(list(names)).fill_null(False)
    return apply_where(tail, maybe, lambda values: values.str.replace(pattern, "${1}"))


@functools.cache
def _township_names() -> frozenset[str]:
    return frozenset(divisions().filter(pl.col("level") == 4)["name"].to_list())


# the road words a township read from the tail may have before it (拱康路康桥街道)
_ROAD_BEFORE = "(?:大道|大街|路|巷|弄)"


def _township_after_road(written: str) -> str:
    """A township written after a road (拱康路康桥街道, 台州路桥路桥街道 where the head could not
    read 路桥): its longest ending that is a township's name, else what follows the last road
    word; as written where neither leaves a name of two characters before its type word."""
    known = _township_names()
    for start in range(1, len(written) - 2):
        if written[start:] in known:
            return written[start:]
    cut = re.split(_ROAD_BEFORE, written)[-1]
    return cut if len(cut) >= 3 else written


def _road_cut(street: pl.Expr) -> pl.Expr:
    """`street` with a road written before the township taken off (`_township_after_road`),
    worked out only where a road word stands inside it."""
    inside = street.str.contains(rf"{_ROAD_BEFORE}\p{{Han}}{{2}}")
    return pl.when(inside.fill_null(False)).then(
        street.map_elements(_township_after_road, return_dtype=pl.Utf8)).otherwise(street)


def tail_components(tail: pl.Series, after_township: pl.Series) -> pl.DataFrame:
    """`street`, `community` (names the divisions did not know, at the start of the tail),
    `road`, `number`, `compound`, `building`, `unit`, `room` read from each tail.
    `after_township`: the head ended with a township (no community read), so a …村 opening the
    tail is its village (泽国镇水谭村水谭西路) — but a …新村 with a building number is a compound
    (朝晖新村20栋).  The compound is the first name ending in a compound word (`COMPOUND`, with
    its part: 翠苑一区, 香樟新村西区) outside the road and number (解放大道34号钱塘公寓20栋)."""
    frame = pl.DataFrame({"tail": tail, "after_township": after_township})
    # not across a division's type word: 富阳市富春街道 is no township name, but 阮市镇,
    # 故县街道 and 集市港镇 are (one such character with at most one other on either side)
    glued = pl.col("tail").str.extract(r"^([\p{Han}&&[^省]]{2,6}?(?:街道|镇|乡))", 1)
    street = pl.when(glued.str.contains(
        r"^[\p{Han}&&[^省市区县]]?[市区县][\p{Han}&&[^省市区县]]?(?:街道|镇|乡)$")).then(glued).otherwise(
        pl.col("tail").str.extract(r"^([\p{Han}&&[^省市区县]]{2,6}?(?:街道|镇|乡))", 1))
    frame = frame.with_columns(street.alias("written")).with_columns(
        pl.col("tail").str.slice(pl.col("written").str.len_chars().fill_null(0)),
        _road_cut(pl.col("written")).alias("street"),
        (pl.col("after_township") | pl.col("written").is_not_null()).alias("after_township")
    ).drop("written")
    estate = pl.col("tail").str.contains(rf"^\p{{Han}}{{1,6}}?新村{COMPOUND_PART}?{_BUILDING_NO}栋")
    village = pl.when(pl.col("after_township") & ~estate).then(
        pl.col("tail").str.extract(r"^([\p{Han}&&[^路街巷道省市区县镇乡]]{1,5}?村)", 1))
    community = pl.coalesce(pl.col("tail").str.extract(r"^([\p{Han}&&[^省市县]]{2,8}?社区)", 1), village,
                            pl.when(~estate).then(pl.col("tail").str.extract(r"^(\p{Han}{1,6}?村)(?:\d|$)", 1)))
    frame = frame.with_columns(community.alias("community")).with_columns(
        pl.col("tail").str.slice(pl.col("community").str.len_chars().fill_null(0)))
    road_number_pattern = (rf"(?<road>[^\d区组号栋室\-]{{1,12}}?{_ROAD_WORDS}(?:\d+{_ROAD_WORDS}|[东南西北中]段?)?)"
                           rf"(?<number>[甲乙丙丁]?\d+(?:-\d+)?(?:号|弄))")
    road_number = pl.col("tail").str.extract_groups(road_number_pattern)
    number_alone = pl.col("tail").str.extract(r"(?:^|[^\d\-])([甲乙丙丁]?\d+(?:-\d+)?号)", 1)
    tails = frame["tail"]
    maybe = tails.str.contains_any(list(_COMPOUND_LITERALS)).fill_null(False)
    compound = pl.repeat(None, len(tails), dtype=pl.Utf8, eager=True).alias("compound")
    if maybe.any():  # outside the road and its number (解放大道34号钱塘公寓20栋)
        named = tails.filter(maybe).str.replace(road_number_pattern, "").str.extract_groups(COMPOUND)
        name = named.struct.field("ends").fill_null(named.struct.field("word"))
        compound = compound.scatter(maybe.arg_true(), name)
    return frame.with_columns(road_number.alias("found"), compound).select(
        "street", "community",
        pl.col("found").struct.field("road"),
        pl.coalesce(pl.col("found").struct.field("number"), number_alone).alias("number"),
        "compound",
        (pl.col("tail").str.extract(rf"({_BUILDING_NO})栋", 1) + "栋").alias("building"),
        (pl.col("tail").str.extract(r"(\d+|[A-Z])单元", 1) + "单元").alias("unit"),
        pl.coalesce(pl.col("tail").str.extract(r"(?:栋|单元|号|弄)([A-Z]?\d+(?:-\d+)?[A-Z]?)$", 1),
                    pl.col("tail").str.extract(r"[^\d\-](\d{3,}[A-Z]?)$", 1)).alias("room"),
    )
