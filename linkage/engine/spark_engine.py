"""Spark implementation of the engine interface, on a PySpark session (pip install 'linkage[spark]').

Tables are Spark tables of the session's catalog; temp tables are temp views of checkpointed
rows (loaded frames are cached).  The stages' SQL comes through `SparkDialect`, so the measures
and the link stage of an entity type run here unchanged.  What this backend
does not do yet: results (`sql`, `batches`, `export_parquet`) are collected to the driver through
Arrow, which suits aggregates and small tables, not record-wide ones — the pipeline's record
stages still need their Spark plans before a whole run can use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from linkage.engine.dialect import SparkDialect
from linkage.errors import RunError

try:
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession
except ImportError:  # pragma: no cover - the spark extra is optional
    SparkSession = None
    PySparkException = Exception


def spark_session(master: str = "local[2]", conf: dict[str, str] | None = None):
    """A Spark session (the running one when there is one) with `conf` applied."""
    if SparkSession is None:
        raise RunError("the Spark engine needs pyspark: pip install 'linkage[spark]' "
                       "（Spark 引擎需要安装 pyspark）")
    builder = SparkSession.builder.master(master).appName("linkage")
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkEngine:
    dialect = SparkDialect()

    def __init__(self, session):
        self.spark = session
        self.path = f"spark:{session.sparkContext.master}"

    def _run(self, query: str, params: list | None = None):
        try:
            return self.spark.sql(query, args=params) if params else self.spark.sql(query)
        except PySparkException as exc:
            raise RunError(f"{self.path}: Spark could not run the query "
                           f"({str(exc).splitlines()[0]}):\n{query.strip()[:500]}") from None

    def load(self, name: str, data: pl.DataFrame | pa.Table, replace: bool = True,
             temp: bool = False) -> None:
        table = data.to_arrow() if isinstance(data, pl.DataFrame) else data
        if replace:
            self.drop_table(name)
        frame = self.spark.createDataFrame(table)
        if temp:
            frame.createOrReplaceTempView(name)
            self.spark.catalog.cacheTable(name)
        else:
            frame.write.saveAsTable(name, format="parquet")

    def append(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        if not self.has_table(name):
            self.load(name, data)
            return
        table = data.to_arrow() if isinstance(data, pl.DataFrame) else data
        # a table cannot be overwritten from itself: the union goes to a new table, renamed
        union = self.spark.table(name).unionByName(self.spark.createDataFrame(table),
                                                   allowMissingColumns=True)
        staged = f"{name}__appended"
        self.drop_table(staged)
        union.write.saveAsTable(staged, format="parquet")
        self.drop_table(name)
        self._run(f"ALTER TABLE {self.dialect.quote(staged)} RENAME TO {self.dialect.quote(name)}")

    def load_in_background(self, name: str, data: pl.DataFrame | pa.Table) -> None:
        self.load(name, data)  # Spark schedules its own work; nothing to overlap here

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
                           f"({str(exc).splitlines()[0]}):\n{query.strip()[:500]}") from None
        self.drop_table(name)
        frame.createOrReplaceTempView(name)

    def drop_table(self, name: str) -> None:
        for statement in self.dialect.drop_table(name):
            self._run(statement)

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
        order = f" ORDER BY {order_by}" if order_by else ""
        table = self._run(f"SELECT * FROM {self.dialect.quote(name)}{order}").toArrow()
        pq.write_table(table, path, compression="zstd")

    def close(self) -> None:
        pass  # the session belongs to whoever opened it
