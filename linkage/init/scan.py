"""Find every table in a folder of exports: each file of a supported format, each sheet of a
workbook, each table of a SQLite database — read through the connectors, or the reason not.

Files are visited in sorted path order (the same folder always gives the same list).  Hidden
files and folders, and folders a linkage run wrote (they carry the run's marker file), are
passed over: a config written beside its exports must not read its own run's output next time.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from linkage.config import _EXTENSIONS
from linkage.connectors import RawTable, read_path
from linkage.connectors.base import RESERVED_COLUMNS, unique_headers
from linkage.errors import LinkageError
from linkage.outputs import MARKER


@dataclass
class Found:
    """One table of the folder (`raw` set) or one that could not be read (`problem` set)."""

    path: Path
    format: str | None
    sheet: str | None = None      # workbook sheet name
    table: str | None = None      # database table
    sheets_in_file: int = 1       # tables the file holds (titles and keys name the sheet when > 1)
    raw: RawTable | None = None
    problem: str | None = None


def written_headers(headers: list[str]) -> list[str]:
    """The headers as the file writes them, for showing: the connectors read a repeated 电话 as
    电话_2 (电话_3 …) and a column headed source_row or source_key (their own lineage columns)
    as source_row_2 / source_key_2 (`unique_headers`), and a config must name the column so.
    Where a header cannot be told from one the file itself writes with `_2` (the repeats
    would not give back the headers read), the headers are shown as read."""
    written = []
    for i, header in enumerate(headers):
        repeat = re.fullmatch(r"(.+)_([2-9]|[1-9]\d+)", header)
        renamed = repeat is not None and (repeat[1] in RESERVED_COLUMNS
                                          or repeat[1] in headers[:i])
        written.append(repeat[1] if renamed else header)
    return written if unique_headers(written) == headers else list(headers)


def find_files(folder: Path) -> list[Path]:
    """Every visible file under `folder`, sorted, outside the output folders of linkage runs."""
    found = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith((".", "~$")):
            continue
        if path.is_dir():
            if not (path / MARKER).exists():
                found.extend(find_files(path))
        elif path.is_file():
            found.append(path)
    return found


def sheet_names(path: Path) -> list[str] | None:
    """The sheets of a workbook in order, or None when the file cannot be opened as one (the
    connector then says why, or reads it its own way)."""
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # noqa: BLE001 — calamine has its own error type per kind of damage
        return None


def table_names(path: Path) -> list[str] | None:
    """The tables and views of a SQLite file (its internal tables left out), or None."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                               "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return [r[0] for r in rows]


def _read(found: Found) -> Found:
    try:
        found.raw = read_path(found.path, found.format, sheet=found.sheet or 0,
                              table=found.table)
    except LinkageError as exc:
        found.problem = str(exc)
    except Exception as exc:  # noqa: BLE001 — one reader's bug must not stop the whole scan
        found.problem = (f"the reader failed unexpectedly ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}); this is a bug in "
                         "linkage, please report it")
    return found


def scan_folder(folder: Path) -> list[Found]:
    """Every table of every file under `folder`, read, in path (then sheet / table) order."""
    out: list[Found] = []
    for path in find_files(folder):
        fmt = _EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            out.append(Found(path, None, problem="not a format linkage reads (CSV, TSV, Excel, "
                                                 "JSON, JSON Lines, Parquet, SQLite)"))
            continue
        if fmt in ("xlsx", "xls"):
            sheets = sheet_names(path)
            if sheets:
                out += [_read(Found(path, fmt, sheet=s, sheets_in_file=len(sheets)))
                        for s in sheets]
                continue
        if fmt == "sqlite":
            tables = table_names(path)
            if tables is None:
                out.append(_read(Found(path, fmt, table="")))
            elif not tables:
                out.append(Found(path, fmt, problem="the database holds no tables"))
            else:
                out += [_read(Found(path, fmt, table=t, sheets_in_file=len(tables)))
                        for t in tables]
            continue
        out.append(_read(Found(path, fmt)))
    return out
