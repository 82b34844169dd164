"""Shared folding: width, whitespace, invisible characters, placeholders, script, caching."""

import polars as pl

from linkage.normalize.text import (
    apply_where, blank_placeholders, clean_text, fold, han_characters, is_placeholder,
    per_unique, simplified_too, squeeze_han_spaces, to_simplified,
)


def s(*values):
    return pl.Series("v", list(values), dtype=pl.Utf8)


def test_fold_width_whitespace_invisible_and_blank():
    out = fold(s("ＡＢＣ１２３", " a\u3000 b\t\nc ", "x\u200by\ufeff", "   ", "", None, "1234567890"))
    assert out.to_list() == ["ABC123", "a b c", "xy", None, None, None, "1234567890"]
    assert out.name == "v"


def test_fold_does_not_modify_its_input():
    values = s("ＡＢＣ", "abc")
    fold(values)
    assert values.to_list() == ["ＡＢＣ", "abc"]


def test_placeholders_become_null_and_zeros_are_optional():
    values = fold(s("无", "不详", "NULL", "N/A", "/", "--", "？？", "***", "000000", "0", "张三", "10"))
    assert is_placeholder(values).to_list() == [True] * 10 + [False, False]
    assert blank_placeholders(values, zeros=False).to_list()[8:] == ["000000", "0", "张三", "10"]
    assert clean_text(s(" 南山  社区 ", "暂无", "0"), zeros=False).to_list() == ["南山 社区", None, "0"]
    assert clean_text(s("0")).to_list() == [None]


def test_squeeze_han_spaces_keeps_latin_word_spaces():
    out = squeeze_han_spaces(s("张 伟", "阿依 · 古丽", "John Smith", "张 John"))
    assert out.to_list() == ["张伟", "阿依·古丽", "John Smith", "张John"]


def test_to_simplified_converts_only_traditional_values():
    out = to_simplified(s("張偉", "歐陽修", "张伟", "John", None, "漢族"))
    assert out.to_list() == ["张伟", "欧阳修", "张伟", "John", None, "汉族"]


def test_to_simplified_keeps_characters_that_are_simplified_too():
    # OpenCC's t2s folds 乾 → 干 and 於 → 于; both are standard simplified characters in
    # place and personal names (乾县, 於潜镇), so they stay, in a value converted or not
    assert {"乾", "於"} <= simplified_too()
    out = to_simplified(s("張乾", "乾縣", "於潛鎮", "乾县", "乾燥"))
    assert out.to_list() == ["张乾", "乾县", "於潜镇", "乾县", "乾燥"]


def test_han_characters_are_distinct_and_sorted():
    assert han_characters(s("张伟", "伟a", None)).to_list() == sorted(["张", "伟"])


def test_per_unique_gives_the_same_result_on_both_paths():
    small = s("a", "bb", None, "a")
    many = pl.Series("v", ["a", "bb", None, "ccc"] * 500)

    def length(values):
        return pl.DataFrame({"n": values.str.len_chars()})

    assert per_unique(small, length)["n"].to_list() == [1, 2, None, 1]
    assert per_unique(many, length)["n"].to_list() == [1, 2, None, 3] * 500


def test_apply_where_touches_only_masked_values():
    values = s("a", "b", None, "c")
    out = apply_where(values, pl.Series([True, False, None, True]), lambda v: v.str.to_uppercase())
    assert out.to_list() == ["A", "b", None, "C"] and out.name == "v"
    assert values.to_list() == ["a", "b", None, "c"]
    assert apply_where(values, pl.Series([False] * 4), lambda v: 1 / 0) is values


def test_non_text_columns_are_read_as_text():
    assert fold(pl.Series("n", [12, None])).to_list() == ["12", None]
