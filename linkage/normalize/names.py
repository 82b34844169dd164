"""Person names: clean the written form, split surname / given name, derive pinyin keys.

Cleaning: NFKC (full-width → half-width), bracketed notes dropped (张伟(曾用名张三) → 张伟),
spaces next to Chinese characters removed (张 伟 → 张伟), the separators of minority and
transliterated names unified to one middle dot (· • ・ . → ·), traditional → simplified.
Latin-script names keep single spaces between words.

Keys: toneless pinyin without spaces, ü written v ("lvwei"), and pinyin initials.  Each
distinct character is converted once (pypinyin's single-character reading), so one name
always gets the same key whatever the context; the surname uses its surname reading
(单 shan, 曾 zeng, 解 xie, 尉迟 yuchi …).  Han names split into surname and given name, with
compound surnames (欧阳, 司马, 诸葛 …) recognised when the name has at least three characters;
dotted and Latin names have no surname split.
"""

from __future__ import annotations

import polars as pl

from linkage.normalize.text import (
    apply_where, as_text, blank_placeholders, fold, han_characters, per_unique,
    squeeze_han_spaces, to_simplified,
)

COMPOUND_SURNAMES = frozenset("""
欧阳 百里 淳于 澹台 第五 东方 独孤 端木 段干 公孙 公西 公羊 公冶 赫连 呼延 皇甫 乐正 令狐
刘付 闾丘 慕容 纳兰 南宫 濮阳 亓官 上官 申屠 司空 司寇 司马 司徒 太史 太叔 拓跋 完颜
万俟 尉迟 闻人 巫马 西门 夏侯 鲜于 轩辕 宇文 长孙 钟离 仲孙 诸葛 颛孙 宗政 左丘 单于
东郭 梁丘 羊舌 微生 公良 漆雕 壤驷 谷梁 宰父 子车
""".split())

# Surnames read differently from the character's everyday reading (syllables space-separated).
_SURNAME_SYLLABLES = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao",
    "盖": "ge", "乐": "yue", "缪": "miao", "覃": "qin", "翟": "zhai", "种": "chong", "折": "she",
    "员": "yun", "召": "shao", "秘": "bi", "句": "gou", "繁": "po", "阚": "kan", "祭": "zhai",
    "黑": "he", "能": "nai", "牟": "mu", "隗": "wei", "洗": "xian", "藏": "zang", "薄": "bo",
    "卜": "bu", "长": "chang", "重": "chong",
    "尉迟": "yu chi", "万俟": "mo qi", "长孙": "zhang sun", "单于": "chan yu", "澹台": "tan tai",
    "乐正": "yue zheng",
}
SURNAME_READINGS = {k: v.replace(" ", "") for k, v in _SURNAME_SYLLABLES.items()}
SURNAME_INITIALS = {k: "".join(s[0] for s in v.split()) for k, v in _SURNAME_SYLLABLES.items()}
# Characters whose first pypinyin reading is not the one names use (萝卜 bo, 阿卜杜拉 bu).
NAME_CHAR_READINGS = {"卜": "bu", "长": "chang"}

_DOTS = r"[·•・‧∙⋅.。⸱ㆍ\-—_=]"
_NOTES = r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>"
_UNCLOSED = r"[(\[【〔<].*$"


def _unify_dots(text: pl.Series) -> pl.Series:
    """Han names: every dot-like separator (and the spaces around it) → one middle dot."""
    dotted = text.str.replace_all(rf"(?:\s*{_DOTS})+\s*", "·").str.strip_chars("·")
    return pl.select(pl.when(text.str.contains(r"\p{Han}")).then(dotted).otherwise(text))\
        .to_series()


def clean_person_name(series: pl.Series) -> pl.Series:
    """The cleaned written form of each name; placeholders and empty results → null.

    Each step runs only on the names that need it (most names are two or three plain
    characters).
    """
    text = fold(series)
    text = apply_where(text, text.str.contains(r"[(\[【〔<]"),
                       lambda t: t.str.replace_all(_NOTES, "").str.replace(_UNCLOSED, ""))
    text = apply_where(text, text.str.contains(rf"{_DOTS}|\s"),
                       lambda t: squeeze_han_spaces(_unify_dots(t)).str.strip_chars())
    text = pl.select(pl.when(text.str.len_chars() > 0).then(text)).to_series()
    return blank_placeholders(to_simplified(text)).alias(series.name)


