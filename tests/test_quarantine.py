"""Quarantine entries: a code plus arguments, rendered in English and Chinese."""

import json

import pytest

from linkage import quarantine as q


@pytest.mark.parametrize("code, args, en, zh", [
    ("too_many_fields", {"found": 16, "expected": 15}, "too many fields: 16 values for 15 columns",
     "字段过多：表头 15 列，此行 16 个值"),
    ("undecodable_bytes", {"column": "姓名"}, "undecodable bytes in column 姓名",
     "“姓名”列含有无法按文件编码解读的字节"),
    ("no_identifying_value", {"attributes": ["name", "id_number"]},
     "no identifying value: name, id_number all blank", "无可用于比对的标识：姓名、公民身份号码均为空"),
    ("not_json", {"column": 3, "message": "Expecting value"},
     "not valid JSON (column 3): Expecting value", "不是有效的 JSON（第 3 列）：Expecting value"),
])
def test_reasons_render_in_both_languages(code, args, en, zh):
    assert q.render_reason(code, args, "en") == en
    assert q.render_reason(code, json.dumps(args), "zh") == zh
    assert q.render_reason(code, args, "en", line=12) == en + " (line 12)"


def test_entry_keeps_code_arguments_and_line():
    e = q.entry(5, "too_few_fields", "a,b", line=7, found=2, expected=4)
    assert e["code"] == "too_few_fields" and json.loads(e["detail"]) == {"found": 2, "expected": 4}
    assert e["reason"] == "too few fields: 2 values for 4 columns (line 7)"
    frame = q.frame([e])
    assert frame.schema == q.QUARANTINE_SCHEMA and frame.height == 1


def test_unknown_code_shows_its_message():
    assert q.render_reason("something_new", {"message": "odd"}, "zh") == "odd"
    assert q.render_reason("something_new", {}, "en") == "something_new"
