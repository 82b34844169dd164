"""The relational backend the stages talk to: load tables, run SQL, stream batches, export.

Stages never import duckdb (tests/engine/test_no_duckdb_in_stages.py holds them to it); they
take an `Engine` and write the SQL its `engine.dialect` renders for whatever the backends spell
differently (linkage.engine.dialect: DuckDB and Spark SQL), and make their working tables
through a `Scratch` registry that drops them when the stage ends (linkage.engine.scratch).
"""

from __future__ import annotations

from pathlib import Path

from linkage.engine.base import Engine
from linkage.engine.dialect import Dialect
from linkage.engine.duckdb_engine import DuckDBEngine
from linkage.engine.scratch import Scratch

__all__ = ["Engine", "Dialect", "DuckDBEngine", "Scratch", "open_engine", "open_run_engine",
           "run_limits"]


def open_engine(path: str | None = None, threads: int | None = None,
                memory_limit: str | None = None, read_only: bool = False) -> Engine:
    """Open the default engine (DuckDB) on a database file, or in memory when path is None
    (`read_only`: the file is only read, and may be open in other processes too)."""
    return DuckDBEngine(path, threads=threads, memory_limit=memory_limit, read_only=read_only)


def run_limits(metrics: dict) -> dict:
    """The DuckDB limits (threads, memory_limit) a run was configured with, from its
    metrics.json (`run.engine`, as `EngineSettings.described` wrote it), for the commands that
    open its output again (report, explain, publish, review); {} when it records none, ran on
    another engine or records something that is not a setting (a hand-edited file)."""
    from pydantic import ValidationError

    from linkage.config import EngineSettings  # here: linkage.config imports the link stage

    run = metrics.get("run") if isinstance(metrics, dict) else None
    recorded = run.get("engine") if isinstance(run, dict) else None
    try:
        settings = EngineSettings.model_validate(recorded)
    except ValidationError:
        return {}
    return settings.duckdb_limits() if settings.kind == "duckdb" else {}


def open_run_engine(settings, folder: Path) -> Engine:
    """The engine a run builds its tables in, as the config's `engine:` (linkage.config
    EngineSettings) says: DuckDB on `folder/linkage.duckdb`, or Spark with every table a Parquet
    directory under `folder/tables/` (linkage.engine.spark_engine)."""
    if settings.kind == "spark":
        from linkage.engine.spark_engine import open_spark_run
        return open_spark_run(settings.master, settings.spark_conf(), folder)
    return DuckDBEngine(folder / "linkage.duckdb", **settings.duckdb_limits())
