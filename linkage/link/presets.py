"""Preset comparison kinds (ordered agreement levels) and the default settings per entity type.

A kind is a function of the comparison's column returning its levels, strongest first; derived
columns follow the `records` naming contract (`<column>_pinyin`, `<column>_legacy`,
`<column>_all`, `<column>_key`, `<column>_core` …).  A level whose columns are absent or blank
on either side is skipped, so a kind works on whatever subset of those columns a run has.
"""

from __future__ import annotations

from typing import Callable


def _level(type_: str, label: str, label_zh: str, columns=None, **extra) -> dict:
    return {"type": type_, "label": label, "label_zh": label_zh, "columns": columns, **extra}


def id_number(c: str) -> list[dict]:
    return [
        _level("id_legacy", "15- and 18-digit forms of one number", "15位与18位号码等同",
               [c], identity=True),
        _level("exact", "exact", "完全一致", [c], identity=True),
        # a typo in the date part of the number is also in the birth date taken from it
        _level("id_typo", "one digit off or two neighbours swapped", "错一位或相邻两位颠倒", [c],
               identity=True),
        _level("one_typo", "one character off or swapped (not an 18-digit ID)",
               "错一位或颠倒(非18位)", [c]),
    ]


def person_name(c: str) -> list[dict]:
    # a person renamed: one system still holds the old name, another keeps it as 曾用名
    former = [_level("cross_exact", "one's name is the other's former name", "一方姓名为另一方曾用名",
                     [c, "former_name"])] if c == "name" else []
    return [
        _level("exact", "exact", "完全一致", [c], tf=True),
        _level("exact", "same pinyin (homophone)", "同音(拼音相同)", [f"{c}_pinyin"], tf=True),
        *former,
        _level("homophone", "one character a homophone (polyphonic)", "一字同音(多音字)", [c]),
        _level("shape", "one character of similar shape", "一字形近", [c]),
        _level("one_dropped", "one character dropped or added", "漏字或多字", [c]),
        _level("jaro_winkler", "Jaro-Winkler >= 0.9", "相似度 ≥ 0.9", [c], threshold=0.9),
        _level("jaro_winkler", "Jaro-Winkler >= 0.75", "相似度 ≥ 0.75", [c], threshold=0.75),
    ] + ([_level("exact", "same given name", "名相同", ["given_name"])] if c == "name" else [])


def text(c: str) -> list[dict]:
    """Latin or free text: exact (frequency-weighted) and Jaro-Winkler bands."""
    return [
        _level("exact", "exact", "完全一致", [c], tf=True),
        _level("jaro_winkler", "Jaro-Winkler >= 0.92", "相似度 ≥ 0.92", [c], threshold=0.92),
        _level("jaro_winkler", "Jaro-Winkler >= 0.8", "相似度 ≥ 0.8", [c], threshold=0.8),
    ]


def date(c: str) -> list[dict]:
    return [
        _level("date_exact", "exact", "完全一致", [c]),
        _level("date_swap", "day and month swapped", "月日颠倒", [c]),
        _level("date_year_month", "same year and month (one side without the day)",
               "年月相同(一方未写日)", [c]),
        _level("date_one_off", "one of year, month, day off", "年月日错一项", [c]),
        _level("date_within", "within a year", "相差一年内", [c], threshold=365),
        _level("date_year", "same year (one side gives only the year)", "年份相同(一方只写年)", [c]),
    ]


def phone(c: str) -> list[dict]:
    return [
        _level("exact", "exact", "完全一致", [c], tf=True),
        _level("shared_value", "share one of their numbers", "有相同号码", [f"{c}_all"]),
        _level("edit_distance", "one digit off", "错一位", [c], threshold=1),
    ]


def address(c: str) -> list[dict]:
    return [
        _level("exact", "exact", "完全一致", [c], tf=True),
        # the flat by its road, number, building and room: district and community are often
        # left out of one copy (and the unit: 6单元 is not always written)
        _level("exact", "same building and room", "同楼同室",
               [f"{c}_road", f"{c}_number", f"{c}_building", f"{c}_room"]),
        _level("exact", "same building", "同楼栋", [f"{c}_road", f"{c}_number", f"{c}_building"]),
        _level("exact", "same road and number", "同路同门牌", [f"{c}_road", f"{c}_number"]),
        _level("ratio", "similarity >= 0.9", "相似度 ≥ 0.9", [c], threshold=0.9),
        _level("ratio", "similarity >= 0.75", "相似度 ≥ 0.75", [c], threshold=0.75),
    ]


