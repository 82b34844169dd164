"""The sources' mapped rows between reading and normalizing, kept on disk, not in Python.

A run reads its sources two at a time; each source's mapped and numbered rows are written to
an Arrow IPC file in the run's working folder as soon as they are made and freed, so that
Python never holds more than the sources being read.  `SpilledRecords` then gives them back:
one entity type's records as chunks of at most `chunk_rows` rows in record_id order, each with
every column any of the entity type's sources has (null where a source lacks it), the distinct
values of a column (for `linkage.normalize.Memo`), and every source's rows as one Arrow dataset,
for table raw_records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds


@dataclass
class _Spill:
    path: Path
    rows: int
    schema: dict[str, pl.DataType]


@dataclass
class SpilledRecords:
    """The spilled rows of every source, by entity type, in the order they were added."""

    folder: Path
    chunk_rows: int = 200_000
    spills: dict[str, list[_Spill]] = field(default_factory=dict)

    def add(self, entity: str, frame: pl.DataFrame) -> None:
        """Write one source's rows (in record_id order, after those added before)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"raw-{sum(len(s) for s in self.spills.values())}.arrow"
        table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
        # LZ4: a fifth of the bytes of plain IPC, and quicker to read back
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        with (pa.OSFile(str(path), "wb") as sink,
              pa.ipc.new_file(sink, table.schema, options=options) as writer):
            writer.write_table(table, max_chunksize=self.chunk_rows)
        self.spills.setdefault(entity, []).append(_Spill(path, frame.height, dict(frame.schema)))

    def rows(self, entity: str) -> int:
        return sum(s.rows for s in self.spills.get(entity, []))

    def schema(self, entity: str) -> dict[str, pl.DataType]:
        """Every column of the entity type's sources, in order of first appearance, with the
        first type other than Null any source gives it."""
        schema: dict[str, pl.DataType] = {}
        for spill in self.spills.get(entity, []):
            for name, dtype in spill.schema.items():
                if schema.get(name, pl.Null) == pl.Null:
                    schema[name] = dtype
        return schema

    def chunks(self, entity: str, columns: list[str] | None = None) -> Iterator[pl.DataFrame]:
        """The entity type's records, `chunk_rows` at a time, with the columns `columns` (all
        of `schema` when None) in that order."""
        schema = self.schema(entity)
        wanted = {c: schema[c] for c in (columns if columns is not None else schema)}
        pieces, size = [], 0
        for spill in self.spills.get(entity, []):
            start = 0
            while start < spill.rows:
                take = min(spill.rows - start, self.chunk_rows - size)
                pieces.append(self._read(spill, wanted, start, take))
                size, start = size + take, start + take
                if size == self.chunk_rows:
                    yield pl.concat(pieces, rechunk=True)
                    pieces, size = [], 0
        if pieces:
            yield pl.concat(pieces, rechunk=True)

    @staticmethod
    def _read(spill: _Spill, wanted: dict[str, pl.DataType], start: int,
              take: int) -> pl.DataFrame:
        have = [c for c in wanted if c in spill.schema]
        frame = pl.scan_ipc(spill.path).select(have).slice(start, take).collect()
        return frame.select(pl.col(c).cast(t) if c in spill.schema else pl.lit(None, t).alias(c)
                            for c, t in wanted.items())

    def distinct(self, entity: str, column: str, among: pl.Series | None = None) -> pl.Series:
        """The distinct values of `column` over the entity type's records (those whose
        record_id is in `among`, when given), file by file: one query over every file held
        all the column's values and their hash table at once (10M records: 4.9 GB for the
        addresses, against 2.3 GB)."""
        dtype = self.schema(entity)[column]
        parts = []
        for spill in self.spills.get(entity, []):
            if column not in spill.schema:
                parts.append(pl.DataFrame({column: [None]}, schema={column: dtype}))
                continue
            scan = pl.scan_ipc(spill.path)
            if among is not None:
                scan = scan.filter(pl.col("record_id").is_in(among.implode()))
            parts.append(scan.select(pl.col(column).cast(dtype)).unique().collect())
        return pl.concat(parts).unique()[column]

    def dataset(self, entities: list[str]) -> ds.Dataset:
        """Every source's rows as one Arrow dataset over the files (entity types in the order
        of `entities`, then record_id; every column of any source, null where a source has
        none), which an engine scans without the rows passing through Python."""
        paths = [str(s.path) for entity in entities for s in self.spills.get(entity, [])]
        schema = pa.unify_schemas([pa.ipc.open_file(p).schema for p in paths],
                                  promote_options="permissive")
        return ds.dataset(paths, format="ipc", schema=schema)
