"""Comparison levels on small batches of pairs: every preset level, missing values, implied."""

import numpy as np
import polars as pl
import pytest

from linkage.link.comparisons import compare_batch, compile_comparisons, neutralise_implied
from linkage.link.settings import ComparisonSettings


def _levels(kind: str, left: dict, right: dict, name: str = "x", **extra) -> list[int]:
    """Gamma of one comparison of `kind` on pairs given as columns of the left/right records."""
    comps = compile_comparisons([ComparisonSettings(name=name, kind=kind, **extra)])
    n = len(next(iter(left.values())))
    columns = {}
    for c in comps[0].columns:
        for s, side in (("l", left), ("r", right)):
            columns[f"{c}_{s}"] = pl.Series(side.get(c, [None] * n),
                                            dtype=pl.Boolean if c.endswith("_legacy") else pl.Utf8)
    for lv in comps[0].levels:
        if lv.tf:
            for s in "lr":
                columns[f"tf__{lv.columns[0]}_{s}"] = pl.Series([0.01] * n, dtype=pl.Float32)
    gamma, _ = compare_batch(pl.DataFrame(columns), comps)
    return gamma[:, 0].tolist()


def test_id_number_levels():
    a = "110105199001010012"
    pairs = [(a, False, a, 3),                          # exact
             (a, True, a, 4),                           # one side written in 15 digits
             (a, False, "110105199001010013", 2),       # one digit off
             (a, False, "110105199001100012", 2),       # two neighbours swapped
             (a, True, "110105199001010025", 2),        # typo in a converted 15-digit number
             ("G1234567", False, "G1234576", 1),        # not an ID number: one typo
             (a, False, "440305198001010034", 0),
             (None, False, a, -1)]
    left = {"id_number": [p[0] for p in pairs], "id_number_legacy": [p[1] for p in pairs]}
    right = {"id_number": [p[2] for p in pairs], "id_number_legacy": [False] * len(pairs)}
    assert _levels("id_number", left, right, "id_number") == [p[3] for p in pairs]


def test_name_levels_count_characters_not_bytes():
    pairs = [("张伟", "张伟", "zhangwei", "zhangwei", 9),          # exact
             ("张伟", "张玮", "zhangwei", "zhangwei", 8),          # same pinyin
             ("张三", "张伟", "zhangsan", "zhangwei", 7),          # 张三's former name is 张伟
             ("程强", "盛强", "chengqiang", "shengqiang", 6),      # 盛 also reads cheng
             ("李起", "李超", "liqi", "lichao", 5),                # similar shape
             ("孟蕾庆", "孟庆", "mengleiqing", "mengqing", 4),     # one character dropped
             ("欧阳娜娜", "欧阳娜", "ouyangnana", "ouyangna", 4),
             ("王小明", "王小敏", "wangxiaoming", "wangxiaomin", 2),  # Jaro-Winkler 0.82
             ("谭庆峰", "覃庆峰", "tanqingfeng", "qinqingfeng", 2),  # 0.78
             ("曾弟", "竲弟", "zengdi", "cengdi", 1),              # same given name
             ("张伟", "张三", "zhangwei", "zhangsan", 0),
             ("王芳", "刘强", "wangfang", "liuqiang", 0)]
    left = {"name": [p[0] for p in pairs], "name_pinyin": [p[2] for p in pairs],
            "given_name": [p[0][1:] for p in pairs],
            "former_name": ["张伟" if p[0] == "张三" else None for p in pairs]}
    right = {"name": [p[1] for p in pairs], "name_pinyin": [p[3] for p in pairs],
             "given_name": [p[1][1:] for p in pairs]}
    assert _levels("person_name", left, right, "name") == [p[4] for p in pairs]
    # either way round
    assert _levels("person_name", right, left, "name")[2] == 7


def test_jaro_winkler_band():
    levels = _levels("text", {"x": ["jonathan", "jonathan", "jon"]},
                     {"x": ["jonathon", "jonas", "mike"]}, "x")
    assert levels == [2, 1, 0]


def test_date_levels():
    pairs = [("1990-03-04", "1990-03-04", 6),   # exact
             ("1990-03-04", "1990-04-03", 5),   # day and month swapped
             ("1990-03", "1990-03-25", 4),      # year and month written (出生年月), agreeing
             ("1990-03-25", "1990-03", 4),
             ("1990-03-04", "1991-03-04", 3),   # one part off
             ("1990-03-04", "1990-11-20", 2),   # within a year
             ("1990", "1990-07-01", 1),         # the year alone, agreeing
             ("1990-03", "1990", 1),
             ("1990-03-04", "1960-03-05", 0),   # different
             ("1990-03", "1990-04-03", 0),      # a partial date that disagrees
             ("1990-03", "1990-03", 4),         # both partial: as weak as one partial
             ("1990", "1990", 1),
             (None, "1990-03-04", -1)]          # missing
    left, right = {"d": [p[0] for p in pairs]}, {"d": [p[1] for p in pairs]}
    assert _levels("date", left, right, "d") == [p[2] for p in pairs]


