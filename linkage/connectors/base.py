"""What every connector returns, the errors it raises, and helpers they share.

A connector reads one source into a `RawTable`: every value as text (never a float that eats
an ID number's digits), the 1-based `source_row` of each row, and the rows it could not read
as quarantine entries with a reason.  Header detection (title lines above the header) lives
here because CSV and Excel both need it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from linkage import quarantine as q
from linkage.attributes import SYNONYMS, header_key
from linkage.errors import SourceError
from linkage.quarantine import QUARANTINE_SCHEMA

__all__ = ["RawTable", "SourceError", "QUARANTINE_SCHEMA", "empty_quarantine", "unique_headers",
           "cell_text", "detect_header", "known_headers", "split_repeated_header", "text_column", "rows_to_table"]


@dataclass
class RawTable:
    """One source read as text: `data` has one Utf8 column per header plus `source_row`."""

    data: pl.DataFrame
    headers: list[str]
    rows_in: int
    quarantine: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=QUARANTINE_SCHEMA))
    encoding: str | None = None
    header_row: int | None = None
    detail: dict = field(default_factory=dict)


def empty_quarantine() -> pl.DataFrame:
    return q.empty()


# column names a RawTable uses itself: a source column of that name is renamed like a repeat
RESERVED_COLUMNS = frozenset({"source_row"})


def unique_headers(cells: list) -> list[str]:
    """Header texts made unique and non-empty: blank → 列3, repeated 电话 → 电话_2 (→ 电话_3
    when 电话_2 is taken too), and a column headed `source_row` → source_row_2."""
    names = [(str(cell).strip() if cell is not None else "") or f"列{i}"
             for i, cell in enumerate(cells, start=1)]
    taken = set(RESERVED_COLUMNS)
    out: list[str] = []
    for name in names:
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name}_{n}"
        taken.add(unique)
        out.append(unique)
    return out


def split_repeated_header(data: pl.DataFrame, headers: list[str], header_cells: list,
                          header_row: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows that repeat the header line (two exports joined with `cat`) leave for quarantine:
    every filled cell equals its column's header text, and at least half the columns (two or
    more) are filled. Returns (data without them, their quarantine entries)."""
    texts = [str(c).strip() if c is not None else "" for c in header_cells]
    pairs = [(h, t) for h, t in zip(headers, texts) if t]
    if not pairs or data.height == 0:
        return data, empty_quarantine()
    # the full test on the few rows whose first named column holds its header text
    first, text = pairs[0]
    candidates = data.filter(pl.col(first).str.strip_chars() == text)
    if candidates.height == 0:
        return data, empty_quarantine()
    matches = [(pl.col(h).str.strip_chars() == t) for h, t in pairs]
    filled = pl.sum_horizontal([pl.col(h).is_not_null() for h in headers])
    mask = (pl.all_horizontal([m.fill_null(True) for m in matches])
            & (pl.sum_horizontal([m.fill_null(False) for m in matches])
               >= max(2 if len(pairs) > 1 else 1, math.ceil(len(pairs) / 2)))
            & (filled > 0))
    repeated = candidates.filter(mask)
    if repeated.height == 0:
        return data, empty_quarantine()
    mask = pl.col("source_row").is_in(repeated["source_row"].implode())
    entries = [q.entry(row, "repeated_header", ",".join(texts), line=row + header_row)
               for row in repeated["source_row"].to_list()]
    return data.filter(~mask), q.frame(entries)


# a float holds about 15 significant digits (Excel keeps exactly 15): an integral float of 16 or
# more digits is not the number that was typed, so it is written as Excel shows it
# (4.40306195608317E+17) and never as invented digits; normalizers flag it precision_lost
EXACT_FLOAT_DIGITS = 15


