"""Excel exports (.xlsx and .xls) through calamine: sheet by name or index, title rows skipped."""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from linkage.connectors.base import RawTable, SourceError, rows_to_table


def read_excel(path: Path, sheet: str | int = 0, header_row: int | str = "auto") -> RawTable:
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (0 bytes)")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of corruption
        raise SourceError(f"{path}: not a readable Excel workbook (corrupt or not Excel): "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
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
        raise SourceError(f"{path}: sheet {ws.name!r} is empty")
    table = rows_to_table(rows, path, header_row)
    table.detail["sheet"] = ws.name
    return table
