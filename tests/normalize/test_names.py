"""Person names: cleaning, surname split (compound surnames), pinyin keys (surname readings)."""

import polars as pl
import pytest

from linkage.normalize.names import normalize_person_name


def norm(*values, split=True):
    return normalize_person_name(pl.Series("name", list(values), dtype=pl.Utf8), split=split)


@pytest.mark.parametrize("raw, clean", [
    ("张 伟", "张伟"),
    ("  张　伟 ", "张伟"),                        # ideographic space
    ("ＺＨＡＮＧ　Ｗｅｉ", "ZHANG Wei"),          # full-width Latin
    ("張偉", "张伟"),                              # traditional
    ("张伟(曾用名张三)", "张伟"),
    ("张伟（曾用名：张三）", "张伟"),              # full-width brackets
    ("王芳【重复】", "王芳"),
    ("黄小明（小名明明", "黄小明"),                # unclosed note
    ("买买提.艾力", "买买提·艾力"),
    ("买买提 • 艾力", "买买提·艾力"),
    ("阿依古丽・吐尔逊", "阿依古丽·吐尔逊"),      # katakana middle dot
    ("阿依古丽･吐尔逊", "阿依古丽·吐尔逊"),       # half-width katakana middle dot
    ("John  Smith", "John Smith"),
    ("張乾", "张乾"),                              # 乾 is a simplified character too, not 干
    ("於立新", "於立新"),                          # 於, a surname, not 于
])
def test_clean_written_form(raw, clean):
    assert norm(raw)["name"].to_list() == [clean]


def test_placeholders_and_blanks_are_null():
    out = norm("无", "不详", "/", "", None, "無")
    assert out["name"].to_list() == [None] * 6
    assert out["name_pinyin"].to_list() == [None] * 6


def test_surname_split_with_compound_surnames():
    out = norm("张伟", "欧阳修", "司马相如", "诸葛亮", "欧阳", "买买提·艾力", "John Smith", "伟")
    assert out["surname"].to_list() == ["张", "欧阳", "司马", "诸葛", "欧", None, None, None]
    assert out["given_name"].to_list() == ["伟", "修", "相如", "亮", "阳", None, None, None]


def test_pinyin_is_toneless_without_spaces_and_v_for_u_umlaut():
    out = norm("张伟", "吕布", "女娲", "欧阳修")
    assert out["name_pinyin"].to_list() == ["zhangwei", "lvbu", "nvwa", "ouyangxiu"]
    assert out["name_initials"].to_list() == ["zw", "lb", "nw", "oyx"]


@pytest.mark.parametrize("name, pinyin, initials", [
    ("单雄信", "shanxiongxin", "sxx"),
    ("曾国藩", "zengguofan", "zgf"),
    ("解缙", "xiejin", "xj"),
    ("仇英", "qiuying", "qy"),
    ("区志强", "ouzhiqiang", "ozq"),
    ("查良镛", "zhaliangyong", "zly"),
    ("朴正熙", "piaozhengxi", "pzx"),
    ("尉迟恭", "yuchigong", "ycg"),
    ("万俟卨", "moqixie", "mqx"),
])
def test_surname_readings(name, pinyin, initials):
    out = norm(name)
    assert out["name_pinyin"].to_list() == [pinyin]
    assert out["name_initials"].to_list() == [initials]


def test_minority_and_latin_names_keys():
    out = norm("阿卜杜拉·买买提", "买买提.艾力", "John Smith", "ZHANG Wei")
    assert out["name_pinyin"].to_list() == ["abudulamaimaiti", "maimaitiaili", "johnsmith",
                                            "zhangwei"]
    assert out["name_initials"].to_list() == ["abdlmmt", "mmtal", "js", "zw"]


def test_same_name_written_differently_gets_one_key():
    out = norm("張 偉", "张伟", "张伟（重复录入）", split=False)
    assert out["name"].n_unique() == 1 and out["name_pinyin"].n_unique() == 1
    assert "surname" not in out.columns


def test_prefix_names_the_columns():
    out = normalize_person_name(pl.Series("spouse_name", ["李娜"]))
    assert out.columns == ["spouse_name", "spouse_name_pinyin", "spouse_name_initials"]


def test_names_with_qian_keep_it_and_match_their_traditional_spelling():
    out = norm("张乾", "張乾", "乾隆")
    assert out["name"].to_list() == ["张乾", "张乾", "乾隆"]
    assert out["name_pinyin"].to_list()[:2] == ["zhangqian", "zhangqian"]
