"""The relational backend the stages talk to: load tables, run SQL, stream batches, export.

Stages never import duckdb directly; they take an `Engine`, so the same plan can later run
on another backend (Spark) that implements this interface.
"""

from __future__ import annotations

from linkage.engine.base import Engine
from linkage.engine.duckdb_engine import DuckDBEngine

__all__ = ["Engine", "DuckDBEngine", "open_engine"]


def open_engine(path: str | None = None, threads: int | None = None,
                memory_limit: str | None = None) -> Engine:
    """Open the default engine (DuckDB) on a database file, or in memory when path is None."""
    return DuckDBEngine(path, threads=threads, memory_limit=memory_limit)
