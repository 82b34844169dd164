"""Spark implementation of the engine interface, on a PySpark session (pip install 'linkage[spark]').

Tables are Spark tables of the session's catalog; temp tables are temp views of a query's
checkpointed rows, or of the rows a frame sent from the driver.  The stages' SQL comes through
`SparkDialect`, so every stage runs here unchanged.

A run (`open_spark_run`, what `engine: {kind: spark}` opens) keeps its tables in a database of
its own whose location is `<output>/tables/`: every table is a Spark Parquet directory
`<output>/tables/<name>/` (part files), written by the executors.  At the end of a run,
`finish()` copies them into `<output>/linkage.duckdb`, the file the commands that read a
finished run open (report, evaluate, explain, review, publish).

What still goes through the driver: frames handed to `load`/`append` (the connectors' reading
and normalize's chunks; sent in slices of `LOAD_ROWS` rows), and results of `sql`, `batches`
and `scalar` — aggregates for the most part, but the link stage reads its feature table and
pairs through them.  `export_parquet` writes on the executors (one task, for one ordered file).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

from linkage.engine.dialect import SparkDialect
from linkage.errors import RunError, first_line

try:
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession
except ImportError:  # pragma: no cover - the spark extra is optional
    SparkSession = None
    PySparkException = Py4JError = Exception

# rows of a frame sent from the driver to Spark at a time by `load` and `append`
LOAD_ROWS = 200_000
NEEDS_PYSPARK = ("the Spark engine needs pyspark: pip install 'linkage[spark]' "
                 "（Spark 引擎需要安装 pyspark：pip install 'linkage[spark]'）")
NEEDS_JAVA = ("the Spark engine needs Java 17 or later: install it (Debian: apt-get install "
              "openjdk-17-jre-headless) or set JAVA_HOME （Spark 引擎需要 Java 17 及以上版本）")


def spark_session(master: str | None = "local[2]", conf: dict[str, str] | None = None):
    """A Spark session (the running one when there is one) with `conf` applied; without
    `master`, spark-submit's `--master` (else local[*])."""
    if SparkSession is None:
        raise RunError(NEEDS_PYSPARK)
    launched = "PYSPARK_GATEWAY_PORT" in os.environ  # under spark-submit the JVM is running
    if not launched and not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise RunError(NEEDS_JAVA)
    builder = SparkSession.builder.appName("linkage")
    if master:
        builder = builder.master(master)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except (PySparkException, Py4JError, OSError) as exc:  # the JVM did not start
        raise RunError(f"Spark could not start ({first_line(exc)}) "
                       "（Spark 未能启动）") from None


def run_conf(master: str | None, conf: dict[str, str], folder: Path) -> dict[str, str]:
    """The Spark settings of a run in `folder`: the config's `conf` over the run's defaults —
    the warehouse under `folder/.work/` (Spark's default database would otherwise be made in the
    current folder) and, on a local master (`local`, `local[N]`, `local[*]`), two shuffle
    partitions per thread (Spark's 200 make 200 tasks of a few rows for every shuffle of a
    small run) and no console progress bars (they would bury the run's own lines)."""
    defaults = {"spark.sql.warehouse.dir": str(folder / ".work" / "spark-warehouse")}
    local = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\s*\d+)?\])?", master or "")
    if local:
        threads = local[1] or "1"
        threads = (os.cpu_count() or 1) if threads == "*" else int(threads)
        defaults |= {"spark.sql.shuffle.partitions": str(2 * threads),
                     "spark.ui.showConsoleProgress": "false"}
    return defaults | conf


def open_spark_run(master: str | None, conf: dict[str, str], folder: Path) -> SparkEngine:
    """The engine of one run on Spark: a session from `master` and `run_conf` (stopped when the
    engine closes, if this made it), the run's tables under `folder/tables/`, and `finish()`
    writing `folder/linkage.duckdb`."""
    if SparkSession is None:
        raise RunError(NEEDS_PYSPARK)
    running = SparkSession.getActiveSession()
    session = spark_session(master, run_conf(master, conf, folder))
    if running is None:  # Spark's progress warnings would bury the run's own lines
        session.sparkContext.setLogLevel("ERROR")
    return SparkEngine(session, tables_dir=folder / "tables", owns_session=running is None)


