"""Excel exports (.xlsx and .xls) through calamine: sheet by name or index, title rows skipped.

A workbook is checked before calamine opens it (`xlsx_limits`), a web page saved under an Excel
name is refused with what to do, and when the chosen sheet holds no table (a cover sheet before
the data) the message lists the sheets with how many known columns each holds (`sheet_hint`).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from linkage.connectors.base import (
    RawTable,
    SourceError,
    detect_header,
    known_headers,
    rows_to_table,
)
from linkage.connectors.xlsx_limits import check_workbook
from linkage.errors import first_line

_HTML = (b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta", b"<head")


def read_excel(path: Path, sheet: str | int = 0, header_row: int | str = "auto") -> RawTable:
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (0 bytes)")
    with open(path, "rb") as fh:
        start = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML):
        raise SourceError(f"{path}: not an Excel workbook but a web page (HTML or XML) saved "
                          "with an Excel name; open it in Excel and save it as .xlsx, or export "
                          "the table again as Excel or CSV")
    check_workbook(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of corruption
        raise SourceError(f"{path}: not a readable Excel workbook (corrupt or not Excel): "
                          f"{first_line(exc)}") from None
    names = book.sheet_names
    try:
        if isinstance(sheet, int):
            ws = book.get_sheet_by_index(sheet)
        else:
            ws = book.get_sheet_by_name(sheet)
    except Exception:
        listing = ", ".join(f"{i}: {n}" for i, n in enumerate(names))
        raise SourceError(f"{path}: sheet {sheet!r} not found; the workbook has {listing}") from None
    rows = ws.to_python(skip_empty_area=False)
    if not rows:
        raise SourceError(f"{path}: sheet {ws.name!r} is empty{sheet_hint(path, ws.name)}")
    try:
        table = rows_to_table(rows, path, header_row)
    except SourceError as exc:
        raise SourceError(f"{exc}{sheet_hint(path, ws.name)}") from None
    table.detail["sheet"] = ws.name
    table.detail["workbook"] = str(path)
    return table


def sheet_overview(path: Path) -> list[tuple[int, str, int]]:
    """(index, name, columns whose header names a known attribute) of every sheet, judged by
    the header found among its first rows (0 for a sheet without one)."""
    book = CalamineWorkbook.from_path(str(path))
    overview = []
    for index, name in enumerate(book.sheet_names):
        try:
            rows = list(itertools.islice(book.get_sheet_by_index(index).iter_rows(), 50))
            known = len(known_headers(rows[detect_header(rows, path)])) if rows else 0
        except (SourceError, CalamineError):
            known = 0
        overview.append((index, name, known))
    return overview


def sheet_hint(path: Path | str, current: str) -> str:
    """A sentence naming the sheet to read instead, with every sheet's count of known columns;
    empty when no other sheet holds more."""
    try:
        overview = sheet_overview(Path(path))
    except CalamineError:
        return ""
    best = max(overview, key=lambda s: s[2], default=None)
    if best is None or best[2] == 0 or best[1] == current:
        return ""
    listing = ", ".join(f"{i}: {name} ({known})" for i, name, known in overview)
    return (f"; sheet {best[1]!r} holds {best[2]} known columns — set `sheet: {best[1]}` "
            f"(columns recognised per sheet: {listing})")
