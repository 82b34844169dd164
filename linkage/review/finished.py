"""A finished run opened for review: its tables read-only, its config, its labels file.

`FinishedRun(output_dir)` checks that the folder is a complete run's output, attaches its
`linkage.duckdb` read-only (the run's folder belongs to `linkage.outputs`: review never writes
there; temporary tables live in memory) and finds the config the run was made from
(metrics.json `run.config`) for the labels path, the audit sample size and each source's
sheet.  It also gives what every view needs per entity type: the resolved settings, the model
(prior, threshold, m and u per level) and the run's fingerprint (`fingerprint`), which tells
whether an audit sample was drawn from this very run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from linkage.config import Config, load_config
from linkage.engine import open_engine, run_limits
from linkage.errors import ConfigError, NotARunError, first_line
from linkage.link.comparisons import Comparison, compile_comparisons
from linkage.link.settings import LinkageSettings
from linkage.outputs import read_marker

NEEDED = ("records", "raw_records", "sources", "pairs", "clusters", "link_model", "model_params",
          "possible_matches")


@dataclass
class EntityModel:
    """What a run's model says for one entity type (tables link_model, model_params)."""
    entity_type: str
    prior: float
    threshold: float
    settings: LinkageSettings
    comparisons: list[Comparison]
    params: pl.DataFrame  # comparison, gamma, level, level_zh, m, u, match_weight
    fingerprint: str


class FinishedRun:
    def __init__(self, output_dir: Path):
        self.output_dir = Path(output_dir).resolve()
        db, metrics = self.output_dir / "linkage.duckdb", self.output_dir / "metrics.json"
        marker = read_marker(self.output_dir)
        if marker is None or marker.get("state") != "complete" or not db.exists():
            raise NotARunError(f"{self.output_dir} is not the output of a finished linkage run "
                               "(run `linkage run CONFIG` first)")
        try:
            self.metrics = json.loads(metrics.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NotARunError(f"{metrics}: cannot read ({exc})") from None
        self.engine = open_engine(**run_limits(self.metrics))  # within the run's limits
        path = str(db).replace("'", "''")
        try:
            self.engine.execute(f"ATTACH '{path}' AS run (READ_ONLY)")
        except Exception as exc:  # noqa: BLE001 — DuckDB's lock or format errors, as a message
            self.engine.close()
            raise NotARunError(f"{db}: cannot open ({first_line(exc)})") from None
        self.engine.execute("USE run")
        missing = [t for t in NEEDED if not self.engine.has_table(t)]
        if missing:
            self.close()
            raise NotARunError(f"{db} has no table {missing[0]}: the run did not link")

    def close(self) -> None:
        self.engine.close()

    @cached_property
    def config(self) -> Config:
        """The config the run was made from (metrics.json `run.config`)."""
        return config_of(self.metrics, self.output_dir)

    @cached_property
    def labels_path(self) -> Path:
        return self.config.labels_path()

    @cached_property
    def entity_types(self) -> list[str]:
        return self.engine.sql("SELECT entity_type FROM link_model ORDER BY entity_type")[
            "entity_type"].to_list()

    @cached_property
    def lineage(self) -> pl.DataFrame:
        """record_id, entity_type, source and the row key labels use (`source_row`, as text)."""
        return self.engine.sql("SELECT record_id, entity_type, source, "
                               "CAST(source_row AS VARCHAR) AS key FROM records ORDER BY record_id")

    @cached_property
    def models(self) -> dict[str, EntityModel]:
        return {e: entity_model(self.engine, e) for e in self.entity_types}

    @cached_property
    def sources(self) -> dict[str, dict]:
        """Per source key: table `sources`' row plus the config's sheet or table."""
        rows = {r["source"]: r for r in self.engine.sql("SELECT * FROM sources").to_dicts()}
        try:
            configured = self.config.sources
        except ConfigError:
            configured = {}
        for key, row in rows.items():
            source = configured.get(key)
            row["sheet"] = source.sheet if source is not None and row["format"] in ("xlsx", "xls") \
                else None
            row["table"] = source.table if source is not None else None
        return rows


def config_of(metrics: dict, output_dir: Path) -> Config:
    """The config named by metrics.json `run.config`; ConfigError saying what is missing."""
    path = (metrics.get("run") or {}).get("config")
    if not path:
        raise ConfigError(f"{output_dir}/metrics.json does not name the run's config "
                          "(`run.config`); the labels file cannot be found")
    if not Path(path).exists():
        raise ConfigError(f"the config this run was made from, {path}, is gone; the labels file "
                          "lives beside it")
    return load_config(path)


def fingerprint(row: dict) -> str:
    """A short digest of a run's model and result for one entity type (a link_model row): equal
    for two runs of the same inputs, config and labels, different after anything changed."""
    parts = [row["entity_type"], repr(float(row["prior"])), repr(float(row["threshold"])),
             str(row["candidate_pairs"]), str(row["linked_pairs"]), str(row["entities"])]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def entity_model(engine, entity_type: str) -> EntityModel:
    row = engine.sql("SELECT * FROM link_model WHERE entity_type = ?", [entity_type]).row(0, named=True)
    settings = LinkageSettings.model_validate(json.loads(row["settings"]))
    params = engine.sql("SELECT * FROM model_params WHERE entity_type = ? ORDER BY comparison, gamma",
                        [entity_type])
    return EntityModel(entity_type, float(row["prior"]), float(row["threshold"]), settings,
                       compile_comparisons(settings.comparisons), params, fingerprint(row))