def _plain_type(kind: pa.DataType) -> pa.DataType:
    """Arrow types Spark reads: polars' string / binary views as large strings / binaries, and
    a column of nulls only (polars' Null type) as strings — Parquet has no null type."""
    if pa.types.is_string_view(kind):
        return pa.large_string()
    if pa.types.is_binary_view(kind):
        return pa.large_binary()
    if pa.types.is_null(kind):
        return pa.large_string()
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_list_view(kind):
        return pa.large_list(_plain_type(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_plain_type(f.type)) for f in kind])
    return kind


def _arrow(data: pl.DataFrame | pa.Table) -> pa.Table:
    table = data.to_arrow() if isinstance(data, pl.DataFrame) else data
    schema = pa.schema([f.with_type(_plain_type(f.type)) for f in table.schema])
    return table if schema.equals(table.schema) else table.cast(schema)


class SparkEngine:
    dialect = SparkDialect()

    def __init__(self, session, tables_dir: Path | None = None, owns_session: bool = False):
        """An engine on `session`; with `tables_dir`, its tables live in a database of their
        own there (see the module docstring), else in the session's current database."""
        self.spark = session
        self.path = f"spark:{session.sparkContext.master}"
        self.owns_session = owns_session
        self.tables_dir = tables_dir
        self._previous_database = session.catalog.currentDatabase()
        if tables_dir is not None:
            database = f"linkage_{uuid.uuid4().hex[:12]}"
            self._run(f"CREATE DATABASE {self.dialect.quote(database)} "
                      f"LOCATION {self.dialect.literal(str(tables_dir))}")
            session.catalog.setCurrentDatabase(database)

    def _run(self, query: str, params: list | None = None):
        try:
            return self.spark.sql(query, args=params) if params else self.spark.sql(query)
        except PySparkException as exc:
            raise RunError(f"{self.path}: Spark could not run the query "
                           f"({first_line(exc)}):\n{query.strip()[:500]}") from None

    def _frames(self, data: pl.DataFrame | pa.Table):
        """A frame as Spark DataFrames of at most LOAD_ROWS rows each (at least one)."""
        if isinstance(data, ds.Dataset):  # files: batch by batch
            for batch in data.to_batches(batch_size=LOAD_ROWS):
                yield from self._frames(pa.Table.from_batches([batch]))
            return
        table = _arrow(data)
        for start in range(0, max(table.num_rows, 1), LOAD_ROWS):
            yield self.spark.createDataFrame(table.slice(start, LOAD_ROWS))

    def load(self, name: str, data: pl.DataFrame | pa.Table, replace: bool = True,
             temp: bool = False) -> None:
        if replace:
            self.drop_table(name)
        if temp:  # a view of the rows sent: they read no table, so unlike `create_table`'s
            # views they need no checkpoint (a Spark job of its own)
            frame = None
            for part in self._frames(data):
                frame = part if frame is None else frame.unionByName(part)
            frame.createOrReplaceTempView(name)
            return
        for i, part in enumerate(self._frames(data)):
            if i == 0:
                part.write.saveAsTable(name, format="parquet")
            else:
                part.write.insertInto(name)

    def append(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        if not self.has_table(name):
            self.load(name, data)
            return
        have = self.spark.table(name)
        table = _arrow(data)
        if set(table.column_names) <= set(have.columns):
            for part in self._frames(table):  # the table's columns, in its order
                part.selectExpr(*(self.dialect.quote(c) if c in table.column_names
                                  else f"CAST(NULL AS {have.schema[c].dataType.simpleString()}) "
                                       f"AS {self.dialect.quote(c)}" for c in have.columns)
                                ).write.insertInto(name)
            return
        # a new column: the union goes to a new table, renamed (a table cannot be overwritten
        # from itself)
        union = have
        for part in self._frames(table):
            union = union.unionByName(part, allowMissingColumns=True)
        staged = f"{name}__appended"
        self.drop_table(staged)
        union.write.saveAsTable(staged, format="parquet")
        self.drop_table(name)
        self._run(f"ALTER TABLE {self.dialect.quote(staged)} RENAME TO {self.dialect.quote(name)}")

    def load_in_background(self, name: str, data: pl.DataFrame | pa.Table | ds.Dataset) -> None:
        self.load(name, data)  # Spark schedules its own work; nothing to overlap here

    def append_in_background(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        self.append(name, data)

    def settle(self, *names: str) -> None:
        pass

    def execute(self, query: str, params: list | None = None) -> None:
        self._run(query, params)

    def sql(self, query: str, params: list | None = None) -> pl.DataFrame:
        return pl.from_arrow(self._run(query, params).toArrow())

    def scalar(self, query: str, params: list | None = None):
        rows = self._run(query, params).take(1)
        return rows[0][0] if rows else None

    def create_table(self, name: str, query: str, temp: bool = False) -> None:
        if not temp:
            for statement in self.dialect.create_table(name, query):
                self._run(statement)
            return
        # a temp table holds the query's rows, checkpointed on the executors: a cached view
        # (`CACHE TABLE … AS`) re-reads the tables its query names and breaks once they are
        # dropped, as a stage drops its working tables one by one
        frame = self._run(query)
        try:
            frame = frame.localCheckpoint()
        except PySparkException as exc:
            raise RunError(f"{self.path}: Spark could not run the query "
                           f"({first_line(exc)}):\n{query.strip()[:500]}") from None
        self.drop_table(name)
        frame.createOrReplaceTempView(name)

    def drop_table(self, name: str) -> None:
        for statement in self.dialect.drop_table(name):
            self._run(statement)

    def create_view(self, name: str, query: str) -> None:
        self.create_table(name, query, temp=True)

    def drop_view(self, name: str) -> None:
        self.drop_table(name)

    def batches(self, query: str, batch_size: int = 200_000) -> Iterator[pa.RecordBatch]:
        yield from self._run(query).toArrow().to_batches(batch_size)

    def memory_budget(self) -> int | None:
        return None

    def has_table(self, name: str) -> bool:
        return self.spark.catalog.tableExists(name)

    def tables(self) -> list[str]:
        return sorted({r.tableName for r in self.spark.sql("SHOW TABLES").collect()})

    def columns(self, name: str) -> list[str]:
        return self.spark.table(name).columns

    def export_parquet(self, name: str, path: Path, order_by: str | None = None) -> None:
        """One Parquet file written by one Spark task (ordered rows need one writer), through a
        Spark output folder beside `path` whose part file becomes `path`."""
        order = f" ORDER BY {order_by}" if order_by else ""
        frame = self._run(f"SELECT * FROM {self.dialect.quote(name)}{order}")
        staging = path.with_name(f".{path.name}.spark")
        try:
            frame.coalesce(1).write.parquet(str(staging), mode="overwrite", compression="zstd")
        except PySparkException as exc:
            raise RunError(f"{self.path}: Spark could not write {path} ({first_line(exc)})") from None
        part, = staging.glob("part-*.parquet")
        os.replace(part, path)
        shutil.rmtree(staging)

    def finish(self) -> None:
        """Copy the run's tables (not the temp views) into `<output>/linkage.duckdb`, for the
        commands that read a finished run; DuckDB reads the Parquet directories itself."""
        if self.tables_dir is None:
            return
        from linkage.engine.duckdb_engine import DuckDBEngine

        names = [r.tableName for r in self.spark.sql("SHOW TABLES").collect()
                 if not r.isTemporary]
        copy = DuckDBEngine(self.tables_dir.parent / "linkage.duckdb")
        try:
            for name in sorted(names):
                files = copy.dialect.literal(str(self.tables_dir / name / "*.parquet"))
                copy.execute(f"CREATE TABLE {copy.dialect.quote(name)} AS "
                             f"SELECT * FROM read_parquet({files})")
        finally:
            copy.close()

    def close(self) -> None:
        """Leave the run's database (its files stay) and stop the session if the run made it."""
        if self.owns_session:
            self.spark.stop()
        elif self.tables_dir is not None:
            self.spark.catalog.setCurrentDatabase(self._previous_database)
