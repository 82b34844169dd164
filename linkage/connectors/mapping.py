"""Map a source's headers onto canonical attributes: config overrides, synonyms, value sniffing.

Order of precedence: the config's `columns:` mapping, then header synonyms, then sniffing the
values of still-unmapped columns (a column whose values pass the ID check digit is an
id_number).  Each attribute is taken once; a second column naming it stays an extra.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import polars as pl
from stdnum.iso7064 import mod_11_2
from stdnum.cn import uscc as stdnum_uscc

from linkage.attributes import EntityType, attribute_for_header
from linkage.connectors.base import RawTable, SourceError
from linkage.connectors.excel import sheet_hint

SNIFF_SAMPLE = 500
SNIFF_MIN_RATE = 0.8


@dataclass(frozen=True)
class ColumnMapping:
    column_index: int
    header: str
    attribute: str | None
    method: str  # config / synonym / sniffed / unmapped
    confidence: float
    fill_rate: float


def _id_ok(value: str) -> bool:
    v = value.strip().upper()
    return len(v) == 18 and v[:17].isdigit() and mod_11_2.is_valid(v)


def _uscc_ok(value: str) -> bool:
    return stdnum_uscc.is_valid(value.strip().upper())


_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")


def _mobile_ok(value: str) -> bool:
    return bool(_MOBILE.match(re.sub(r"[\s\-]", "", value)))


SNIFFERS: dict[EntityType, list[tuple[str, object]]] = {
    "person": [("id_number", _id_ok), ("phone", _mobile_ok)],
    "enterprise": [("uscc", _uscc_ok), ("legal_rep_id_number", _id_ok), ("phone", _mobile_ok)],
}


def _sniff(values: pl.Series, entity: EntityType, taken: set[str]) -> tuple[str, float] | None:
    sample = values.drop_nulls().head(SNIFF_SAMPLE).to_list()
    if len(sample) < 3:
        return None
    for attr, check in SNIFFERS[entity]:
        if attr in taken:
            continue
        rate = sum(1 for v in sample if check(v)) / len(sample)
        if rate >= SNIFF_MIN_RATE:
            return attr, round(rate, 3)
    return None


def map_columns(table: RawTable, entity: EntityType, overrides: dict[str, str],
                where: str) -> list[ColumnMapping]:
    """Propose a mapping for every column of a source (mapped or kept as an extra)."""
    headers = table.headers
    for header in overrides:
        if header not in headers:
            close = difflib.get_close_matches(header, headers, n=1, cutoff=0.3)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SourceError(f"{where}: mapped column {header!r} is not in the file{hint}; "
                              f"its headers are: {', '.join(headers)}")
    n = max(table.data.height, 1)
    fill = {h: 1 - table.data[h].null_count() / n if table.data.height else 0.0 for h in headers}
    chosen: dict[str, tuple[str, str, float]] = {}
    taken: set[str] = set()
    for header, attr in overrides.items():
        chosen[header] = (attr, "config", 1.0)
        taken.add(attr)
    for header in headers:
        if header in chosen:
            continue
        attr = attribute_for_header(header, entity)
        if attr and attr not in taken:
            chosen[header] = (attr, "synonym", 1.0)
            taken.add(attr)
    for header in headers:
        if header in chosen:
            continue
        found = _sniff(table.data[header], entity, taken)
        if found:
            chosen[header] = (found[0], "sniffed", found[1])
            taken.add(found[0])
    return [
        ColumnMapping(i, h, *(chosen.get(h) or (None, "unmapped", 0.0)), round(fill[h], 4))
        for i, h in enumerate(headers)
    ]


def unmapped_message(table: RawTable, mappings: list[ColumnMapping], entity: EntityType,
                     where: str) -> str | None:
    """Why a source whose columns map to no attribute cannot be used (a cover sheet, the wrong
    sheet, a file of another kind), with the sheet to read instead for a workbook; None when
    some column maps."""
    if any(m.attribute for m in mappings):
        return None
    hint = sheet_hint(table.detail["workbook"], table.detail.get("sheet", "")) \
        if "workbook" in table.detail else ""
    headers = ", ".join(table.headers[:12]) + (" …" if len(table.headers) > 12 else "")
    return (f"{where}: no column maps to a {entity} attribute (headers: {headers}){hint}; "
            "otherwise name the columns in `columns:` in the config")


def mapping_frame(source: str, mappings: list[ColumnMapping]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"source": source, **m.__dict__} for m in mappings],
        schema={"source": pl.Utf8, "column_index": pl.Int64, "header": pl.Utf8, "attribute": pl.Utf8,
                "method": pl.Utf8, "confidence": pl.Float64, "fill_rate": pl.Float64})


def canonical_frame(table: RawTable, mappings: list[ColumnMapping]) -> pl.DataFrame:
    """The source's rows as canonical attributes + `extras` (JSON of unmapped header → value),
    after their lineage: `source_row` and, for database server sources, `source_key`."""
    mapped = [pl.col(m.header).alias(m.attribute) for m in mappings if m.attribute]
    extras = [m.header for m in mappings if not m.attribute]
    if extras:
        extra_expr = pl.struct([pl.col(h) for h in extras]).struct.json_encode().alias("extras")
    else:
        extra_expr = pl.lit(None, dtype=pl.Utf8).alias("extras")
    lineage = [c for c in ("source_row", "source_key") if c in table.data.columns]
    return table.data.select(*lineage, *mapped, extra_expr)
