"""One departmental system's export as the generator uses it: who it holds and how it writes them.

Each `SourceSpec` is one exported file: the system it belongs to, its entity type, coverage
(a polars expression giving each entity's probability of being registered), rate of
within-system duplicates, headers in the system's own order with the field each holds and its
format, file format and encoding, per-error multipliers of the noise rates, its own blank rates
(real exports differ most in how often the ID number and phone are missing) and the headers the
generated config maps explicitly.  The specs are read from a profile (linkage.synth.profiles:
the default profile holds the nine systems of 深圳).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from linkage.synth.address import AddressStyle


@dataclass(frozen=True)
class Column:
    header: str
    field: str                 # a field of linkage.synth.render (FIELDS)
    fmt: str | None = None     # date / gender / phone / name format where the field has several


@dataclass(frozen=True)
class SourceSpec:
    key: str
    system: str
    title: str
    entity: str                # person | enterprise
    file: str
    format: str                # csv | tsv | xlsx | jsonl | sqlite
    columns: tuple[Column, ...]
    coverage: pl.Expr
    duplicates: float          # share of registered entities entered a second time
    updates_per_year: float
    encoding: str = "utf-8"
    table: str | None = None   # sqlite table
    title_row: str | None = None  # a title above the header (merged cells in Excel)
    address: AddressStyle = AddressStyle()
    blank: str | None = None   # what the system writes for an empty value
    noise: dict[str, float] = field(default_factory=dict)
    missing: dict[str, float] = field(default_factory=dict)  # field -> blank rate at default noise
    config_columns: dict[str, str] = field(default_factory=dict)  # header -> attribute, for the config

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]
