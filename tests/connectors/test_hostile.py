"""Hostile and broken files (issue 11): every row accounted for, no traceback, clear refusals.

Each file is built here in the test's folder; `rows_in` is the count of physical records taken
from the file itself, so `rows_in == records + quarantined` checks the parser.
"""

import sqlite3
import zipfile

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from linkage.attributes import attribute_for_header
from linkage.cli import main
from linkage.connectors import SourceError, read_path, xlsx_limits
from linkage.connectors.base import unique_headers
from linkage.connectors.csv_scan import FIELD_LIMIT
from linkage.normalize.enterprise import normalize_code
from linkage.normalize.ids import normalize_id_number

HEADER = "姓名,公民身份号码,联系电话"


def _people(n: int) -> list[str]:
    return [f"张{i},11010519491231{i:04d},138{i:08d}" for i in range(1, n + 1)]


def _balanced(table) -> bool:
    return table.rows_in == table.data.height + table.quarantine.height


def test_stray_quote_is_quarantined_alone_and_the_rest_is_read(write):
    rows = _people(214)
    rows[49] = '"邓悦宏,110105194912310050,13800000050'
    table = read_path(write("p.csv", "\n".join([HEADER, *rows]) + "\n"), "csv")
    assert table.rows_in == 214 and _balanced(table)
    assert table.data.height == 213
    [entry] = table.quarantine.to_dicts()
    assert (entry["source_row"], entry["line"], entry["code"]) == (50, 51, "unterminated_quote")
    assert entry["raw"].startswith('"邓悦宏')
    assert table.data["source_row"].to_list() == [*range(1, 50), *range(51, 215)]
    assert table.data["姓名"][-1] == "张214"


def test_stray_quote_before_a_real_multiline_field(write):
    rows = _people(6)
    rows[1] = '"王五,110105194912310002,138'
    rows[4] = '张5,"第一行\n第二行",1'
    table = read_path(write("p.csv", "\n".join([HEADER, *rows]) + "\n"), "csv")
    # a CSV reader would run the stray quote on line 3 to the quote on line 6 (`,"第一行`),
    # which is followed by more text: the quote on line 3 is the stray one, quarantined alone,
    # and the real two-line field on lines 6–7 is read
    assert table.rows_in == 6 and _balanced(table)
    assert table.data["姓名"].to_list() == ["张1", "张3", "张4", "张5", "张6"]
    assert table.data["公民身份号码"][3] == "第一行\n第二行"
    assert table.quarantine.select("line", "code").rows() == [(3, "unterminated_quote")]


def test_quote_inside_an_unquoted_field_is_a_character(write):
    text = f'{HEADER}\n张"三,110105194912310001,1\n李四,110105194912310002,2\n'
    table = read_path(write("p.csv", text), "csv")
    assert table.rows_in == 2 and table.data["姓名"].to_list() == ['张"三', "李四"]


def test_mixed_line_endings_read_every_row(write):
    rows = _people(120)
    body = "\r\n".join([HEADER, *rows[:60]]) + "\r\n" + "\n".join(rows[60:]) + "\n"
    table = read_path(write("p.csv", body), "csv")
    assert table.rows_in == 120 and table.data.height == 120 and table.quarantine.height == 0
    assert table.data["联系电话"].to_list()[59:61] == ["13800000060", "13800000061"]


def test_field_over_the_limit_is_quarantined_with_its_column(write):
    rows = _people(5)
    rows[2] = "张3," + "1" * (FIELD_LIMIT + 10) + ",139"
    table = read_path(write("p.csv", "\n".join([HEADER, *rows]) + "\n"), "csv")
    assert table.rows_in == 5 and _balanced(table) and table.data.height == 4
    [entry] = table.quarantine.to_dicts()
    assert entry["code"] == "field_too_large" and entry["source_row"] == 3
    assert entry["reason"] == (f"a field of {FIELD_LIMIT + 10} characters in column 公民身份号码 "
                               f"is over the limit of {FIELD_LIMIT} (line 4)")


