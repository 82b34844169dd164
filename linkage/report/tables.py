"""The report's tables: labelled columns with a display format, masked text, from polars frames.

One `Table` feeds both the HTML page and the Excel sheet, so the two always show the same
numbers.  Every text cell goes through `mask_text`, which masks anything shaped like an ID
number, a credit code or a phone number, wherever it appears (examples, free text); columns of
attribute values (consistency examples) are masked by their attribute first (`mask_column`,
with linkage.measure.masking).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from linkage.measure.masking import mask_text, mask_value
from linkage.report.i18n import (PERCENT_COLUMNS, VALUE_COLUMNS, attribute_label, column_label,
                                 entity_label, rule_label, value_label)

def mask_column(frame: pl.DataFrame, column: str, attribute_column: str) -> pl.DataFrame:
    """Mask `column` by the canonical attribute in `attribute_column` (linkage.measure.masking),
    once per distinct (value, attribute)."""
    key = pl.concat_str(pl.col(column), pl.lit("\x1f"), pl.col(attribute_column).fill_null(""))
    pairs = frame.select(column, pl.col(attribute_column).fill_null("")).unique().drop_nulls()
    masked = {f"{v}\x1f{a}": mask_value(v, a or None) for v, a in pairs.iter_rows()}
    return frame.with_columns(key.replace_strict(masked, default=pl.col(column),
                                                 return_dtype=pl.Utf8).alias(column))


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str  # text | bool | a number format of `format_value`


# how float columns read, by name: counts are whole numbers even when estimated (482.7
# re-entries read 483), hours have one decimal; other floats read by `format_value`'s "float"
FLOAT_KINDS: dict[str, str] = {
    **dict.fromkeys(("reentries", "reentries_saved", "missed_records", "missed_low",
                     "missed_high", "seconds", "values_keyed", "records", "entities"), "int"),
    **dict.fromkeys(("hours", "hours_per_year", "hours_saved", "hours_per_year_saved",
                     "hours_per_year_remaining"), "hours"),
    **dict.fromkeys(("seconds_per_field", "updates_per_year"), "number"),
    **dict.fromkeys(("format_rate", "match_probability"), "percent"),
    "m": "probability", "u": "probability", "u_twins": "probability", "bayes_factor": "factor",
    "match_weight": "weight",
}


@dataclass
class Table:
    key: str                      # stable identifier (also the Excel sheet's base)
    title: str
    columns: list[Column]
    rows: list[tuple]

    @property
    def empty(self) -> bool:
        return not self.rows


def _kind(name: str, dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "percent" if name in PERCENT_COLUMNS else FLOAT_KINDS.get(name, "float")
    return "text"


def _cell(value, kind: str):
    if value is None:
        return None
    if kind == "text":
        return mask_text(value if isinstance(value, str) else str(value))
    return value


def table_from_frame(key: str, title: str, frame: pl.DataFrame, language: str,
                     columns: list[str] | None = None) -> Table:
    """A `Table` of `frame`'s columns (those of `columns` present, in that order, else all).

    Nested values (lists, structs) become text; `attribute` and `entity_type` cells get their
    labels in `language`; a pair of columns `<x>_zh`, `<x>_en` becomes `<x>` in `language`."""
    frame = localized(frame, language)
    names = [c for c in columns if c in frame.columns] if columns else frame.columns
    frame = frame.select(names)
    frame = frame.with_columns([
        pl.col(c).map_elements(_nested_text, return_dtype=pl.Utf8)
        for c, t in frame.schema.items() if t.is_nested() or t == pl.Object])
    frame = _label_cells(frame, language)
    cols = [Column(c, column_label(c, language), _kind(c, frame.schema[c])) for c in names]
    rows = [tuple(_cell(v, col.kind) for v, col in zip(row, cols)) for row in frame.iter_rows()]
    return Table(key, title, cols, rows)


def _relabel(frame: pl.DataFrame, column: str, label) -> pl.DataFrame:
    """Replace a text column's values by `label(value)`, computed once per distinct value."""
    if column not in frame.columns or frame.schema[column] != pl.Utf8:
        return frame
    values = frame[column].unique().drop_nulls().to_list()
    return frame.with_columns(pl.col(column).replace_strict(
        {v: label(v) for v in values}, default=pl.col(column), return_dtype=pl.Utf8))


def _label_cells(frame: pl.DataFrame, language: str) -> pl.DataFrame:
    """Coded cells (attribute names, entity types, placements, rules) as labels in `language`."""
    if "attribute" in frame.columns and frame.schema["attribute"] == pl.Utf8:
        entity = pl.col("entity_type") if "entity_type" in frame.columns else pl.lit("")
        key = pl.concat_str(pl.col("attribute"), pl.lit("|"), entity.fill_null(""))
        pairs = frame.select(pl.col("attribute"), entity.fill_null("").alias("e")).unique()
        frame = frame.with_columns(key.replace_strict(
            {f"{a}|{e}": attribute_label(a, language, e) for a, e in pairs.iter_rows()
             if a is not None}, default=pl.col("attribute"), return_dtype=pl.Utf8
        ).alias("attribute"))
    frame = _relabel(frame, "entity_type", lambda v: entity_label(v, language))
    for column in VALUE_COLUMNS:
        frame = _relabel(frame, column, lambda v: value_label(v, language))
    return _relabel(frame, "rule", lambda v: rule_label(v, language))


def localized(frame: pl.DataFrame, language: str) -> pl.DataFrame:
    """Replace each pair of columns `<x>_zh`, `<x>_en` by `<x>` in `language`."""
    pairs = [c[:-3] for c in frame.columns if c.endswith("_zh") and c[:-3] + "_en" in frame.columns]
    if not pairs:
        return frame
    return frame.with_columns([pl.col(f"{b}_{language}").alias(b) for b in pairs]).drop(
        [f"{b}_{suffix}" for b in pairs for suffix in ("zh", "en")])


def _nested_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, pl.Series):
        value = value.to_list()
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value if v is not None)
    if isinstance(value, dict):
        return "；".join(f"{k}: {v}" for k, v in value.items() if v is not None)
    return str(value)


def format_value(value, kind: str) -> str:
    """How a cell or figure reads on the page (Excel keeps the number itself).

    int: a whole number (rounded: an estimated 4.7 records reads 5); hours: one decimal;
    percent: a share 0..1 with one decimal; number: one decimal at most (20, 7.5); float: two
    significant decimals; probability: three significant digits (0.94, 0.00118); factor: a
    Bayes factor, 941.8 or 1/8.6; weight: a signed match weight (+9.88, −3.10)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "int":
        return f"{round(value):,}"
    if kind == "hours":
        return f"{value:,.1f}"
    if kind == "number":
        return f"{value:,.1f}".removesuffix(".0")
    if kind == "probability":
        return f"{value:.3g}" if value == 0 or abs(value) >= 1e-4 else f"{value:.1e}"
    if kind == "factor":
        return f"{value:,.1f}" if value >= 1 or value <= 0 else f"1/{1 / value:,.1f}"
    if kind == "weight":
        return f"{value:+.2f}".replace("-", "−")
    if kind == "float":
        digits = 0 if abs(value) >= 1000 else 1 if abs(value) >= 100 else 2
        return f"{value:,.{digits}f}"
    if kind == "bool":
        return "✓" if value else "✗"
    return str(value)
