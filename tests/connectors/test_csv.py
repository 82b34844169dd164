import polars as pl
import pytest

from linkage.connectors import SourceError, read_path
from linkage.connectors.csv import detect_encoding, sniff_delimiter

PEOPLE = (
    "姓名,公民身份号码,联系电话,现住址\n"
    "张伟,110105194912310021,13800138000,桃源社区1栋\n"
    "李娜,011234567890123456,0755-88889999,\n"
)


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gbk"),
])
def test_encodings_detected_and_values_kept_as_text(write, encoding, expected):
    path = write("p.csv", PEOPLE, encoding)
    table = read_path(path, "csv")
    assert table.encoding == expected
    assert table.headers == ["姓名", "公民身份号码", "联系电话", "现住址"]
    assert table.data["公民身份号码"].to_list() == ["110105194912310021", "011234567890123456"]
    assert table.data["姓名"].to_list() == ["张伟", "李娜"]
    assert table.data["source_row"].to_list() == [1, 2]
    assert table.data["现住址"].to_list() == ["桃源社区1栋", None]


def test_gb18030_only_characters(write):
    # 䶮 (U+4DAE) is outside GBK but inside GB18030
    path = write("p.csv", "姓名,身份证号\n刘䶮,110105194912310021\n", "gb18030")
    table = read_path(path, "csv")
    assert table.encoding == "gb18030"
    assert table.data["姓名"].to_list() == ["刘䶮"]


def test_gb18030_character_after_the_detection_sample(tmp_path):
    # the first megabyte reads as GBK; a rare name character (GB18030 four-byte form) comes later
    rows = ["姓名,联系电话"] + [f"张伟{i},138{i:08d}" for i in range(90_000)] + ["王㐀,13900000000"]
    path = tmp_path / "late.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("gb18030"))
    assert path.stat().st_size > (1 << 20)
    table = read_path(path, "csv")
    assert table.encoding == "gbk" and table.quarantine.height == 0
    assert table.data.height == 90_001 and table.data["姓名"][-1] == "王㐀"


def test_title_lines_and_blank_lines_above_header(write):
    text = "南山区居住登记信息表\n导出时间：2024-05-01\n\n" + PEOPLE
    table = read_path(write("p.csv", text, "gbk"), "csv")
    assert table.header_row == 4
    assert table.data.height == 2
    assert table.data["source_row"].to_list() == [1, 2]


def test_tab_and_semicolon_delimiters(write):
    tsv = PEOPLE.replace(",", "\t")
    assert read_path(write("p.tsv", tsv), "tsv").data.height == 2
    semi = PEOPLE.replace(",", ";")
    table = read_path(write("p.csv", semi), "csv")
    assert table.detail["delimiter"] == ";"
    assert table.data["联系电话"].to_list() == ["13800138000", "0755-88889999"]


def test_wrong_field_count_goes_to_quarantine_with_row_and_raw(write):
    text = PEOPLE + "王芳,110105\n赵六,1,2,3,4\n\n孙七,110105194912310021,139,\n"
    table = read_path(write("p.csv", text), "csv")
    assert table.rows_in == 5
    assert table.data["source_row"].to_list() == [1, 2, 6]
    q = table.quarantine.to_dicts()
    assert [r["source_row"] for r in q] == [3, 4]
    assert q[0]["code"] == "too_few_fields" and q[0]["raw"] == "王芳,110105"
    assert q[0]["reason"] == "too few fields: 2 values for 4 columns (line 4)"
    assert q[1]["code"] == "too_many_fields" and q[1]["line"] == 5


def test_quoted_newline_keeps_row_numbers(write):
    text = '姓名,备注\n张三,"第一行\n第二行"\n李四,x,y\n王五,z\n'
    table = read_path(write("p.csv", text), "csv")
    assert table.data["姓名"].to_list() == ["张三", "王五"]
    assert table.data["source_row"].to_list() == [1, 4]
    assert table.quarantine["source_row"].to_list() == [3]


def test_undecodable_row_is_quarantined(write):
    body = PEOPLE.encode("gbk") + "王芳,110105194912310021,".encode("gbk") + b"\xff\xff,x\n"
    table = read_path(write("p.csv", body), "csv")
    assert table.encoding == "gbk"
    assert table.data.height == 2
    q = table.quarantine.to_dicts()
    assert q[0]["source_row"] == 3 and q[0]["reason"] == "undecodable bytes in column 联系电话 (line 4)"


def test_undecodable_file(write):
    with pytest.raises(SourceError, match="undecodable file"):
        read_path(write("p.csv", bytes(range(128, 256)) * 50 + b"\n" + b"\x00" * 10), "csv")


def test_empty_file(write):
    with pytest.raises(SourceError, match="empty"):
        read_path(write("p.csv", b""), "csv")
    with pytest.raises(SourceError, match="empty"):
        read_path(write("q.csv", "\n\n  \n"), "csv")


def test_header_not_found(write):
    text = "1,2,3\n4,5,6\n7,8,9\n"
    with pytest.raises(SourceError, match="header not found.*header_row"):
        read_path(write("p.csv", text), "csv")


def test_explicit_header_row(write):
    text = "1,2,3\n4,5,6\n7,8,9\n"
    table = read_path(write("p.csv", text), "csv", header_row=2)
    assert table.headers == ["4", "5", "6"] and table.data["4"].to_list() == ["7"]


def test_sniff_delimiter_prefers_consistent_split():
    assert sniff_delimiter(["a|b|c", "1|2|3", "x,y|z|w"]) == "|"


def test_detect_encoding_bom(write):
    assert detect_encoding(write("p.csv", PEOPLE, "utf-8-sig")) == "utf-8-sig"


def test_large_leading_zero_values_survive(write):
    rows = "\n".join(f"人{i},{i:018d}" for i in range(2000))
    table = read_path(write("p.csv", "姓名,编号\n" + rows), "csv")
    assert table.data["编号"][5] == "000000000000000005"
    assert table.data["编号"].dtype == pl.Utf8
