"""Chunks encoded apart and joined by the sinks: Excel pieces deflated apart make one valid
workbook, SQLite chunk files are copied in order and removed."""

import datetime as dt
import sqlite3
import zipfile

import polars as pl
from python_calamine import CalamineWorkbook

from linkage.synth.writers import ExportFormat


def _write(fmt: ExportFormat, path, frames, scratch):
    sink = fmt.open(path)
    first = 1
    for frame in frames:
        sink.write(fmt.encode(frame, first, scratch))
        first += frame.height
    sink.close()


def test_excel_pieces_deflated_apart_make_one_valid_workbook(tmp_path):
    fmt = ExportFormat("xlsx", ("序号", "姓名", "日期"), title="台账")
    frames = [pl.DataFrame({"序号": [1, 2], "姓名": ["张伟", "a<b&c"], "日期": [dt.date(2020, 1, 2), None]}),
              pl.DataFrame({"序号": [3], "姓名": [None], "日期": [dt.date(1999, 12, 31)]},
                           schema={"序号": pl.Int64, "姓名": pl.Utf8, "日期": pl.Date})]
    _write(fmt, tmp_path / "x.xlsx", frames, tmp_path)
    with zipfile.ZipFile(tmp_path / "x.xlsx") as archive:
        assert archive.testzip() is None  # every entry's CRC-32 and size agree with its data
        assert "xl/worksheets/sheet1.xml" in archive.namelist()
    rows = CalamineWorkbook.from_path(str(tmp_path / "x.xlsx")).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "台账" and rows[1] == ["序号", "姓名", "日期"]
    assert [r[:2] for r in rows[2:]] == [[1, "张伟"], [2, "a<b&c"], [3, ""]]
    assert rows[2][2] == dt.date(2020, 1, 2) and rows[4][2] == dt.date(1999, 12, 31)


def test_sqlite_chunks_are_copied_in_order_and_removed(tmp_path):
    fmt = ExportFormat("sqlite", ("name", "idcard"), table="people")
    frames = [pl.DataFrame({"name": [f"n{i}" for i in range(k, k + 3)], "idcard": [None, "1", "2"]})
              for k in (0, 3, 6)]
    _write(fmt, tmp_path / "x.sqlite", frames, tmp_path)
    with sqlite3.connect(tmp_path / "x.sqlite") as con:
        rows = con.execute("SELECT rowid, name, idcard FROM people ORDER BY rowid").fetchall()
    assert [r[1] for r in rows] == [f"n{i}" for i in range(9)] and [r[0] for r in rows] == list(range(1, 10))
    assert rows[3][2] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.sqlite"]
