"""Parquet files: every column cast to text (integers keep every digit)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from linkage.connectors.base import RawTable, SourceError


def read_parquet(path: Path) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise SourceError(f"{path}: not a readable Parquet file: {str(exc).splitlines()[0]}") from None
    if frame.height == 0:
        raise SourceError(f"{path}: the file holds no rows")
    headers = [str(c) for c in frame.columns]
    as_text = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype.is_float():
            col = pl.when(col == col.round(0)).then(col.cast(pl.Int64, strict=False).cast(pl.Utf8)) \
                .otherwise(col.cast(pl.Utf8))
        elif dtype == pl.Datetime:
            col = col.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(r" 00:00:00$", "")
        elif dtype.is_nested():
            col = col.cast(pl.Utf8, strict=False)
        as_text.append(col.cast(pl.Utf8).alias(str(name)))
    data = frame.select(as_text).with_row_index("source_row", offset=1) \
        .with_columns(pl.col("source_row").cast(pl.Int64))
    data = data.select([*headers, "source_row"])
    return RawTable(data=data, headers=headers, rows_in=data.height)