def test_repeated_header_line_is_not_a_person(write):
    rows = _people(4)
    text = "\n".join([HEADER, *rows[:2], HEADER, *rows[2:]]) + "\n"
    table = read_path(write("p.csv", text), "csv")
    assert table.rows_in == 5 and _balanced(table)
    assert "姓名" not in table.data["姓名"].to_list()
    [entry] = table.quarantine.to_dicts()
    assert (entry["code"], entry["source_row"], entry["line"]) == ("repeated_header", 3, 4)


@pytest.mark.parametrize("header", ["姓\u200b名", "\ufeff姓名", "姓\u00a0名", "姓\u3000名", "姓名\u200b"])
def test_invisible_characters_in_a_header_still_map(header):
    assert attribute_for_header(header, "person") == "name"


def test_counts_from_the_file_not_the_parser(write):
    # blank lines are not records; a quoted line break keeps one record over two lines
    text = f'{HEADER}\n\n张1,"110105\n194912310001",1\n   \n李2,110105194912310002,2\n'
    table = read_path(write("p.csv", text), "csv")
    assert table.rows_in == 2 and table.data["source_row"].to_list() == [2, 5]
    assert table.data["公民身份号码"][0] == "110105\n194912310001"
    assert isinstance(table.data, pl.DataFrame)


def _sqlite(path, rows):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE people (姓名 TEXT, 身份证号 TEXT)")
    con.executemany("INSERT INTO people VALUES (?, ?)", rows)
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("folder,name", [("2024#1", "pda.sqlite"), ("exports", "pda%41.sqlite"),
                                         ("a?b", "pda.sqlite")])
def test_sqlite_path_with_uri_characters_reads_that_file(tmp_path, folder, name):
    (tmp_path / folder).mkdir()
    target = _sqlite(tmp_path / folder / name, [("张伟", "110105194912310021")])
    # decoys a naive `file:` URI would open instead
    _sqlite(tmp_path / folder / "pdaA.sqlite", [("王五", "1")])
    _sqlite(tmp_path / "2024", [("王五", "1")])
    before = sorted(p.name for p in tmp_path.rglob("*"))
    table = read_path(target, "sqlite", table="people")
    assert table.data["姓名"].to_list() == ["张伟"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_id_stored_as_an_excel_number_is_flagged_not_invented(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "公民身份号码", "联系电话"])
    wb.active.append(["张伟", 440306195608316636, 13800138000])   # numeric cells
    wb.active.append(["李娜", "440306195608316636", "13800138000"])  # text cells
    wb.save(tmp_path / "a.xlsx")
    table = read_path(tmp_path / "a.xlsx", "xlsx")
    ids = table.data["公民身份号码"].to_list()
    assert ids == ["4.40306195608317E+17", "440306195608316636"]
    assert table.data["联系电话"].to_list() == ["13800138000", "13800138000"]  # 11 digits are exact
    flags = normalize_id_number(pl.Series("id_number", ids))["id_number_flag"].to_list()
    assert flags == ["precision_lost", "valid"]
    shown = CliRunner().invoke(main, ["profile", str(tmp_path / "a.xlsx")]).output
    assert "precision lost: 1 values of 公民身份号码" in shown


def test_float_ids_and_nested_columns_in_parquet(tmp_path):
    pl.DataFrame({
        "身份证号": [440306195608316636.0, 110105.0, None],
        "source_row": ["a", "b", "c"],
        "家庭成员": [[1, 2], None, []],
        "地址": [{"区": "南山", "号": 1}, None, {"区": None, "号": 2}],
    }).write_parquet(tmp_path / "a.parquet")
    table = read_path(tmp_path / "a.parquet", "parquet")
    assert table.headers == ["身份证号", "source_row_2", "家庭成员", "地址"]
    assert table.data["身份证号"].to_list() == ["4.40306195608317E+17", "110105", None]
    assert table.data["source_row_2"].to_list() == ["a", "b", "c"]
    assert table.data["source_row"].to_list() == [1, 2, 3]
    assert table.data["家庭成员"].to_list() == ["[1, 2]", None, "[]"]
    assert table.data["地址"][0] == '{"区": "南山", "号": 1}'


