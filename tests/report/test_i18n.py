"""Both languages carry every UI string, with the same placeholders."""

from __future__ import annotations

import string

from linkage.report.i18n import COLUMNS, UI, column_label, rule_label, value_label


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_languages_have_the_same_strings_and_placeholders():
    assert UI["zh"].keys() == UI["en"].keys()
    for key in UI["zh"]:
        assert _fields(UI["zh"][key]) == _fields(UI["en"][key]), key


def test_labels():
    assert all(len(pair) == 2 and all(pair) for pair in COLUMNS.values())
    assert column_label("rows_in", "zh") == "输入行数"
    assert column_label("id_number", "en") == "ID number"       # a canonical attribute
    assert column_label("no_such_column", "zh") == "no_such_column"
    assert rule_label("name_pinyin + birth_date", "zh") == "姓名拼音 + 出生日期"
    assert value_label("extension", "en") == "department extension"


def test_quarantine_reasons_in_chinese():
    from linkage.report.i18n import reason_label

    cases = {
        "too many columns: Expected Number of Columns: 15 Found: 16": "字段过多：表头 15 列，此行 16 列",
        "too many fields: 7 values for 5 columns": "字段过多：7 个值，表头只有 5 列",
        "invalid encoding: Invalid unicode (byte sequence mismatch) detected.": "含有无法按文件编码解读的字节",
        "undecodable bytes in column 姓名": "“姓名”列含有无法按文件编码解读的字节",
        "no identifying value: name, id_number all blank": "无可用于比对的标识：姓名、公民身份号码均为空",
        "not valid JSON: Expecting value": "不是有效的 JSON：Expecting value",
        "unquoted value: Value with unterminated quote found.": "无法读取（unquoted value）：Value with unterminated quote found.",
    }
    for reason, zh in cases.items():
        assert reason_label(reason, "zh") == zh
        assert reason_label(reason, "en") == reason
    assert reason_label("Something Else", "zh") == "Something Else"
