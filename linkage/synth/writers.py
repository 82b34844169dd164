"""Streaming exports: how a source file is encoded, and sinks that append encoded chunks to it.

`ExportFormat.encode(frame, first_row)` turns one chunk of rows into what the file holds (bytes
of CSV / TSV in the system's encoding, JSON Lines or sheet XML; row tuples for SQLite) and
`ExportFormat.open(path)` gives the file's sink, which appends encoded chunks in order.  Blank
values are written as the system writes them (empty, 无, /); a CSV may carry a title line above its
header, an Excel sheet a merged title row.  `Background` runs the encoding and writing on one
thread while the next chunk is made (polars, zlib, SQLite and Parquet release the GIL).
"""

from __future__ import annotations

import io
import sqlite3
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import polars as pl

from linkage.synth.xlsx import XlsxWriter, rows_xml, utf8_bytes

Payload = bytes | list[tuple]


class Sink(Protocol):
    def write(self, payload: Payload) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ExportFormat:
    format: str                  # csv | tsv | jsonl | sqlite | xlsx
    headers: tuple[str, ...]
    encoding: str = "utf-8"      # csv / tsv: utf-8, utf-8-sig (BOM), gbk, gb18030
    title: str | None = None     # csv / xlsx: a title line above the header
    blank: str | None = None     # what the system writes for an empty value
    table: str | None = None     # sqlite table

    @property
    def text_encoding(self) -> str:
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding

    def _text(self, frame: pl.DataFrame) -> pl.DataFrame:
        text = frame.with_columns(pl.all().cast(pl.Utf8))
        return text.fill_null(self.blank) if self.blank is not None else text

    def encode(self, frame: pl.DataFrame, first_row: int) -> Payload:
        """One chunk of rows as the file holds it; `first_row` is the chunk's 1-based data row."""
        if self.format in ("csv", "tsv"):
            text, separator = self._text(frame), "\t" if self.format == "tsv" else ","
            if self.text_encoding == "utf-8":  # polars writes UTF-8 bytes: no text round trip
                buffer = io.BytesIO()
                text.write_csv(buffer, include_header=False, separator=separator)
                return buffer.getvalue()
            return text.write_csv(include_header=False, separator=separator).encode(self.text_encoding)
        if self.format == "jsonl":
            lines = self._text(frame).select(pl.struct(pl.all()).struct.json_encode() + "\n").to_series()
            return bytes(utf8_bytes(lines))
        if self.format == "sqlite":
            return list(self._text(frame).iter_rows())
        if self.format == "xlsx":
            return rows_xml(frame, first_row + (2 if self.title else 1))
        raise ValueError(f"unknown export format {self.format!r}")

    def open(self, path: Path) -> Sink:
        if self.format in ("csv", "tsv", "jsonl"):
            return FileSink(path, self)
        if self.format == "sqlite":
            return SqliteSink(path, self)
        if self.format == "xlsx":
            return XlsxWriter(path, list(self.headers), self.title)
        raise ValueError(f"unknown export format {self.format!r}")


class FileSink:
    """A text file: BOM, title line and header (not for JSON Lines) first, then encoded chunks."""

    def __init__(self, path: Path, fmt: ExportFormat):
        self.file = open(path, "wb")
        if fmt.format == "jsonl":
            return
        if fmt.encoding == "utf-8-sig":
            self.file.write("\ufeff".encode("utf-8"))
        separator = "\t" if fmt.format == "tsv" else ","
        head = pl.DataFrame(schema={h: pl.Utf8 for h in fmt.headers}).write_csv(separator=separator)
        self.file.write(((fmt.title + "\n") if fmt.title else "").encode(fmt.text_encoding)
                        + head.encode(fmt.text_encoding))

    def write(self, payload: bytes) -> None:
        self.file.write(payload)

    def close(self) -> None:
        self.file.close()


class SqliteSink:
    """One table of TEXT columns; rows keep insertion order (rowid), which is their source_row."""

    def __init__(self, path: Path, fmt: ExportFormat):
        path.unlink(missing_ok=True)
        self.con = sqlite3.connect(path, check_same_thread=False)  # written by the Background thread
        self.con.execute("PRAGMA journal_mode = OFF")
        self.con.execute("PRAGMA synchronous = OFF")
        table = fmt.table or path.stem
        cols = ", ".join(f'"{h}" TEXT' for h in fmt.headers)
        self.con.execute(f'CREATE TABLE "{table}" ({cols})')
        self.insert = f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(fmt.headers))})'

    def write(self, payload: list[tuple]) -> None:
        self.con.executemany(self.insert, payload)

    def close(self) -> None:
        self.con.commit()
        self.con.close()


class Background:
    """Jobs run one at a time on one thread, in the order submitted; at most `depth` wait, so the
    frames queued for writing stay bounded.  `finish` waits for all and raises the first error."""

    def __init__(self, depth: int = 12):
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-writer")
        self.pending: deque[Future] = deque()
        self.depth = depth

    def submit(self, job: Callable[..., None], *args) -> None:
        self.pending.append(self.pool.submit(job, *args))
        while len(self.pending) > self.depth:
            self.pending.popleft().result()

    def finish(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def close(self) -> None:
        """Stop: queued jobs not yet started are dropped (after an error), the running one ends."""
        self.pool.shutdown(wait=True, cancel_futures=True)