def gender(c: str) -> list[dict]:
    return [_level("exact", "same", "相同", [c])]


def enterprise_name(c: str) -> list[dict]:
    return [
        _level("exact", "exact", "完全一致", [c], tf=True),
        _level("exact", "same core name (字号)", "字号相同", [f"{c}_core"], tf=True),
        _level("exact", "same core name pinyin (homophone)", "字号同音", [f"{c}_core_pinyin"],
               tf=True),
        _level("jaro_winkler", "core name Jaro-Winkler >= 0.9", "字号相似度 ≥ 0.9",
               [f"{c}_core"], threshold=0.9),
        _level("ratio", "name similarity >= 0.8", "名称相似度 ≥ 0.8", [c], threshold=0.8),
        _level("jaro_winkler", "core name Jaro-Winkler >= 0.75", "字号相似度 ≥ 0.75",
               [f"{c}_core"], threshold=0.75),
    ]


def industry(c: str) -> list[dict]:
    """An enterprise name's industry words (餐饮管理 / 餐饮): sister companies share the 字号, the
    legal representative and his phone, and differ here (马速宝人力资源 / 马速宝餐饮管理)."""
    return [
        _level("exact", "same industry", "行业相同", [c]),
        _level("jaro_winkler", "industry Jaro-Winkler >= 0.8 (餐饮 / 餐饮管理)", "行业相近",
               [c], threshold=0.8),
    ]


def registration(c: str) -> list[dict]:
    """Enterprise codes: the credit code, the organisation code inside it, the old reg number."""
    return [
        _level("exact", "same credit code", "统一社会信用代码相同", [c], identity=True),
        _level("exact", "same organisation code (credit code / org code)", "组织机构代码相同",
               ["org_key"], identity=True),
        _level("exact", "same registration number", "注册号相同", ["reg_key"]),
        _level("one_typo", "credit code one character off", "信用代码错一位", [c]),
        _level("one_typo", "organisation code one character off", "组织机构代码错一位",
               ["org_key"]),
    ]


def exact(c: str) -> list[dict]:
    return [_level("exact", "exact", "完全一致", [c])]


KINDS: dict[str, Callable[[str], list[dict]]] = {
    "id_number": id_number, "person_name": person_name, "text": text, "date": date,
    "phone": phone, "address": address, "gender": gender, "enterprise_name": enterprise_name,
    "registration": registration, "industry": industry, "exact": exact,
}

DEFAULTS: dict[str, dict] = {
    "person": {
        "comparisons": [
            {"name": "id_number", "kind": "id_number"},
            {"name": "name", "kind": "person_name"},
            {"name": "birth_date", "kind": "date", "fallback": "id_birth_date",
             "implied_by": "id_number"},
            {"name": "gender", "kind": "gender", "fallback": "id_gender",
             "implied_by": "id_number", "ignore_values": ["0", "9"]},
            # family members share phone, addresses and community: count that evidence once
            {"name": "phone", "kind": "phone", "group": "household"},
            {"name": "address", "kind": "address", "group": "household"},
            {"name": "household_address", "kind": "address", "group": "household"},
            {"name": "community", "kind": "exact", "group": "household"},
            {"name": "employer", "kind": "enterprise_name"},
        ],
        "identifiers": ["id_number"],
    },
    "enterprise": {
        "comparisons": [
            {"name": "name", "kind": "enterprise_name"},
            {"name": "industry", "column": "name_industry", "kind": "industry"},
            {"name": "registration", "column": "uscc", "kind": "registration"},
            # the company phone is often the legal representative's mobile, shared by all the
            # companies one person runs: count that evidence once
            {"name": "legal_rep", "kind": "person_name", "group": "owner"},
            {"name": "phone", "kind": "phone", "group": "owner"},
            {"name": "address", "kind": "address"},
        ],
        # the organisation code (inside a valid credit code, or keyed on its own): two different
        # ones are two organisations
        "identifiers": ["org_key"],
        # one code under two names is a company renamed (or a name badly keyed) when its legal
        # representative or phone agrees; a code copied from the wrong row carries neither
        "corroborating": ["legal_rep", "phone"],
    },
}
