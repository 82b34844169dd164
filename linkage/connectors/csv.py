"""CSV / TSV exports: encoding detection, delimiter sniffing, title lines, fast reads in DuckDB.

Departmental CSVs come in GBK, GB18030, UTF-8 with or without BOM.  The file is decoded in
streaming chunks (into a UTF-8 working copy when it is not UTF-8), the header line is found
among the first lines, and DuckDB parses the body with every column as VARCHAR.  `rows_in` is
the count of physical records taken from the bytes (`csv_scan`), not from the parser; when
DuckDB's rows and rejects do not match those records one to one (a quote never closed, mixed
line endings, a field over the size limit), each record is read on its own instead.  Rows with
the wrong number of fields, malformed quoting, an oversized field, undecodable bytes or a
repeated header line go to quarantine with their line.
`source_row` is the physical line minus the header's line, so `header_row + source_row` is the
line a clerk finds in the file.
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from linkage import quarantine as q
from linkage.connectors.base import (RawTable, SourceError, detect_header, empty_quarantine,
                                     split_repeated_header, unique_headers)
from linkage.connectors.csv_scan import Records, parse_records, scan_records

SAMPLE_BYTES = 1 << 20
CHUNK_BYTES = 16 << 20
DELIMITERS = (",", "\t", ";", "|")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_REPLACEMENT = "\ufffd"


def _decode_errors(sample: bytes, encoding: str) -> int:
    """How many lines of the sample hold bytes the encoding cannot decode."""
    text = sample.decode(encoding, errors="replace")
    return sum(1 for line in text.splitlines() if _REPLACEMENT in line)


def detect_encoding(path: Path) -> str:
    """utf-8-sig / utf-16 by BOM, else utf-8, gbk or gb18030 by which decodes the start cleanly."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    cut = sample.rfind(b"\n") + 1 if len(sample) == SAMPLE_BYTES else len(sample)
    sample = sample[:cut] or sample
    if b"\x00" in sample:
        raise SourceError(f"{path}: undecodable file: it holds NUL bytes (binary, not a text export)")
    lines = max(1, sample.count(b"\n"))
    errors = {enc: _decode_errors(sample, enc) for enc in ("utf-8", "gbk", "gb18030")}
    if errors["utf-8"] == 0:
        return "utf-8"
    for enc in ("gbk", "gb18030"):
        if errors[enc] == 0:
            return enc
    best = min(errors, key=errors.get)
    if errors[best] <= max(2, lines // 20):
        return best
    raise SourceError(
        f"{path}: undecodable file: not UTF-8, GBK or GB18030 "
        f"({errors[best]} of the first {lines} lines hold undecodable bytes); "
        "set `encoding` in the config if you know it")


def _transcode(path: Path, encoding: str, workdir: Path) -> Path:
    """A UTF-8 copy of a non-UTF-8 file, decoded in chunks; bad bytes become U+FFFD.

    GBK is decoded as GB18030, its superset (every byte pair GBK decodes, GB18030 decodes to
    the same character): a file whose first megabyte reads as GBK may still hold a rare name
    character written in GB18030's four-byte form further down."""
    target = Path(tempfile.mkstemp(suffix=".csv", dir=workdir)[1])
    codec = "gb18030" if codecs.lookup(encoding).name == "gbk" else encoding
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    with open(path, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK_BYTES):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return target


def _head_lines(path: Path, n: int = 60) -> list[str]:
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        text = fh.read(SAMPLE_BYTES)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.splitlines()[:n]


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most lines into the same number (> 0) of fields."""
    best, best_score = ",", (-1, 0)
    for delim in DELIMITERS:
        counts = [line.count(delim) for line in lines if line.strip()]
        counts = [c for c in counts if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_csv(path: Path, encoding: str = "auto", header_row: int | str = "auto",
             delimiter: str | None = None, workdir: Path | None = None,
             limits: dict | None = None) -> RawTable:
    """`limits`: DuckDB settings for the connection that parses the body (see read_path)."""
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (0 bytes)")
    enc = detect_encoding(path) if encoding == "auto" else encoding
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        utf8 = path if enc in ("utf-8", "utf-8-sig") else _transcode(path, enc, Path(tmp))
        head = _head_lines(utf8)
        if not any(line.strip() for line in head):
            raise SourceError(f"{path}: the file is empty (only blank lines)")
        delim = delimiter or sniff_delimiter(head)
        # each line on its own, so that index + 1 is the physical line even when a stray quote
        # sits in a title line
        parsed = [next(csv.reader([line], delimiter=delim), []) for line in head]
        if header_row == "auto":
            h = detect_header(parsed, path)
        else:
            h = int(header_row) - 1
            if h >= len(parsed):
                raise SourceError(f"{path}: header_row {header_row} is beyond the first lines read")
        headers = unique_headers(parsed[h])
        header_line = h + 1
        table = _read_body(utf8, headers, delim, header_line, Path(tmp), limits)
        table.data, repeated = split_repeated_header(table.data, headers, parsed[h], header_line)
        if repeated.height:
            table.quarantine = pl.concat([table.quarantine, repeated]).sort("source_row")
    table.encoding = enc
    table.header_row = header_line
    table.detail["delimiter"] = delim
    return table


def _read_body(utf8: Path, headers: list[str], delim: str, header_line: int,
               tmp: Path, limits: dict | None = None) -> RawTable:
    """The rows after the header. rows_in is the count of physical records taken from the
    bytes; records a fast parser cannot be trusted with (a quote never closed, an oversized
    field) are read one by one, the rest by DuckDB (from a copy without those records and with
    uniform line endings, when needed) as long as its rows and rejects match those records one
    to one; otherwise every record is read one by one."""
    records = scan_records(utf8, delim, header_line)
    odd = records.odd()
    source = (records.without(odd, tmp / "body.csv") if odd.any() or records.mixed_endings
              else utf8)
    fast = _parse_fast(source, headers, delim, header_line, records, ~odd, limits)
    if fast is None:
        data, quarantine = _parse_exact(records, headers, delim, header_line)
    else:
        exact = _parse_exact(records, headers, delim, header_line, np.flatnonzero(odd))
        data = pl.concat([fast[0], exact[0]]).sort("source_row")
        quarantine = pl.concat([fast[1], exact[1]]).sort("source_row")
    data, bad = _split_undecodable(data, headers, header_line)
    if bad.height:
        quarantine = pl.concat([quarantine, bad]).sort("source_row")
    return RawTable(data=data, headers=headers, rows_in=len(records), quarantine=quarantine)


def _parse_fast(utf8: Path, headers: list[str], delim: str, header_line: int,
                records: Records, keep: np.ndarray,
                limits: dict | None = None) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """DuckDB's parse of the `keep` records, or None when it fails or its rows and rejects do
    not match those records one to one."""
    con = duckdb.connect(config=limits or {})
    columns = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    source = str(utf8).replace("'", "''")
    try:
        rel = con.sql(
            f"SELECT * FROM read_csv('{source}', delim=?, quote='\"', escape='\"', header=false, "
            f"skip={header_line}, columns={columns!r}, auto_detect=false, store_rejects=true, "
            "strict_mode=true, null_padding=false, max_line_size=10000000)",
            params=[delim])
        data = pl.from_arrow(rel.to_arrow_table())
        rejects = pl.from_arrow(con.sql(
            "SELECT line, error_type::VARCHAR AS error_type, column_idx, csv_line, error_message "
            "FROM reject_errors ORDER BY line").to_arrow_table())
    except duckdb.Error:
        return None
    finally:
        con.close()
    rejects = rejects.unique(subset="line", keep="first", maintain_order=True)
    reject_lines = rejects["line"].cast(pl.Int64).to_numpy()
    parser_lines = records.parser_lines(keep)
    starts = records.starts[keep]
    rejected = np.isin(parser_lines, reject_lines)
    if data.height + len(reject_lines) != len(starts) or rejected.sum() != len(reject_lines):
        return None
    physical = dict(zip(parser_lines[rejected].tolist(), starts[rejected].tolist()))
    rejects = rejects.with_columns(pl.col("line").cast(pl.Int64).replace(physical))
    data = data.rename(dict(zip(data.columns, headers))).with_columns(
        pl.Series("source_row", starts[~rejected] - header_line, dtype=pl.Int64))
    quarantine = q.frame([_reject_entry(r, header_line, len(headers)) for r in rejects.to_dicts()])
    return data, quarantine


def _parse_exact(records: Records, headers: list[str], delim: str, header_line: int,
                 which: np.ndarray | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records read one by one by the csv module (see csv_scan.parse_records)."""
    rows, lines, entries = parse_records(records, delim, headers, which)
    columns = list(zip(*rows)) if rows else [()] * len(headers)
    data = pl.DataFrame([pl.Series(h, col, dtype=pl.Utf8) for h, col in zip(headers, columns)])
    data = data.with_columns(pl.when(pl.col(h) != "").then(pl.col(h)).alias(h) for h in headers)
    data = data.with_columns(
        pl.Series("source_row", np.asarray(lines, dtype=np.int64) - header_line, dtype=pl.Int64))
    for entry in entries:
        entry["source_row"] -= header_line
    return data, q.frame(entries)


_FOUND = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _reject_entry(reject: dict, header_line: int, width: int) -> dict:
    """A quarantine entry for a line DuckDB's CSV reader rejected."""
    line = int(reject["line"])
    kind = (reject["error_type"] or "").upper()
    counts = _FOUND.search(reject["error_message"] or "")
    found = int(counts.group(2)) if counts else None
    common = {"source_row": line - header_line, "raw": reject["csv_line"], "line": line}
    if kind == "TOO MANY COLUMNS":
        return q.entry(**common, code="too_many_fields", found=found or width + 1, expected=width)
    if kind == "MISSING COLUMNS":
        return q.entry(**common, code="too_few_fields", found=found or width - 1, expected=width)
    if kind == "INVALID ENCODING":
        return q.entry(**common, code="undecodable_bytes", column="?")
    if kind == "UNQUOTED VALUE":
        return q.entry(**common, code="bad_quoting", message="text after a closing quote")
    message = (reject["error_message"] or kind).splitlines()[0]
    return q.entry(**common, code="unreadable_row", message=message)


def _split_undecodable(data: pl.DataFrame, headers: list[str],
                       header_line: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows with U+FFFD (bytes the encoding could not decode) leave for quarantine."""
    if not headers:
        return data, empty_quarantine()
    flags = [pl.col(h).str.contains(_REPLACEMENT, literal=True).fill_null(False) for h in headers]
    bad_mask = pl.any_horizontal(flags)
    bad = data.filter(bad_mask)
    if bad.height == 0:
        return data, empty_quarantine()
    first_bad = pl.coalesce([pl.when(f).then(pl.lit(h)) for f, h in zip(flags, headers)])
    rows = bad.select(
        pl.col("source_row"), first_bad.alias("column"),
        pl.concat_str([pl.col(h).fill_null("") for h in headers], separator=",").alias("raw"))
    entries = [q.entry(r["source_row"], "undecodable_bytes", r["raw"],
                       line=r["source_row"] + header_line, column=r["column"])
               for r in rows.to_dicts()]
    return data.filter(~bad_mask), q.frame(entries)
