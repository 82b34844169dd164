"""A minimal streaming .xlsx writer: one sheet, a merged title row, text / number / date cells.

General-purpose writers build every cell as a Python object (xlsxwriter: ~70k cells/s); here
each chunk's rows become sheet XML with polars string expressions, deflated apart (in the
worker process that made the chunk) and joined in the zip, so large exports stay fast and memory
stays flat.  Strings are inline (no shared-string table); zip entries carry a fixed timestamp so
the same data gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
from isal import isal_zlib

MAX_ROWS = 1_048_576
_TIME = (1980, 1, 1, 0, 0, 0)
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {_NS}>'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="宋体"/></font>'
        '<font><b/><sz val="14"/><name val="宋体"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
        '<alignment horizontal="center"/></xf></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}
DATE_STYLE, TITLE_STYLE = 1, 2


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _escape(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all("&", "&amp;", literal=True).str.replace_all(
        "<", "&lt;", literal=True).str.replace_all(">", "&gt;", literal=True)


def _text_cells(values: list[str], row: int) -> str:
    cells = "".join(f'<c r="{column_letter(i)}{row}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{row}">{cells}</row>'


def rows_xml(frame: pl.DataFrame, first_row: int) -> bytes:
    """Sheet XML of the frame's rows, numbered from sheet row `first_row` (text, numbers, dates)."""
    if frame.height == 0:
        return b""
    if first_row + frame.height - 1 > MAX_ROWS:
        raise ValueError(f"more than {MAX_ROWS:,} rows do not fit in one Excel sheet")
    rows = pl.Series(range(first_row, first_row + frame.height), dtype=pl.Int64).cast(pl.Utf8)
    cells = []
    for i, name in enumerate(frame.columns):
        col, dtype = pl.col(name), frame.schema[name]
        ref = pl.concat_str(pl.lit(f'<c r="{column_letter(i)}'), pl.col("__row"))
        if dtype == pl.Date:
            serial = (col - pl.lit(_EXCEL_EPOCH)).dt.total_days().cast(pl.Utf8)
            cell = pl.concat_str(ref, pl.lit(f'" s="{DATE_STYLE}"><v>'), serial, pl.lit("</v></c>"))
        elif dtype.is_numeric():
            cell = pl.concat_str(ref, pl.lit('"><v>'), col.cast(pl.Utf8), pl.lit("</v></c>"))
        else:
            text = frame[name].cast(pl.Utf8)
            # escaping is three passes over the column: only for columns that need it
            value = _escape(col.cast(pl.Utf8)) if text.str.contains("[&<>]").any() else col.cast(pl.Utf8)
            cell = pl.concat_str(ref, pl.lit('" t="inlineStr"><is><t>'), value, pl.lit("</t></is></c>"))
        cells.append(cell.fill_null(""))
    xml = frame.with_columns(rows.alias("__row")).select(
        pl.concat_str([pl.lit('<row r="'), pl.col("__row"), pl.lit('">'), *cells, pl.lit("</row>")])
    ).to_series()
    return bytes(utf8_bytes(xml))


@dataclass(frozen=True)
class Deflated:
    """A piece of raw deflate stream ending on a byte boundary (a sync flush), so pieces deflated
    apart (in worker processes) join into one stream; with the CRC-32 and size of its input."""

    data: bytes
    crc: int
    size: int


def deflate(data: bytes) -> Deflated:
    """`data` deflated on its own (ISA-L level 1: several times faster than zlib's fastest level)."""
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    return Deflated(compressor.compress(data) + compressor.flush(isal_zlib.Z_SYNC_FLUSH),
                    isal_zlib.crc32(data), len(data))


_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_DOS_DATE = ((_TIME[0] - 1980) << 9) | (_TIME[1] << 5) | _TIME[2]   # 1980-01-01, time 00:00:00
_FINAL_BLOCK = b"\x03\x00"  # an empty last block closes the joined stream