def split_surname(names: pl.Series) -> pl.DataFrame:
    """`surname`, `given_name` of Han names (null for dotted, Latin or one-character names)."""
    han_only = names.str.contains(r"^\p{Han}{2,}$").fill_null(False)
    compound = names.str.slice(0, 2).is_in(list(COMPOUND_SURNAMES)) & (names.str.len_chars() >= 3)
    width = pl.when(compound).then(2).otherwise(1)
    return pl.DataFrame({"name": names}).select(
        pl.when(han_only).then(pl.col("name").str.slice(0, width)).alias("surname"),
        pl.when(han_only).then(pl.col("name").str.slice(width)).alias("given_name"),
    )


def _char_readings(names: pl.Series) -> dict[str, str]:
    """Toneless pinyin of every distinct Chinese character of `names`."""
    from pypinyin import lazy_pinyin

    chars = han_characters(names).to_list()
    readings = dict(zip(chars, lazy_pinyin(chars, errors=lambda c: [""] * len(c))))
    readings.update({c: r for c, r in NAME_CHAR_READINGS.items() if c in readings})
    return readings


def _letters(series: pl.Series) -> pl.Series:
    """Lower-case letters and digits only; empty → null."""
    out = apply_where(series, ~series.str.contains(r"^[a-z0-9]+$"),
                      lambda s: s.str.to_lowercase().str.replace_all(r"[^a-z0-9]", ""))
    return pl.select(pl.when(out.str.len_chars() > 0).then(out)).to_series()


def pinyin_key(texts: pl.Series, readings: dict[str, str] | None = None) -> pl.Series:
    """Toneless pinyin of `texts` with everything but letters and digits dropped ("kashiman"
    for 卡仕曼 and 卡仕慢 alike); `readings` are the characters' readings when already known."""
    readings = _char_readings(texts) if readings is None else readings
    return _letters(texts.str.replace_many(readings) if readings else texts)


def name_keys(names: pl.Series, split: pl.DataFrame) -> pl.DataFrame:
    """`pinyin` ("zhangwei") and `initials` ("zw") of cleaned names.

    Characters are replaced by their readings in one Aho-Corasick pass; names whose surname
    has its own reading (单 shan) are redone with it; what is left apart from letters and
    digits (middle dots, spaces) is dropped.  Latin names are lower-cased; their initials are
    the first letters of their words.
    """
    readings = _char_readings(names)
    initials = {c: r[:1] for c, r in readings.items()}
    pinyin = pinyin_key(names, readings)
    first = _letters(names.str.replace_many(initials) if readings else names)
    special = split["surname"].is_in(list(SURNAME_READINGS)).fill_null(False).arg_true()
    if len(special):
        surname, given = split["surname"].gather(special), split["given_name"].gather(special)
        pinyin = pinyin.scatter(special, _letters(pl.select(pl.concat_str(
            surname.replace_strict(SURNAME_READINGS), given.str.replace_many(readings))
        ).to_series()))
        first = first.scatter(special, _letters(pl.select(pl.concat_str(
            surname.replace_strict(SURNAME_INITIALS), given.str.replace_many(initials))
        ).to_series()))
    latin = (~names.str.contains(r"\p{Han}")).fill_null(False).arg_true()
    if len(latin):
        words = names.gather(latin).str.to_lowercase().str.extract_all(r"[a-z0-9]+")
        first = first.scatter(latin, _letters(
            words.list.eval(pl.element().str.slice(0, 1)).list.join("")))
    return pl.DataFrame({"pinyin": pinyin, "initials": first})


def normalize_person_name(series: pl.Series, prefix: str | None = None,
                          split: bool = False) -> pl.DataFrame:
    """Columns `<prefix>`, `<prefix>_pinyin`, `<prefix>_initials`; with `split` also
    `surname` and `given_name`.  Repeated raw values are worked on once."""
    prefix = prefix or series.name

    def compute(values: pl.Series) -> pl.DataFrame:
        names = clean_person_name(values)
        parts = split_surname(names)
        keys = name_keys(names, parts)
        out = pl.DataFrame({prefix: names}).with_columns(
            keys["pinyin"].alias(f"{prefix}_pinyin"), keys["initials"].alias(f"{prefix}_initials"),
        )
        return out.with_columns(parts.select("surname", "given_name")) if split else out

    return per_unique(as_text(series), compute)