def test_uscc_stored_as_a_number_is_flagged():
    out = normalize_code(pl.Series("uscc", ["9.14403001923771E+17"]), "uscc")
    assert out["uscc_flag"].to_list() == ["precision_lost"]


@pytest.mark.parametrize("cells,expected", [
    (["备注_2", "备注", "备注"], ["备注_2", "备注", "备注_3"]),
    (["source_row", "姓名", None, ""], ["source_row_2", "姓名", "列3", "列4"]),
    (["电话", "电话", "电话_2"], ["电话", "电话_2", "电话_2_2"]),
])
def test_unique_headers_never_clash(cells, expected):
    assert unique_headers(cells) == expected


def test_repeated_and_reserved_headers_are_read(write):
    text = "备注_2,备注,备注,source_row,姓名\na,b,c,7,张伟\n"
    table = read_path(write("p.csv", text), "csv")
    assert table.data.row(0) == ("a", "b", "c", "7", "张伟", 1)


def test_deeply_nested_json(write):
    deep = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(SourceError, match="nested deeper than"):
        read_path(write("a.json", f'[{deep}]'), "json")
    table = read_path(write("a.jsonl", f'{{"姓名": "张伟", "source_row": 5}}\n{deep}\n'), "jsonl")
    assert table.rows_in == 2 and table.data["source_row_2"].to_list() == ["5"]
    assert table.quarantine.select("line", "code").rows() == [(2, "too_deeply_nested")]


def test_cell_far_away_refused_before_calamine(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "登记表"
    wb.active.append(["姓名", "身份证号"])
    wb.active["XFD1048576"] = "x"
    wb.save(tmp_path / "a.xlsx")
    assert (tmp_path / "a.xlsx").stat().st_size < 20_000
    with pytest.raises(SourceError, match=r"a.xlsx: refused: sheet '登记表' spans A1:XFD1048576"):
        read_path(tmp_path / "a.xlsx", "xlsx")


def _zip_with(path, member: str, data: bytes):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr(member, data)
    return path


def test_decompression_bombs_refused(tmp_path, monkeypatch):
    bomb = _zip_with(tmp_path / "a.xlsx", "xl/worksheets/sheet1.xml", b" " * (12 << 20))
    with pytest.raises(SourceError, match=r"a.xlsx: refused: member xl/worksheets/sheet1.xml "
                                          r"inflates 12,582,912 bytes"):
        read_path(bomb, "xlsx")
    monkeypatch.setattr(xlsx_limits, "MAX_UNCOMPRESSED", 1 << 20)
    big = _zip_with(tmp_path / "b.xlsx", "xl/worksheets/sheet1.xml", bytes(range(256)) * 8192)
    with pytest.raises(SourceError, match=r"b.xlsx: refused: the workbook would inflate to 2,097,"):
        read_path(big, "xlsx")


def test_web_page_saved_as_xls(write):
    page = "<html><body><table><tr><td>姓名</td><td>身份证号</td></tr></table></body></html>" * 20
    with pytest.raises(SourceError, match="a.xls: not an Excel workbook but a web page"):
        read_path(write("a.xls", page), "xls")


def test_cover_sheet_names_the_sheet_holding_the_table(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active.append(["2024年桃源社区居住登记台账"])
    wb.active.append(["导出单位：桃源社区工作站"])
    data = wb.create_sheet("居住登记")
    data.append(["姓名", "公民身份号码", "联系电话"])
    data.append(["张伟", "110105194912310021", "13800138000"])
    wb.save(tmp_path / "a.xlsx")
    (tmp_path / "config.yaml").write_text("sources:\n  a: {path: a.xlsx}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(tmp_path / "config.yaml")])
    assert result.exit_code == 2
    assert ("no column maps to a person attribute (headers: 2024年桃源社区居住登记台账); sheet "
            "'居住登记' holds 3 known columns — set `sheet: 居住登记` (columns recognised per "
            "sheet: 0: 封面 (0), 1: 居住登记 (3))") in result.output
    shown = CliRunner().invoke(main, ["profile", str(tmp_path / "a.xlsx")]).output
    assert "warning:" in shown and "set `sheet: 居住登记`" in shown
