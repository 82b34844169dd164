"""What a report is made of — sections of figures, sentences, charts and tables — and its inputs.

`Inputs` gives the section builders the run's tables and the metrics dict; asking for a table
or metric the run does not have raises `Unavailable`, and the section then renders as a short
"not available" note.  `FIGURE_PATHS` says where each summary figure
lives in metrics.json (first present path wins): a renamed metrics key is a one-line change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from linkage.engine import Engine
from linkage.report.i18n import text
from linkage.report.tables import Table

# summary figure -> dotted paths in metrics.json, tried in order; "*" sums over a mapping's values
FIGURE_PATHS: dict[str, tuple[str, ...]] = {
    "people": ("measure.overview.person.entities", "link.person.entities"),
    "enterprises": ("measure.overview.enterprise.entities", "link.enterprise.entities"),
    "redundant_records": ("measure.overview.*.redundant_records",),
    "within_source_duplicates": ("measure.overview.*.within_source_duplicates",),
    "multi_system_entities": ("measure.overview.*.multi_system_entities",),
    "hours_per_year": ("measure.reentry.totals.*.hours_per_year",),
    "hours_saved": ("unify.collect_once.hours_per_year_saved",),
}


def lookup(data: dict, path: str):
    """The value at a dotted path, or None; a "*" part sums the rest of the path over a mapping."""
    head, _, rest = path.partition(".*.")
    value = data
    for part in head.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if not rest:
        return value
    if not isinstance(value, dict):
        return None
    found = [v for v in (lookup(item, rest) for item in value.values() if isinstance(item, dict))
             if v is not None]
    return sum(found) if found else None


class Unavailable(Exception):
    """A section's inputs are missing; the message (already translated) says which."""


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | int
    kind: str = "int"  # int | float | percent


@dataclass(frozen=True)
class Chart:
    caption: str
    svg: str


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    html: str = ""             # trusted static markup from i18n (how to read)
    unavailable: str | None = None


class Inputs:
    """The run's tables and metrics, as the section builders need them."""

    def __init__(self, engine: Engine, metrics: dict, language: str):
        self.engine, self.metrics, self.language = engine, metrics, language
        self.dialect = engine.dialect  # SQL the backends spell differently
        self._tables = set(engine.tables())

    def t(self, key: str, /, **values) -> str:
        return text(self.language, key, **values)

    def has(self, name: str) -> bool:
        return name in self._tables

    def table(self, name: str, order: str | None = None) -> pl.DataFrame:
        """The whole of table `name`; raises Unavailable when the run has no such table."""
        if not self.has(name):
            raise Unavailable(self.t("missing_table", table=name))
        return self.engine.sql(f"SELECT * FROM {self.dialect.quote(name)}"
                               + (f" ORDER BY {order}" if order else ""))

    def sql(self, query: str, params: list | None = None) -> pl.DataFrame:
        return self.engine.sql(query, params)

    def metric(self, path: str):
        return lookup(self.metrics, path)

    def rows(self, metric: str | None = None, table: str | None = None) -> pl.DataFrame:
        """The run's `table` (full precision, its own column order), else the rows metrics.json
        holds at `metric` (a list of dicts).  Raises Unavailable when neither is there."""
        if table is not None and self.has(table):
            return self.table(table)
        value = self.metric(metric) if metric is not None else None
        if isinstance(value, list) and value:
            return pl.DataFrame(value, infer_schema_length=None)
        if isinstance(value, list):
            raise Unavailable(self.t("no_rows"))
        raise Unavailable(self.t("missing_table", table=table) if table
                          else self.t("missing_metric", key=metric))

    def figure(self, key: str):
        """A summary figure by `FIGURE_PATHS`, or None when no path is present."""
        for path in FIGURE_PATHS[key]:
            value = self.metric(path)
            if value is not None:
                return value
        return None

    def require(self, path: str):
        value = self.metric(path)
        if value is None:
            raise Unavailable(self.t("missing_metric", key=path))
        return value
