"""DuckDB implementation of the engine interface (the default, embedded backend)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl
import pyarrow as pa


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBEngine:
    def __init__(self, path: str | Path | None = None, threads: int | None = None,
                 memory_limit: str | None = None):
        self.path = str(path) if path else ":memory:"
        self.con = duckdb.connect(self.path)
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET preserve_insertion_order = true")
        self._background: ThreadPoolExecutor | None = None
        self._pending: dict[str, Future] = {}

    @staticmethod
    def _load(con: duckdb.DuckDBPyConnection, name: str, data: pl.DataFrame | pa.Table,
              replace: bool = True, temp: bool = False) -> None:
        table = data.to_arrow() if isinstance(data, pl.DataFrame) else data
        con.register("__linkage_load", table)
        verb = ("CREATE OR REPLACE" if replace else "CREATE") + (" TEMP TABLE" if temp else " TABLE")
        con.execute(f"{verb} {quote_ident(name)} AS SELECT * FROM __linkage_load")
        con.unregister("__linkage_load")

    def load(self, name: str, data: pl.DataFrame | pa.Table, replace: bool = True,
             temp: bool = False) -> None:
        self._load(self.con, name, data, replace, temp)

    def load_in_background(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        # one worker thread with its own cursor, in submission order: DuckDB runs it beside the
        # caller's queries (writing a big table to the database file is mostly compression,
        # off the GIL)
        self.settle(name)
        if self._background is None:
            self._background = ThreadPoolExecutor(1, thread_name_prefix="linkage-load")
        cursor = self.con.cursor()

        def load() -> None:
            try:
                self._load(cursor, name, data)
            finally:
                cursor.close()
        self._pending[name] = self._background.submit(load)

    def settle(self, *names: str) -> None:
        for name in names or list(self._pending):
            future = self._pending.pop(name, None)
            if future is not None:
                future.result()

    def execute(self, query: str, params: list | None = None) -> None:
        self.con.execute(query, params or [])

    def sql(self, query: str, params: list | None = None) -> pl.DataFrame:
        rel = self.con.sql(query, params=params) if params else self.con.sql(query)
        return pl.from_arrow(rel.to_arrow_table())

    def scalar(self, query: str, params: list | None = None):
        rows = self.con.execute(query, params or []).fetchall()  # fetch all: frees the result
        return rows[0][0] if rows else None

    def batches(self, query: str, batch_size: int = 200_000) -> Iterator[pa.RecordBatch]:
        reader = self.con.sql(query).to_arrow_reader(batch_size)
        yield from reader

    def has_table(self, name: str) -> bool:
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))

    def tables(self) -> list[str]:
        return [r[0] for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]

    def columns(self, name: str) -> list[str]:
        return [r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [name]).fetchall()]

    def export_parquet(self, name: str, path: Path, order_by: str | None = None) -> None:
        order = f" ORDER BY {order_by}" if order_by else ""
        target = str(path).replace("'", "''")
        self.con.execute(
            f"COPY (SELECT * FROM {quote_ident(name)}{order}) TO '{target}' "
            "(FORMAT parquet, COMPRESSION zstd)")

    def close(self) -> None:
        try:
            self.settle()
        finally:
            if self._background is not None:
                self._background.shutdown()
            self.con.close()
