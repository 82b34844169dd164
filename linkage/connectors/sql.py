"""Tables from a database: SQLite files (standard library) and database URLs (SQLAlchemy).

`source_row` is the 1-based position of the row in the table's natural order (rowid for
SQLite).  PostgreSQL and MySQL need the optional extra: pip install 'linkage[sql]'.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from linkage.connectors.base import RawTable, SourceError, rows_to_table
from linkage.errors import first_line


def _table_rows(cursor_rows, names) -> RawTable:
    rows = [list(names), *map(list, cursor_rows)]
    return rows_to_table(rows, "", header_row=1)


def _read_only_uri(path: Path) -> str:
    """A `file:` URI naming exactly this file (`#`, `?` and `%` in its path escaped), opened
    read-only: SQLite neither creates a missing file nor writes to it."""
    return f"{path.resolve().as_uri()}?mode=ro"


def read_sqlite(path: Path, table: str) -> RawTable:
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (0 bytes)")
    try:
        con = sqlite3.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: not a readable SQLite database: {exc}") from None
    # text that is not UTF-8 is read with U+FFFD in place of the bad bytes, not refused
    con.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")]
        if table not in tables:
            raise SourceError(f"{path}: table {table!r} not found; the database has: "
                              f"{', '.join(tables) or 'no tables'}")
        quoted = '"' + table.replace('"', '""') + '"'
        try:
            cur = con.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
        except sqlite3.OperationalError:  # views and WITHOUT ROWID tables
            cur = con.execute(f"SELECT * FROM {quoted}")
        names = [d[0] for d in cur.description]
        result = _table_rows(cur.fetchall(), names)
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: not a readable SQLite database: {exc}") from None
    finally:
        con.close()
    if result.rows_in == 0:
        raise SourceError(f"{path}: table {table!r} holds no rows")
    return result


def read_database(url: str, table: str) -> RawTable:
    if url.startswith("sqlite:///"):
        return read_sqlite(Path(url.removeprefix("sqlite:///")), table)
    try:
        import sqlalchemy as sa
    except ImportError:
        raise SourceError(f"{url}: reading from this database needs SQLAlchemy and a driver: "
                          "pip install 'linkage[sql]'") from None
    try:
        engine = sa.create_engine(url)
        with engine.connect() as con:
            tbl = sa.Table(table, sa.MetaData(), autoload_with=con)
            result = con.execute(sa.select(tbl))
            names = list(result.keys())
            return _table_rows(result.fetchall(), names)
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"{url}: cannot read table {table!r}: {first_line(exc)}") from None
