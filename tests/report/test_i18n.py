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
