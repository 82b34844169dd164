"""The engine interface every backend implements."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Protocol

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

from linkage.engine.dialect import Dialect


class Engine(Protocol):
    dialect: Dialect
    """The SQL the stages write for this backend (linkage.engine.dialect)."""

    def load(self, name: str, data: pl.DataFrame | pa.Table, replace: bool = True,
             temp: bool = False) -> None:
        """Create (or replace) table `name` from a frame (a temporary table, kept in memory
        and gone with the connection, when `temp`)."""

    def append(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        """Add a frame's rows to table `name` by column name, creating the table on first use;
        a column the table lacks is added to its end (null in the rows before), one the frame
        lacks is null in its rows."""

    def load_in_background(self, name: str, data: pl.DataFrame | pa.Table | ds.Dataset) -> None:
        """Create (or replace) table `name` from a frame or an Arrow dataset (files, read as
        the load reaches them) while the caller goes on; nothing may read `name` before
        `settle()`."""

    def append_in_background(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        """`append` while the caller goes on; appends to one table keep their order, and
        nothing may read `name` before `settle()`."""

    def settle(self, *names: str) -> None:
        """Wait for the background loads of tables `names` (all when none are named), raising
        the first error of any."""

    def execute(self, query: str, params: list | None = None) -> None:
        """Run a statement that returns nothing (CREATE TABLE AS, INSERT, …)."""

    def sql(self, query: str, params: list | None = None) -> pl.DataFrame:
        """Run a query and return its result as a polars frame."""

    def scalar(self, query: str, params: list | None = None):
        """Run a query and return the first column of its first row."""

    def create_table(self, name: str, query: str, temp: bool = False) -> None:
        """Create (or replace) table `name` from a query (a temp table when `temp`)."""

    def drop_table(self, name: str) -> None:
        """Drop table `name` if it exists."""

    def create_view(self, name: str, query: str) -> None:
        """Make `name` a temporary selection of stored tables that holds no rows of its own
        where the backend can read them again cheaply (DuckDB: a view, its rows read from the
        database file at each use, where a temp table would copy them into memory); Spark
        keeps a temp table (each use of a view would be a Spark job re-reading Parquet)."""

    def drop_view(self, name: str) -> None:
        """Drop what `create_view` made, if it exists."""

    def batches(self, query: str, batch_size: int = 200_000) -> Iterator[pa.RecordBatch]:
        """Stream a query's result as Arrow record batches."""

    def memory_budget(self) -> int | None:
        """Bytes of working memory one statement may take (the engine's memory limit), or None
        when the backend bounds its operators itself (Spark's executors spill per task)."""

    def has_table(self, name: str) -> bool: ...

    def tables(self) -> list[str]: ...

    def columns(self, name: str) -> list[str]: ...

    def export_parquet(self, name: str, path: Path, order_by: str | None = None) -> None:
        """Write a table to a Parquet file (ordered, so outputs are deterministic)."""

    def finish(self) -> None:
        """Make a run's tables readable by the commands that read a finished run (report,
        evaluate, explain, review, publish): DuckDB's database file already is; Spark copies its
        Parquet tables into `<output>/linkage.duckdb`."""

    def close(self) -> None: ...


def read_compact(engine: Engine, query: str, order_by: str | list[str] | None = None,
                 batch_size: int = 100_000) -> pl.DataFrame:
    """A large query result as a polars frame with one chunk per column, read batch by batch
    and sorted by `order_by` (a column, or columns in order) here rather than by the engine:
    neither a sorted copy in the engine, nor its result buffers, nor a second whole copy of the
    frame are ever held — each column is joined into one chunk (and put in order) while the
    batches' pieces of it are freed.  Peak: the frame plus one column, where `engine.sql` of an
    ORDER BY query and a `rechunk` hold it about three times over."""
    frames = [pl.from_arrow(batch) for batch in engine.batches(query, batch_size)]
    if not frames:
        return engine.sql(f"SELECT * FROM ({query}) LIMIT 0")
    names = frames[0].columns
    keys = [order_by] if isinstance(order_by, str) else list(order_by or [])

    def column(name: str) -> pl.Series:
        return pl.concat([frame.drop_in_place(name) for frame in frames], rechunk=True)

    columns = {name: column(name) for name in keys}
    key_frame, order = pl.DataFrame(list(columns.values())), None
    if keys and not key_frame.select(pl.struct(keys).is_sorted()).item():
        order = key_frame.with_row_index("_row").sort(keys)["_row"]
        columns = {name: series.gather(order) for name, series in columns.items()}
    for name in names:
        if name not in columns:
            columns[name] = column(name) if order is None else column(name).gather(order)
    return pl.DataFrame([columns[name] for name in names])
