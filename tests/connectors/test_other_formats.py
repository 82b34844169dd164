import datetime as dt
import json
import sqlite3

import openpyxl
import polars as pl
import pytest
import xlwt

from linkage.connectors import SourceError, read_path


def _xlsx(path, rows, title=True, sheet="登记表"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append(["桃源社区流动人口登记表"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
        ws.append([])
    for row in rows:
        ws.append(row)
    wb.create_sheet("说明").append(["填表说明"])
    wb.save(path)
    return path


ROWS = [
    ["姓名", "身份证号", "出生日期", "人数"],
    ["张伟", "110105194912310021", dt.datetime(1949, 12, 31), 3],
    ["李娜", "01123", dt.date(1990, 1, 2), 2.0],
]


def test_xlsx_with_title_row_reads_text(tmp_path):
    table = read_path(_xlsx(tmp_path / "a.xlsx", ROWS), "xlsx")
    assert table.header_row == 3
    assert table.headers == ["姓名", "身份证号", "出生日期", "人数"]
    assert table.data["身份证号"].to_list() == ["110105194912310021", "01123"]
    assert table.data["出生日期"].to_list() == ["1949-12-31", "1990-01-02"]
    assert table.data["人数"].to_list() == ["3", "2"]
    assert table.data["source_row"].to_list() == [1, 2]


def test_xlsx_sheet_by_name_and_wrong_sheet(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", ROWS, title=False)
    assert read_path(path, "xlsx", sheet="登记表").data.height == 2
    with pytest.raises(SourceError, match=r"sheet '人员' not found; the workbook has 0: 登记表, 1: 说明"):
        read_path(path, "xlsx", sheet="人员")
    with pytest.raises(SourceError, match="sheet 5 not found"):
        read_path(path, "xlsx", sheet=5)


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive" * 10)
    with pytest.raises(SourceError, match="bad.xlsx: not a readable Excel workbook"):
        read_path(path, "xlsx")


def test_xls(tmp_path):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    ws.write(0, 0, "某街道劳保参保人员名单")
    for r, row in enumerate([["姓名", "社会保障号码", "参保日期"], ["王芳", "44030519850302112X", "2019-03-01"]], start=2):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.save(str(tmp_path / "a.xls"))
    table = read_path(tmp_path / "a.xls", "xls")
    assert table.header_row == 3
    assert table.data.to_dicts() == [{"姓名": "王芳", "社会保障号码": "44030519850302112X",
                                      "参保日期": "2019-03-01", "source_row": 1}]


def test_jsonl_bad_line_quarantined(write):
    lines = [json.dumps({"姓名": "张伟", "身份证号": "110105194912310021", "年龄": 75}, ensure_ascii=False),
             "", "{not json", json.dumps([1, 2]),
             json.dumps({"姓名": "李娜", "电话": 13800138000, "户": {"号": 1}}, ensure_ascii=False)]
    table = read_path(write("a.jsonl", "\n".join(lines) + "\n"), "jsonl")
    assert table.rows_in == 4
    assert table.headers == ["姓名", "身份证号", "年龄", "电话", "户"]
    assert table.data["source_row"].to_list() == [1, 5]
    assert table.data["年龄"].to_list() == ["75", None]
    assert table.data["电话"].to_list() == [None, "13800138000"]
    assert table.data["户"].to_list() == [None, '{"号": 1}']
    q = table.quarantine.to_dicts()
    assert [r["source_row"] for r in q] == [3, 4]
    assert q[0]["code"] == "not_json" and q[0]["line"] == 3
    assert q[0]["reason"].startswith("not valid JSON (column 2)") and q[0]["reason"].endswith("(line 3)")


def test_json_array(write):
    doc = [{"企业名称": "深圳市腾讯计算机系统有限公司", "统一社会信用代码": "91440300708461136T"}, "oops"]
    table = read_path(write("a.json", json.dumps(doc, ensure_ascii=False)), "json")
    assert table.data["企业名称"].to_list() == ["深圳市腾讯计算机系统有限公司"]
    assert table.quarantine["source_row"].to_list() == [2]


def test_json_invalid(write):
    with pytest.raises(SourceError, match="a.json: not valid JSON"):
        read_path(write("a.json", "[1, 2"), "json")


def test_parquet_numbers_become_exact_text(tmp_path):
    path = tmp_path / "a.parquet"
    pl.DataFrame({"身份证号": [110105194912310021, 440305198503021123], "姓名": ["张伟", None],
                  "分数": [1.5, 2.0]}).write_parquet(path)
    table = read_path(path, "parquet")
    assert table.data["身份证号"].to_list() == ["110105194912310021", "440305198503021123"]
    assert table.data["分数"].to_list() == ["1.5", "2"]
    assert table.data["source_row"].to_list() == [1, 2]


def test_sqlite_table_and_url(tmp_path):
    path = tmp_path / "gzz.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE residents (xm TEXT, sfzh TEXT, lxdh INTEGER)")
    con.executemany("INSERT INTO residents VALUES (?,?,?)",
                    [("张伟", "110105194912310021", 13800138000), ("李娜", None, None)])
    con.commit()
    con.close()
    table = read_path(path, "sqlite", table="residents")
    assert table.headers == ["xm", "sfzh", "lxdh"]
    assert table.data["lxdh"].to_list() == ["13800138000", None]
    assert table.data["source_row"].to_list() == [1, 2]
    assert read_path(f"sqlite:///{path}", "database", table="residents").data.height == 2
    with pytest.raises(SourceError, match="table 'people' not found; the database has: residents"):
        read_path(path, "sqlite", table="people")


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="nope.csv: file not found"):
        read_path(tmp_path / "nope.csv", "csv")
