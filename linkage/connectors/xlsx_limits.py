"""Limits checked on an .xlsx before calamine opens it, so a hostile workbook is refused with a
message instead of taking the process down.

An .xlsx is a zip of XML files.  `check_workbook` refuses a workbook that would inflate beyond
`MAX_UNCOMPRESSED` bytes, or holds a large member compressed more than `MAX_RATIO` times (a
zip bomb), and a sheet whose cells span more than `MAX_CELLS` cells (one cell at XFD1048576
makes calamine allocate the whole grid and abort).  The extent of a sheet is taken from the
row and cell references in its XML (`<row r="1048576">`, `<c r="XFD1048576">`), read as a
stream, not from its `<dimension>` element, which a file may leave out or get wrong.
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from pathlib import Path

from linkage.errors import SourceError

MAX_UNCOMPRESSED = 1 << 30       # bytes, all members together
MAX_RATIO = 100                  # uncompressed / compressed, for members over RATIO_FROM bytes
RATIO_FROM = 10 << 20
MAX_CELLS = 50_000_000           # rows × columns of a sheet's used area
_CHUNK = 4 << 20

_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]{1,9})"')
_WIDE_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{2,3})[0-9]')
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_REL = re.compile(rb"<Relationship\b[^>]*>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_parts(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, member path of its XML) in workbook order."""
    if not {"xl/workbook.xml", "xl/_rels/workbook.xml.rels"} <= set(book.NameToInfo):
        return []
    workbook = book.read("xl/workbook.xml")
    rels = book.read("xl/_rels/workbook.xml.rels")
    targets = {}
    for tag in _REL.findall(rels):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get(b"Target", b"").decode("utf-8", "replace")
        targets[attrs.get(b"Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts = []
    for tag in _SHEET.findall(workbook):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(tag)}
        name = html.unescape(attrs.get(b"name", b"").decode("utf-8", "replace"))
        if attrs.get(b"id") in targets:
            parts.append((name, targets[attrs[b"id"]]))
    return parts


def _extent(book: zipfile.ZipFile, member: str) -> tuple[int, int, int] | None:
    """(first row, last row, last column) a sheet's XML names: rows from its `<row r=…>`
    elements, the last column from cell references past column Z (the first column is taken
    as A, so the extent is never under-estimated)."""
    rows: list[int] = []
    wide: set[bytes] = set()
    tail = b""
    with book.open(member) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            text = tail + chunk
            cut = text.rfind(b"<") if chunk else len(text)
            cut = cut if cut > 0 else len(text)
            numbers = [int(r) for r in _ROW.findall(text, 0, cut)]
            if numbers:
                rows += [min(numbers), max(numbers)]
            wide.update(_WIDE_CELL.findall(text, 0, cut))
            tail = text[cut:]
            if not chunk:
                break
    if not rows:
        return None
    last_col = max((_column_number(c) for c in wide), default=26)
    return min(rows), max(rows), last_col


def check_workbook(path: Path) -> None:
    """Raise SourceError when the .xlsx at `path` is a decompression bomb or has a sheet too
    large to hold in memory (see the module docstring). Files that are not zips pass: .xls
    workbooks are checked by their own format's bounds."""
    if not zipfile.is_zipfile(path):
        return
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # calamine reports the corruption
    with book:
        members = book.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED:
            raise SourceError(f"{path}: refused: the workbook would inflate to {total:,} bytes "
                              f"(limit {MAX_UNCOMPRESSED:,}); a zip bomb or not a plain export")
        for m in members:
            if m.file_size > RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                raise SourceError(
                    f"{path}: refused: member {m.filename} inflates {m.file_size:,} bytes from "
                    f"{m.compress_size:,} (more than {MAX_RATIO} times); a zip bomb or not a "
                    "plain export")
        try:
            extents = [(name, _extent(book, member)) for name, member in _sheet_parts(book)
                       if member in book.NameToInfo]
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
                RuntimeError, ValueError) as exc:
            # a sheet that cannot be inflated here is not handed to calamine either
            raise SourceError(f"{path}: not a readable Excel workbook (corrupt zip: "
                              f"{str(exc) or type(exc).__name__})") from None
        for name, extent in extents:
            if extent is None:
                continue
            first_row, last_row, last_col = extent
            cells = (last_row - first_row + 1) * last_col
            if cells > MAX_CELLS:
                span = f"A{first_row}:{_column_letters(last_col)}{last_row}"
                raise SourceError(
                    f"{path}: refused: sheet {name!r} spans {span} ({cells:,} cells, limit "
                    f"{MAX_CELLS:,}); delete the stray cells far from the data and save again")