def cell_text(value) -> str | None:
    """A typed cell (Excel, JSON, SQL) as the text a clerk typed; integral floats lose the .0,
    and those too long to be exact keep 15 significant digits in scientific notation."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) >= 10 ** EXACT_FLOAT_DIGITS:
            return f"{value:.{EXACT_FLOAT_DIGITS}G}"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


_KNOWN_HEADERS = set().union(*(set(index) for index in SYNONYMS.values()))


def _looks_like_data(cell: str) -> bool:
    text = cell.strip()
    return any(ch.isdigit() for ch in text) and sum(ch.isdigit() for ch in text) * 2 >= len(text)


def known_headers(cells: list) -> list[str]:
    """The cells of a header row that name a known attribute (of any entity type)."""
    texts = ["" if c is None else str(c) for c in cells]
    return [t for t in texts if t.strip() and header_key(t) in _KNOWN_HEADERS]


def detect_header(rows: list[list], path: Path | str) -> int:
    """Index (0-based, into `rows`) of the header row among the first rows of a table.

    Title lines ("2024年桃源社区居住登记表"), notes and blank lines above the header are
    skipped: the header is the row with the most cells naming known attributes; without any
    known header, the first row that is as wide as the data and holds no numeric cells.
    """
    texts = [["" if c is None else str(c) for c in row] for row in rows]
    widths = [sum(1 for c in row if c.strip()) for row in texts]
    if not any(widths):
        raise SourceError(f"{path}: no header found: the file has no non-empty rows")
    wide = max(widths)
    candidates = [i for i, w in enumerate(widths) if w >= max(2, math.ceil(0.6 * wide)) or
                  (wide == 1 and w == 1)]
    best, best_hits = None, 0
    for i in candidates:
        hits = sum(1 for c in texts[i] if c.strip() and header_key(c) in _KNOWN_HEADERS)
        if hits > best_hits:
            best, best_hits = i, hits
    if best is not None:
        return best
    for i in candidates:
        if not any(_looks_like_data(c) for c in texts[i] if c.strip()):
            return i
    raise SourceError(
        f"{path}: header not found in the first {len(rows)} rows (no row names known columns "
        "and every wide row holds numbers); set `header_row` in the config")


def text_column(name: str, values) -> pl.Series:
    """Typed cells as a text column: strings pass through in one step, other cells go through
    `cell_text`; blank and whitespace-only cells become null."""
    try:
        series = pl.Series(name, values, dtype=pl.Utf8, strict=True)
    except (TypeError, pl.exceptions.PolarsError):
        series = pl.Series(name, [cell_text(v) for v in values], dtype=pl.Utf8)
    return series.to_frame().select(
        pl.when(pl.col(name).str.strip_chars() != "").then(pl.col(name))).to_series()


def rows_to_table(rows: list[list], path: Path | str, header_row: int | str,
                  row_numbers: list[int] | None = None) -> RawTable:
    """Build a RawTable from typed rows (Excel, SQL): detect the header, text every cell.

    Column by column, not cell by cell. `row_numbers[i]` is the physical 1-based row of rows[i]
    (defaults to i + 1); `source_row` is the physical row minus the header's row, so
    header_row + source_row is the row a clerk sees in the file. Blank rows are skipped; a row
    with more values than the header has columns goes to quarantine.
    """
    numbers = row_numbers or list(range(1, len(rows) + 1))
    if not rows:
        raise SourceError(f"{path}: the table is empty (no rows at all)")
    if header_row == "auto":
        h = detect_header(rows[:50], path)
    else:
        h = numbers.index(header_row) if header_row in numbers else -1
        if h < 0:
            raise SourceError(f"{path}: header_row {header_row} is beyond the end of the table")
    headers = unique_headers(rows[h])
    width = len(headers)
    body = rows[h + 1:]
    full = max([width, *map(len, body)])
    if any(len(r) != full for r in body):
        body = [list(r) + [None] * (full - len(r)) for r in body]
    cells = pl.DataFrame([text_column(f"c{i}", col) for i, col in enumerate(zip(*body))]
                         if body else [pl.Series(f"c{i}", [], pl.Utf8) for i in range(full)])
    cells = cells.with_columns(
        pl.Series("source_row", numbers[h + 1:], dtype=pl.Int64) - numbers[h])
    value_columns = [f"c{i}" for i in range(full)]
    extra = value_columns[width:]
    filled = pl.any_horizontal([pl.col(c).is_not_null() for c in value_columns]) if full else pl.lit(False)
    cells = cells.filter(filled)
    overflow = (pl.any_horizontal([pl.col(c).is_not_null() for c in extra]) if extra
                else pl.lit(False))
    too_wide = cells.filter(overflow)
    data = cells.filter(~overflow).select(
        [pl.col(f"c{i}").alias(name) for i, name in enumerate(headers)] + ["source_row"])
    entries = [
        q.entry(row["source_row"], "too_many_fields",
                json.dumps([row[c] for c in value_columns[:_last_filled(row, value_columns)]],
                           ensure_ascii=False),
                line=row["source_row"] + numbers[h], found=_last_filled(row, value_columns),
                expected=width)
        for row in too_wide.to_dicts()]
    return RawTable(data=data, headers=headers, rows_in=data.height + too_wide.height,
                    quarantine=q.frame(entries), header_row=numbers[h])


def _last_filled(row: dict, columns: list[str]) -> int:
    return max(i + 1 for i, c in enumerate(columns) if row[c] is not None)
