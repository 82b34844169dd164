"""Chunks encoded apart and joined by the sinks: Excel pieces deflated apart make one valid
workbook, SQLite chunk files are copied in order and removed."""

import datetime as dt
import sqlite3
import zipfile

import numpy as np
import polars as pl
from python_calamine import CalamineWorkbook

from linkage.synth.writers import ExportFormat, damage


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


def test_damaged_lines_are_quarantined_by_the_reader_with_line_and_reason(tmp_path):
    from linkage.connectors import read_path

    fmt = ExportFormat("csv", ("姓名", "公民身份号码", "联系电话"), encoding="gbk")
    frame = pl.DataFrame({"姓名": [f"张{i}" for i in range(6)],
                          "公民身份号码": [f"11010519491231{i:04d}" for i in range(6)],
                          "联系电话": ["13800138000"] * 6})
    damaged = np.array([0, 1, 0, 2, 0, 0], dtype=np.int8)
    sink = fmt.open(tmp_path / "d.csv")
    sink.write(fmt.encode(frame, 1, tmp_path, damaged))
    sink.close()
    raw = (tmp_path / "d.csv").read_bytes()
    assert raw.count(b"\n") == 7 and b"\xff\xfe" in raw  # header + 6 rows, one line with bad bytes
    table = read_path(tmp_path / "d.csv", "csv")
    assert table.data["姓名"].to_list() == ["张0", "张2", "张4", "张5"]
    reasons = dict(table.quarantine.select("source_row", "reason").iter_rows())
    assert set(reasons) == {2, 4}
    assert "too many" in reasons[2] and "undecodable" in reasons[4]


def test_damage_only_breaks_text_exports():
    rng = np.random.default_rng(0)
    assert damage(ExportFormat("xlsx", ("a",)), 1000, 0.5, rng) is None
    codes = damage(ExportFormat("tsv", ("a",)), 10_000, 0.01, rng)
    assert set(np.unique(codes)) == {0, 1, 2} and 50 < (codes > 0).sum() < 150
