"""A minimal streaming .xlsx writer: one sheet, a merged title row, text / number / date cells.

General-purpose writers build every cell as a Python object (xlsxwriter: ~70k cells/s); here
each chunk's rows become sheet XML with polars string expressions and stream into the zip, so
large exports stay fast and memory stays flat.  Strings are inline (no shared-string table);
zip entries carry a fixed timestamp so the same data gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

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
            cell = pl.concat_str(ref, pl.lit('" t="inlineStr"><is><t>'), _escape(col.cast(pl.Utf8)),
                                 pl.lit("</t></is></c>"))
        cells.append(cell.fill_null(""))
    xml = frame.with_columns(rows.alias("__row")).select(
        pl.concat_str([pl.lit('<row r="'), pl.col("__row"), pl.lit('">'), *cells, pl.lit("</row>")])
    ).to_series()
    return bytes(utf8_bytes(xml))


class XlsxWriter:
    """One sheet streamed into a zip: `title` becomes a bold row merged across all columns, then
    the header; `write` appends the XML of `rows_xml` (its rows numbered after the header)."""

    def __init__(self, path: Path, headers: list[str], title: str | None = None, sheet: str = "Sheet1"):
        self.path = Path(path)
        self.headers = headers
        self.title = title
        self.sheet = sheet
        self.zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.stream = self.zip.open(info, "w", force_zip64=True)
        head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}><sheetData>'
        if title:
            head += (f'<row r="1"><c r="A1" s="{TITLE_STYLE}" t="inlineStr"><is><t>{_xml(title)}</t></is></c></row>')
        head += _text_cells([_xml(h) for h in headers], 2 if title else 1)
        self.stream.write(head.encode("utf-8"))

    def write(self, xml: bytes) -> None:
        self.stream.write(xml)

    def close(self) -> None:
        tail = "</sheetData>"
        if self.title:
            tail += f'<mergeCells count="1"><mergeCell ref="A1:{column_letter(len(self.headers) - 1)}1"/></mergeCells>'
        self.stream.write((tail + "</worksheet>").encode("utf-8"))
        self.stream.close()
        parts = dict(_PARTS)
        parts["xl/workbook.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} xmlns:r="{_REL}">'
            f'<sheets><sheet name="{_xml(self.sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            self.zip.writestr(info, text)
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