class _Zip:
    """A zip archive of deflated entries written one after another, each from joined pieces
    (no zip64: every entry stays under 4 GiB, as Excel exports are capped well below that)."""

    def __init__(self, path: Path):
        self.file = open(path, "wb")
        self.entries: list[tuple[bytes, int, int, int, int]] = []  # name, crc, csize, size, offset

    def begin(self, name: str) -> None:
        self.name, self.offset = name.encode("ascii"), self.file.tell()
        self.crc = self.csize = self.size = 0
        self.file.write(_LOCAL.pack(0x04034B50, 20, 0, 8, 0, _DOS_DATE, 0, 0, 0, len(self.name), 0) + self.name)

    def write(self, piece: Deflated) -> None:
        self.file.write(piece.data)
        self.crc = isal_zlib.crc32_combine(self.crc, piece.crc, piece.size)
        self.csize += len(piece.data)
        self.size += piece.size

    def end(self) -> None:
        self.file.write(_FINAL_BLOCK)
        self.csize += len(_FINAL_BLOCK)
        if max(self.csize, self.size) >= 2**32:
            raise ValueError(f"{self.name.decode()} exceeds 4 GiB")
        after = self.file.tell()
        self.file.seek(self.offset + 14)
        self.file.write(struct.pack("<III", self.crc, self.csize, self.size))
        self.file.seek(after)
        self.entries.append((self.name, self.crc, self.csize, self.size, self.offset))

    def add(self, name: str, text: str) -> None:
        self.begin(name)
        self.write(deflate(text.encode("utf-8")))
        self.end()

    def close(self) -> None:
        start = self.file.tell()
        for name, crc, csize, size, offset in self.entries:
            self.file.write(_CENTRAL.pack(0x02014B50, 20, 20, 0, 8, 0, _DOS_DATE, crc, csize, size,
                                          len(name), 0, 0, 0, 0, 0, offset) + name)
        directory = self.file.tell() - start
        self.file.write(_END.pack(0x06054B50, 0, 0, len(self.entries), len(self.entries), directory, start, 0))
        self.file.close()


class XlsxWriter:
    """One sheet streamed into a zip: `title` becomes a bold row merged across all columns, then
    the header; `write` appends a deflated piece of `rows_xml` (its rows numbered after the header)."""

    def __init__(self, path: Path, headers: list[str], title: str | None = None, sheet: str = "Sheet1"):
        self.headers = headers
        self.title = title
        self.sheet = sheet
        self.zip = _Zip(Path(path))
        self.zip.begin("xl/worksheets/sheet1.xml")
        head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}><sheetData>'
        if title:
            head += (f'<row r="1"><c r="A1" s="{TITLE_STYLE}" t="inlineStr"><is><t>{_xml(title)}</t></is></c></row>')
        head += _text_cells([_xml(h) for h in headers], 2 if title else 1)
        self.zip.write(deflate(head.encode("utf-8")))

    def write(self, piece: Deflated) -> None:
        self.zip.write(piece)

    def close(self) -> None:
        tail = "</sheetData>"
        if self.title:
            tail += f'<mergeCells count="1"><mergeCell ref="A1:{column_letter(len(self.headers) - 1)}1"/></mergeCells>'
        self.zip.write(deflate((tail + "</worksheet>").encode("utf-8")))
        self.zip.end()
        parts = dict(_PARTS)
        parts["xl/workbook.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} xmlns:r="{_REL}">'
            f'<sheets><sheet name="{_xml(self.sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        for name, text in parts.items():
            self.zip.add(name, text)
        self.zip.close()


def utf8_bytes(texts: pl.Series) -> memoryview:
    """The concatenated UTF-8 bytes of a text column without nulls, straight from its Arrow buffer."""
    array = texts.to_arrow().cast(pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    return memoryview(array.buffers()[2])[int(offsets[0]):int(offsets[-1])]


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
