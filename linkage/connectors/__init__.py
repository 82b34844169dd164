"""Read one configured source into a RawTable, dispatching on its format."""

from __future__ import annotations

from pathlib import Path

from linkage.config import Config, Source
from linkage.connectors.base import RawTable, SourceError
from linkage.connectors.csv import read_csv
from linkage.connectors.excel import read_excel
from linkage.connectors.json import read_json, read_jsonl
from linkage.connectors.parquet import read_parquet
from linkage.connectors.server import read_server, server_kind
from linkage.connectors.sql import read_database, read_sqlite

__all__ = ["RawTable", "SourceError", "read_source", "read_path"]


def read_path(path: Path, fmt: str, *, encoding: str = "auto", sheet: str | int = 0,
              table: str | None = None, header_row: int | str = "auto",
              workdir: Path | None = None, query: str | None = None,
              key: list[str] | None = None, limits: dict | None = None) -> RawTable:
    """The raw table of one export.  `limits`: DuckDB settings (memory_limit, threads) the
    connections a reader opens take, so a run's readers stay within its `engine:` settings."""
    if fmt == "database" and server_kind(str(path)):
        return read_server(str(path), table, query, key)
    if fmt == "database":
        return read_database(str(path), table or "")
    if not path.exists():
        raise SourceError(f"{path}: file not found")
    if path.is_dir():
        raise SourceError(f"{path}: is a folder, not a file")
    if fmt in ("csv", "tsv"):
        return read_csv(path, encoding, header_row, "\t" if fmt == "tsv" else None, workdir,
                        limits)
    if fmt in ("xlsx", "xls"):
        return read_excel(path, sheet, header_row)
    if fmt == "jsonl":
        return read_jsonl(path, encoding)
    if fmt == "json":
        return read_json(path, encoding)
    if fmt == "parquet":
        return read_parquet(path)
    if fmt == "sqlite":
        return read_sqlite(path, table or "")
    raise SourceError(f"{path}: unknown format {fmt!r}")


def read_source(config: Config, key: str, workdir: Path | None = None) -> RawTable:
    source: Source = config.sources[key]
    location = Path(source.url) if source.url else config.source_path(source)
    target = source.url if source.url else location
    return read_path(target, source.format, encoding=source.encoding, sheet=source.sheet,
                     table=source.table, header_row=source.header_row, workdir=workdir,
                     query=source.query, key=source.key_columns(),
                     limits=config.engine.duckdb_limits())