def test_industry_levels():
    # sister companies share the 字号 and differ in their industry words
    left = {"i": ["餐饮管理", "餐饮", "人力资源", None]}
    right = {"i": ["餐饮管理", "餐饮管理", "餐饮管理", "餐饮"]}
    assert _levels("industry", left, right, "i") == [2, 1, 0, -1]


def test_phone_and_address_levels():
    left = {"phone": ["13800138000", "13800138000", "13800138000", "13800138000"],
            "phone_all": ["13800138000", "13800138000;075588881234", "13800138000",
                          "13800138000"]}
    right = {"phone": ["13800138000", "075588881234", "13800138001", "13912345678"],
             "phone_all": ["13800138000", "075588881234", "13800138001", "13912345678"]}
    assert _levels("phone", left, right, "phone") == [3, 2, 1, 0]
    key = "南山区|桃源社区|中山路|1号|3栋"
    left = {"address": ["南山区中山路1号3栋101", "南山区中山路1号3栋101", "南山区中山路1号3栋101",
                        "中山路1号3栋101", "深圳市南山区中山路1号3栋101室", "南山区中山路1号3栋101",
                        "南山区桃源社区中山路1号3栋101"],
            "address_key": [key] * 7, "address_building": ["3栋"] * 7,
            "address_room": ["101"] * 7, "address_road": ["中山路"] * 7,
            "address_number": ["1号"] * 7}
    right = {"address": ["南山区中山路1号3栋101", "中山路1号3栋101室", "南山区中山路1号3栋502",
                         "中山路1号5栋101", "深圳市南山区中山路1号3栋101", "福田区深南大道1号",
                         "中山路1号3栋101"],
             "address_key": [key, key, key, key.replace("3栋", "5栋"), None, "福田区||深南大道|1号|",
                             "||中山路|1号|3栋"],
             "address_building": ["3栋", "3栋", "3栋", "5栋", None, None, "3栋"],
             "address_room": ["101", "101", "502", "101", None, None, "101"],
             "address_road": ["中山路", "中山路", "中山路", "中山路", None, "深南大道", "中山路"],
             "address_number": ["1号"] * 7}
    # exact / same building+room / same building / same road+number / similar text / different;
    # the same flat whether or not the district and community were written (the last pair)
    assert _levels("address", left, right, "address") == [6, 5, 4, 3, 2, 0, 5]


def test_gender_ignores_unknown_codes_and_a_missing_column_is_neutral():
    assert _levels("gender", {"g": ["1", "1", "0"]}, {"g": ["1", "2", "1"]}, "g") == [1, 0, 0]
    assert _levels("phone", {"phone": [None, None]}, {"phone": [None, None]}, "phone") == [-1, -1]


def test_implied_comparisons_are_neutral_beside_an_agreeing_id():
    comps = compile_comparisons([
        ComparisonSettings(name="id_number", kind="id_number"),
        ComparisonSettings(name="birth_date", kind="date", implied_by="id_number")])
    gamma = np.array([[3, 4], [0, 4], [1, 0], [4, 1], [3, 0], [3, -1]], dtype=np.int8)
    tf = np.full((len(gamma), 0), np.nan, dtype=np.float32)  # neither is frequency-weighted
    scored, _ = neutralise_implied(gamma, tf, comps)
    # a non-ID typo is not an identity level; an agreeing ID does not hide a typed birth date
    # that contradicts it (a parent's number keyed for a child)
    assert scored[:, 1].tolist() == [-1, 4, 0, -1, 0, -1]
    assert gamma[0, 1] == 4  # the raw levels are kept for training


def test_swapped_name_parts():
    from linkage.link.settings import LevelSettings

    levels = [{"type": "exact", "columns": ["name", "former_name"]},
              {"type": "swapped", "columns": ["name", "former_name"]},
              {"type": "swapped", "columns": ["name", "former_name"], "threshold": 0.85}]
    comps = compile_comparisons([ComparisonSettings(name="full", column="name", levels=levels)])
    left = {"name": ["john", "john", "john", "john", None],
            "former_name": ["smith", "smith", "smith", "smith", "smith"]}
    right = {"name": ["john", "smith", "smyth", "peter", "smith"],
             "former_name": ["smith", "john", "jon", "jones", "john"]}
    frame = pl.DataFrame({f"{c}_{s}": pl.Series(side[c], dtype=pl.Utf8)
                          for s, side in (("l", left), ("r", right)) for c in side})
    gamma, _ = compare_batch(frame, comps)
    assert gamma[:, 0].tolist() == [3, 2, 1, 0, -1]
    with pytest.raises(ValueError, match="exactly 2 `columns`"):
        LevelSettings(type="swapped", columns=["name"])


def test_every_registered_level_type_has_labels_in_both_languages():
    from linkage.link.levels import REGISTRY

    for name, kind in REGISTRY.items():
        assert kind.name == name and len(kind.label) == 2 and all(kind.label)
