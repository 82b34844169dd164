"""Streaming exports: how a source file is encoded, and sinks that append encoded chunks to it.

`ExportFormat.encode(frame, first_row, scratch, damaged)` turns one chunk of rows into what the
file holds (CSV / TSV lines that `damage` chose broken, as damaged exports are):
a file under `scratch` of CSV / TSV in the system's encoding or of JSON Lines, or of SQLite (a
small database of the chunk's rows), or a deflated piece of sheet XML.  It runs in the worker
process that made the chunk (files, not pickled bytes, carry the bulk to the main process);
`ExportFormat.open(path)` gives the file's sink, which appends the encoded chunks in order in the
main process (text: a kernel-side copy; SQLite: INSERT … SELECT from the chunk's database, in C)
and removes the chunk files.  Blank values are written as the system writes them (empty, 无, /); a CSV may carry a
title line above its header, an Excel sheet a merged title row.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import polars as pl
from adbc_driver_sqlite import dbapi as adbc_sqlite

from linkage.synth.xlsx import Deflated, XlsxWriter, deflate, rows_xml, utf8_bytes

Payload = Deflated | Path
# lines a text export breaks (linkage.synth.writers.damage): code 1 carries an unquoted extra
# field (a separator typed into a value), code 2 bytes that are not text in the file's encoding
DAMAGE_ERRORS = {1: "row_extra_field", 2: "row_bad_bytes"}


def damage(fmt: "ExportFormat", n: int, rate: float, rng: np.random.Generator) -> np.ndarray | None:
    """Per row of a chunk, the damage its line gets in a CSV / TSV export (0 = none, see
    DAMAGE_ERRORS); None for other formats."""
    if fmt.format not in ("csv", "tsv") or rate <= 0:
        return None
    hit = rng.random(n) < rate
    return np.where(hit, rng.integers(1, 3, n), 0).astype(np.int8)


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
    table: str | None = None     # sqlite table (required for sqlite)
    name: str = "export"         # names the chunk files under `scratch`

    @property
    def text_encoding(self) -> str:
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding

    def _text(self, frame: pl.DataFrame) -> pl.DataFrame:
        text = frame.with_columns(pl.all().cast(pl.Utf8))
        return text.fill_null(self.blank) if self.blank is not None else text

    def encode(self, frame: pl.DataFrame, first_row: int, scratch: Path,
               damaged: np.ndarray | None = None) -> Payload:
        """One chunk of rows as the file holds it; `first_row` is the chunk's 1-based data row;
        `damaged` (CSV / TSV, from `damage`) breaks the lines of some rows."""
        part = scratch / f"{self.name}-{first_row}.{self.format}"
        if self.format in ("csv", "tsv"):
            text, separator = self._text(frame), "\t" if self.format == "tsv" else ","
            if damaged is None or not damaged.any():
                self._csv(text, separator, part)
                return part
            buffer = io.BytesIO()
            self._csv(text, separator, buffer)
            part.write_bytes(self._break_lines(buffer.getvalue(), damaged, separator))
            return part
        if self.format == "jsonl":
            lines = self._text(frame).select(pl.struct(pl.all()).struct.json_encode() + "\n").to_series()
            part.write_bytes(utf8_bytes(lines))
            return part
        if self.format == "sqlite":
            _sqlite_chunk(part, self, self._text(frame))
            return part
        if self.format == "xlsx":
            return deflate(rows_xml(frame, first_row + (2 if self.title else 1)))
        raise ValueError(f"unknown export format {self.format!r}")

    def _csv(self, text: pl.DataFrame, separator: str, target) -> None:
        if self.text_encoding == "utf-8":  # polars writes UTF-8 bytes: no text round trip
            text.write_csv(target, include_header=False, separator=separator)
            return
        data = text.write_csv(include_header=False, separator=separator).encode(self.text_encoding)
        if isinstance(target, Path):
            target.write_bytes(data)
        else:
            target.write(data)

    def _break_lines(self, data: bytes, damaged: np.ndarray, separator: str) -> bytes:
        """The encoded rows with the lines of damaged rows broken (see DAMAGE_ERRORS)."""
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        if len(ends) != len(damaged):
            raise ValueError("a synthetic value holds a line break: cannot find the rows' lines")
        starts = np.concatenate(([0], ends[:-1] + 1))
        extra = (separator + "见备注").encode(self.text_encoding)
        pieces, pos = [], 0
        for i in np.flatnonzero(damaged):
            pieces.append(data[pos:starts[i]])
            line = data[starts[i]:ends[i]]
            pieces.append(line + extra + b"\n" if damaged[i] == 1 else b"\xff\xfe" + line + b"\n")
            pos = ends[i] + 1
        pieces.append(data[pos:])
        return b"".join(pieces)

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

    def write(self, payload: Path) -> None:
        self.file.flush()
        with open(payload, "rb") as part:
            try:  # copied by the kernel, not through this process
                while os.copy_file_range(part.fileno(), self.file.fileno(), 1 << 30):
                    pass
            except OSError:  # a file system without it
                shutil.copyfileobj(part, self.file)
        payload.unlink()

    def close(self) -> None:
        self.file.close()


def _create_table(path: Path, fmt: ExportFormat) -> sqlite3.Connection:
    """A new database file with the export's table of TEXT columns (rows keep insertion order:
    rowid), written without journal or syncs."""
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    columns = ", ".join(f'"{h}" TEXT' for h in fmt.headers)
    con.execute(f'CREATE TABLE "{fmt.table}" ({columns})')
    con.commit()
    return con


def _sqlite_chunk(path: Path, fmt: ExportFormat, text: pl.DataFrame) -> None:
    """A chunk's rows in a database file of their own: the Arrow columns bound by the ADBC SQLite
    driver in C (a quarter of the CPU of sqlite3's executemany over Python tuples)."""
    _create_table(path, fmt).close()
    with adbc_sqlite.connect(str(path)) as con, con.cursor() as cursor:
        cursor.adbc_ingest(fmt.table, text.to_arrow(), mode="append")
        con.commit()


class SqliteSink:
    """The export's table; each chunk's rows are copied in from the chunk's file, which is removed."""

    def __init__(self, path: Path, fmt: ExportFormat):
        self.con, self.table = _create_table(path, fmt), fmt.table

    def write(self, payload: Path) -> None:
        self.con.execute("ATTACH DATABASE ? AS chunk", (str(payload),))
        self.con.execute(f'INSERT INTO main."{self.table}" SELECT * FROM chunk."{self.table}" ORDER BY rowid')
        self.con.commit()
        self.con.execute("DETACH DATABASE chunk")
        payload.unlink()

    def close(self) -> None:
        self.con.commit()
        self.con.close()
