"""Chinese numerals in addresses → Arabic digits (十六栋 → 16栋, 一二零三室 → 1203室).

Only numerals followed by a counting word of an address (栋 幢 座 号 单元 楼 层 室 房 弄 组 期 …)
or ending the address after a building, unit or number (a room: 三单元六零一) are converted,
so road names keep theirs (中山一路, 三元里, 十里河); the caller converts only the part after
the administrative head, whose names keep theirs too (三门峡市, 第三社区).  The distinct
numeral tokens of a column are converted once in Python and written back with one
Aho–Corasick pass per kind of token.
"""

from __future__ import annotations

import re

import polars as pl

from linkage.normalize.text import apply_where

DIGIT = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
         "六": 6, "七": 7, "八": 8, "九": 9}
UNIT = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "[零〇○一二两三四五六七八九十百千]+"
COUNTERS = "号楼|栋|幢|座|号|单元|楼|层|室|房|弄|组|期|户|门|队|社"
BUILDING_OR_UNIT = "栋|幢|座|楼|单元|号"
BEFORE_COUNTER = rf"{_NUMERAL}(?:{COUNTERS})"
ROOM_AT_END = rf"(?:{BUILDING_OR_UNIT}){_NUMERAL}$"
_SPLIT = re.compile(rf"({BUILDING_OR_UNIT})?({_NUMERAL})(.*)")


def numeral_value(numeral: str) -> int:
    """十六 → 16, 二十 → 20, 一百零三 → 103, 一二零三 → 1203 (digit by digit without 十百千)."""
    if not any(ch in UNIT for ch in numeral):
        return int("".join(str(DIGIT[ch]) for ch in numeral))
    total, digit = 0, None
    for ch in numeral:
        if ch in UNIT:
            total += (1 if digit is None else digit) * UNIT[ch]
            digit = None
        else:
            digit = DIGIT[ch]
    return total + (digit or 0)


def _convert_token(token: str) -> str:
    before, numeral, counter = _SPLIT.fullmatch(token).groups()
    return f"{before or ''}{numeral_value(numeral)}{counter}"


def arabic_numerals(text: pl.Series) -> pl.Series:
    """Every numeral of the column before a counting word or ending it as a room, in digits."""
    return apply_where(text, text.str.contains(f"[{''.join(DIGIT)}{''.join(UNIT)}]"), _arabic_numerals)


def _arabic_numerals(text: pl.Series) -> pl.Series:
    for pattern in (BEFORE_COUNTER, ROOM_AT_END):
        tokens = text.str.extract_all(pattern).explode().drop_nulls().unique().sort()
        if not tokens.is_empty():
            mapping = {token: _convert_token(token) for token in tokens.to_list()}
            text = text.str.replace_many(mapping, leftmost=True)
    return text
