"""Write the report's tables to an Excel workbook: one sheet per table, for officials in Excel.

The first sheet holds the summary figures and sentences.  Headers are the report's labels
(Chinese by default), numbers stay numbers (percent columns formatted as %), text is masked
exactly as on the page, and column widths follow the content.  The same run gives the same
bytes (the "created" property is fixed).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import xlsxwriter

from linkage.report.model import Section
from linkage.report.svg import text_width
from linkage.report.tables import Table

FIXED_DATE = datetime(2000, 1, 1)  # the file's "created" property: no clock, deterministic output
_FORMATS = {"int": "#,##0", "hours": "#,##0.0", "float": "#,##0.00", "percent": "0.0%",
            "number": "General", "probability": "General", "factor": "#,##0.0",
            "weight": "+0.00;-0.00;0.00"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", title).strip("'")[:28] or "sheet"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base[:26]}_{n}", n + 1
    used.add(name.lower())
    return name


def _width(value) -> float:
    """Excel column width (in widths of "0") for a value: wide CJK characters count about 1.8."""
    return min(max(text_width(str(value), 1.0) / 0.55 + 2, 6), 60)


def _write_table(sheet, table: Table, header_fmt, number_fmts) -> None:
    widths = [_width(c.label) for c in table.columns]
    for j, col in enumerate(table.columns):
        sheet.write_string(0, j, col.label, header_fmt)
    for i, row in enumerate(table.rows, start=1):
        for j, (value, col) in enumerate(zip(row, table.columns)):
            if value is None:
                continue
            if col.kind in _FORMATS:
                sheet.write_number(i, j, value, number_fmts[col.kind])
            elif col.kind == "bool":
                sheet.write_boolean(i, j, bool(value))
            else:
                sheet.write_string(i, j, str(value))
            if i <= 500:
                widths[j] = max(widths[j], _width(value if col.kind == "text" else f"{value:,}"))
    for j, w in enumerate(widths):
        sheet.set_column(j, j, w)
    sheet.freeze_panes(1, 0)
    if table.rows:
        sheet.autofilter(0, 0, len(table.rows), len(table.columns) - 1)


def write_workbook(sections: list[Section], path: Path, summary_title: str,
                   label_header: tuple[str, str]) -> None:
    """Write `path`: a summary sheet, then one sheet per table of every section."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"created": FIXED_DATE})  # same run, same bytes
    header_fmt = book.add_format({"bold": True, "bg_color": "#E9EEF4", "border": 1})
    number_fmts = {k: book.add_format({"num_format": f}) for k, f in _FORMATS.items()}
    used: set[str] = set()
    summary = book.add_worksheet(_sheet_name(summary_title, used))
    summary.write_string(0, 0, label_header[0], header_fmt)
    summary.write_string(0, 1, label_header[1], header_fmt)
    row = 1
    for section in sections:
        for figure in section.figures:
            summary.write_string(row, 0, figure.label)
            summary.write_number(row, 1, figure.value, number_fmts[figure.kind])
            row += 1
    for section in sections:
        for sentence in section.sentences:
            summary.write_string(row + 1, 0, sentence)
            row += 1
    summary.set_column(0, 0, 36)
    summary.set_column(1, 1, 18)
    for section in sections:
        for table in section.tables:
            sheet = book.add_worksheet(_sheet_name(table.title, used))
            _write_table(sheet, table, header_fmt, number_fmts)
    book.close()
