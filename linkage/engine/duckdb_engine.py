"""DuckDB implementation of the engine interface (the default, embedded backend).

DuckDB's own failures that are not bugs — a disk that refuses a write, memory that runs out —
leave it as `OutputError` / `RunError` naming the database file.
"""

from __future__ import annotations

import functools
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

from linkage.engine.dialect import DuckDBDialect, quote_ident
from linkage.errors import OutputError, RunError, first_line


def _translated(method):
    """Turn DuckDB's I/O and out-of-memory errors into the project's errors."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except duckdb.OutOfMemoryException as exc:
            raise RunError(f"{self.path}: DuckDB ran out of memory ({first_line(exc)})") from None
        except duckdb.Error as exc:
            if not isinstance(exc, duckdb.IOException) and not _WRITE_FAILED.search(str(exc)):
                raise
            raise OutputError(f"{self.path}: the database could not be written or read "
                              f"({first_line(exc)}); is the disk full?") from None
    return wrapper


# a commit or checkpoint that failed because the file system refused the write
_WRITE_FAILED = re.compile(r"Could not write|File too large|No space left|Disk quota", re.I)


# DuckDB's memory_limit setting reads like "11.1 GiB" or "953.6 MiB"
_UNITS = {"": 1, "bytes": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


class DuckDBEngine:
    dialect = DuckDBDialect()

    def __init__(self, path: str | Path | None = None, threads: int | None = None,
                 memory_limit: str | None = None, read_only: bool = False):
        self.path = str(path) if path else ":memory:"
        limits = {"threads": int(threads)} if threads else {}
        if memory_limit:
            limits["memory_limit"] = memory_limit
        try:
            self.con = duckdb.connect(self.path, read_only=read_only, config=limits)
        except duckdb.IOException as exc:
            raise OutputError(f"{self.path}: cannot open the database ({first_line(exc)})") from None
        self.con.execute("SET preserve_insertion_order = true")
        # results as string views: polars takes them as they are, where plain Arrow strings
        # are copied (half the memory and time of every `sql()` result with text in it)
        self.con.execute("SET produce_arrow_string_view = true")
        self._background: ThreadPoolExecutor | None = None
        self._pending: dict[str, Future] = {}

    @staticmethod
    def _arrow(data: pl.DataFrame | pa.Table) -> pa.Table:
        """A frame as Arrow without copying it: polars' own string layout (string views, which
        DuckDB reads), not the large strings `to_arrow()` copies every string into."""
        if isinstance(data, pl.DataFrame):
            return data.to_arrow(compat_level=pl.CompatLevel.newest())
        return data

    @staticmethod
    def _load(con: duckdb.DuckDBPyConnection, name: str, data: pl.DataFrame | pa.Table | ds.Dataset,
              replace: bool = True, temp: bool = False) -> None:
        if isinstance(data, ds.Dataset):
            # a dataset handed to DuckDB as it is is scanned with pyarrow's default read-ahead
            # (16 batches of each of 4 files at once): 13 GB held for the spill of 10M records;
            # read in order, two batches ahead of one file: 4.7 GB, and no slower
            table = ds.Scanner.from_dataset(data, batch_readahead=2,
                                            fragment_readahead=1).to_reader()
        else:
            table = DuckDBEngine._arrow(data)
        con.register("__linkage_load", table)
        verb = ("CREATE OR REPLACE" if replace else "CREATE") + (" TEMP TABLE" if temp else " TABLE")
        con.execute(f"{verb} {quote_ident(name)} AS SELECT * FROM __linkage_load")
        con.unregister("__linkage_load")

    @_translated
    def load(self, name: str, data: pl.DataFrame | pa.Table, replace: bool = True,
             temp: bool = False) -> None:
        self._load(self.con, name, data, replace, temp)

    @_translated
    def append(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        self._append(self.con, name, data)

    @classmethod
    def _append(cls, con: duckdb.DuckDBPyConnection, name: str,
                data: pl.DataFrame | pa.Table) -> None:
        have = cls._columns(con, name)
        if not have:
            cls._load(con, name, data)
            return
        con.register("__linkage_load", cls._arrow(data))
        try:
            for column, kind, *_ in con.execute("DESCRIBE __linkage_load").fetchall():
                if column not in have:
                    con.execute(f"ALTER TABLE {quote_ident(name)} "
                                f"ADD COLUMN {quote_ident(column)} {kind}")
            con.execute(f"INSERT INTO {quote_ident(name)} BY NAME SELECT * FROM __linkage_load")
        finally:
            con.unregister("__linkage_load")

    def load_in_background(self, name: str, data: pl.DataFrame | pa.Table | ds.Dataset) -> None:
        self._in_background(name, lambda cursor: self._load(cursor, name, data))

    def append_in_background(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        self._in_background(name, lambda cursor: self._append(cursor, name, data))

    def _in_background(self, name: str, write) -> None:
        # one worker thread with its own cursor runs the writes, in submission order, beside
        # the caller's queries (writing a big table to the database file is mostly
        # compression, off the GIL; a second worker only made the writes contend with each
        # other and with the caller on two cores); the previous write to `name` is waited for
        # first, so at most one frame per table waits in memory
        self.settle(name)
        if self._background is None:
            self._background = ThreadPoolExecutor(1, thread_name_prefix="linkage-load")
        cursor = self.con.cursor()

        def run() -> None:
            try:
                write(cursor)
            finally:
                cursor.close()
        self._pending[name] = self._background.submit(run)

    @_translated
    def settle(self, *names: str) -> None:
        for name in names or list(self._pending):
            future = self._pending.pop(name, None)
            if future is not None:
                future.result()

    @_translated
    def execute(self, query: str, params: list | None = None) -> None:
        self.con.execute(query, params or [])

    @_translated
    def sql(self, query: str, params: list | None = None) -> pl.DataFrame:
        rel = self.con.sql(query, params=params) if params else self.con.sql(query)
        return pl.from_arrow(rel.to_arrow_table())

    @_translated
    def scalar(self, query: str, params: list | None = None):
        rows = self.con.execute(query, params or []).fetchall()  # fetch all: frees the result
        return rows[0][0] if rows else None

    def create_table(self, name: str, query: str, temp: bool = False) -> None:
        for statement in self.dialect.create_table(name, query, temp):
            self.execute(statement)

    def drop_table(self, name: str) -> None:
        for statement in self.dialect.drop_table(name):
            self.execute(statement)

    def create_view(self, name: str, query: str) -> None:
        self.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(name)} AS {query}")

    def drop_view(self, name: str) -> None:
        self.execute(f"DROP VIEW IF EXISTS {quote_ident(name)}")

    def batches(self, query: str, batch_size: int = 200_000) -> Iterator[pa.RecordBatch]:
        # the query runs while its batches are read: each read goes through `_translated`
        reader = self._reader(query, batch_size)
        while (batch := self._next_batch(reader)) is not None:
            yield batch

    @_translated
    def _reader(self, query: str, batch_size: int) -> pa.RecordBatchReader:
        return self.con.sql(query).to_arrow_reader(batch_size)

    @_translated
    def _next_batch(self, reader: pa.RecordBatchReader) -> pa.RecordBatch | None:
        try:
            return reader.read_next_batch()
        except StopIteration:
            return None

    def memory_budget(self) -> int | None:
        setting = self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        number, unit = re.fullmatch(r"([\d.]+)\s*(\w*)", setting.strip()).groups()
        return int(float(number) * _UNITS[unit.lower()])

    def has_table(self, name: str) -> bool:
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    def tables(self) -> list[str]:
        return [r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]

    def columns(self, name: str) -> list[str]:
        return self._columns(self.con, name)

    @staticmethod
    def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
        return [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [name]).fetchall()]

    @_translated
    def export_parquet(self, name: str, path: Path, order_by: str | None = None) -> None:
        order = f" ORDER BY {order_by}" if order_by else ""
        target = str(path).replace("'", "''")
        self.con.execute(
            f"COPY (SELECT * FROM {quote_ident(name)}{order}) TO '{target}' "
            "(FORMAT parquet, COMPRESSION zstd)")

    def finish(self) -> None:
        self.settle()  # the run's tables are this database file's

    @_translated
    def close(self) -> None:
        try:
            self.settle()
        finally:
            if self._background is not None:
                self._background.shutdown()
            self.con.close()
