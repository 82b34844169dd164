import json

import pytest

from linkage.connectors import SourceError, read_path
from linkage.connectors.mapping import canonical_frame, map_columns

CSV = ("人员姓名,*身份证号,手机号码,现居住地,避孕措施,编号,备注\n"
       "张伟,110105194912310021,13800138000,桃源社区,上环,A1,\n"
       "李娜,11010519491231002X,,龙珠社区,,A2,\n"
       "王芳,440305198503021123,13912345678,,,A3,\n")


def test_synonyms_sniffing_and_extras(write):
    table = read_path(write("a.csv", CSV), "csv")
    maps = {m.header: m for m in map_columns(table, "person", {}, "a.csv")}
    assert maps["人员姓名"].attribute == "name" and maps["人员姓名"].method == "synonym"
    assert maps["*身份证号"].attribute == "id_number"
    assert maps["手机号码"].attribute == "phone"
    assert maps["现居住地"].attribute == "address"
    assert maps["避孕措施"].attribute is None and maps["避孕措施"].method == "unmapped"
    assert maps["手机号码"].fill_rate == pytest.approx(2 / 3, abs=1e-3)
    frame = canonical_frame(table, list(maps.values()))
    assert frame.columns == ["source_row", "name", "id_number", "phone", "address", "extras"]
    assert json.loads(frame["extras"][0]) == {"避孕措施": "上环", "编号": "A1", "备注": None}


def test_value_sniffing_for_unknown_headers(write):
    text = "xm,col_b,col_c\n张伟,110105199003077657,13800138000\n李娜,11010519491231002x,13912345678\n" \
           "王芳,440305198503021126,13512345678\n"
    maps = {m.header: m for m in map_columns(read_path(write("a.csv", text), "csv"), "person", {}, "a.csv")}
    assert (maps["col_b"].attribute, maps["col_b"].method) == ("id_number", "sniffed")
    assert maps["col_b"].confidence == 1.0
    assert maps["col_c"].attribute == "phone"


def test_config_override_and_missing_mapped_column(write):
    table = read_path(write("a.csv", CSV), "csv")
    maps = {m.header: m for m in map_columns(table, "person", {"编号": "house_code"}, "a.csv")}
    assert (maps["编号"].attribute, maps["编号"].method) == ("house_code", "config")
    with pytest.raises(SourceError, match=r"mapped column '身份证' is not in the file \(did you mean '\*身份证号'\?\)"):
        map_columns(table, "person", {"身份证": "id_number"}, "a.csv")


def test_second_column_for_same_attribute_stays_extra(write):
    text = "姓名,联系电话,手机\n张伟,0755-1234567,13800138000\n"
    maps = {m.header: m for m in map_columns(read_path(write("a.csv", text), "csv"), "person", {}, "a.csv")}
    assert maps["联系电话"].attribute == "phone" and maps["手机"].attribute is None
