"""Parquet files: every column cast to text (integers keep every digit; floats too long to be
exact are written in scientific notation, as `cell_text` does; lists and structs as JSON)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from linkage.connectors.base import (
    EXACT_FLOAT_DIGITS,
    RawTable,
    SourceError,
    cell_text,
    unique_headers,
)
from linkage.errors import first_line


def read_parquet(path: Path) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise SourceError(f"{path}: not a readable Parquet file: {first_line(exc)}") from None
    if frame.height == 0:
        raise SourceError(f"{path}: the file holds no rows")
    headers = unique_headers(frame.columns)
    frame = frame.rename(dict(zip(frame.columns, headers)))
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    frame = frame.with_columns(pl.Series(name, [cell_text(v) for v in frame[name].to_list()],
                                         dtype=pl.Utf8) for name in nested)
    as_text = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype.is_float():
            col = pl.lit(_float_text(frame[name]))
        elif dtype == pl.Datetime:
            col = col.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(r" 00:00:00$", "")
        as_text.append(col.cast(pl.Utf8).alias(name))
    data = frame.select(as_text).with_row_index("source_row", offset=1) \
        .with_columns(pl.col("source_row").cast(pl.Int64))
    data = data.select([*headers, "source_row"])
    return RawTable(data=data, headers=headers, rows_in=data.height)


def _float_text(values: pl.Series) -> pl.Series:
    """Floats as text: integral ones without .0, those too long to be exact as `cell_text`
    writes them (4.40306195608317E+17, flagged precision_lost downstream)."""
    whole = values == values.round(0)
    text = pl.select(pl.when(whole).then(values.cast(pl.Int64, strict=False).cast(pl.Utf8))
                     .otherwise(values.cast(pl.Utf8))).to_series()
    inexact = (whole & (values.abs() >= 10 ** EXACT_FLOAT_DIGITS)).fill_null(False).arg_true()
    if len(inexact):
        text = text.scatter(inexact, [cell_text(v) for v in values.gather(inexact).to_list()])
    return text.alias(values.name)
