"""Publish a finished run into a database: the unified schema, filled, in one atomic swap.

`publish(output_dir, url, schema="linkage")` reads the run's output folder — the proposed
schema (table `unified_schema` of linkage.duckdb), golden_<entity>.parquet, clusters.parquet,
records.parquet, crosswalk.csv and metrics.json — and writes into a PostgreSQL or MySQL /
MariaDB server, under the schema (PostgreSQL) or database (MySQL) `schema`:

- the unified tables as `linkage.unify.ddl` proposes them (core and per-department extension
  tables, `<entity>_value_source`, `<entity>_source_record`), with their comments and CHECK
  constraints, in the target's own dialect (`linkage.publish.dialects`), filled with the
  golden records by the same statements that fill them in DuckDB;
- `linkage_record_entity`: the record-to-entity crosswalk (source, source_row, source_key —
  the row key of a database source —, entity_type, entity_id);
- `linkage_column_crosswalk`: crosswalk.csv (which unified column each source column feeds);
- `linkage_publication`: run name, linkage version, time of publication and metrics.json.

Readers never see half a publication (`linkage.publish.targets`): everything is built beside
the published one and swapped in whole; a publish that fails or is killed leaves the previous
publication as it was.  A schema or database of that name that is not a linkage publication
is never replaced.  Returns {url (masked), schema, replaced, tables: {table: rows}}.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl

from linkage import __version__
from linkage.connectors.server import mask_url, server_for, server_kind
from linkage.engine import Engine, open_engine, run_limits
from linkage.errors import NotARunError, OutputError, SourceError
from linkage.publish.dialects import (
    PUBLICATION_TABLES,
    MySQLDialect,
    PostgresDialect,
    publication_ddl,
)
from linkage.publish.targets import TARGETS
from linkage.unify.ddl import PORTABLE, load_statements, table_names, to_sql

__all__ = ["publish"]

RUN_FILES = ("linkage.duckdb", "metrics.json", "clusters.parquet", "records.parquet", "crosswalk.csv")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,50}$")


def publish(output_dir: Path, url: str, schema: str = "linkage", echo=lambda _m: None) -> dict:
    """Publish the run in `output_dir` into `url` under `schema` (see the module doc)."""
    kind = server_kind(url)
    if kind is None:
        raise OutputError(f"{mask_url(url)}: publish needs a postgresql:// or mysql:// URL")
    if not _NAME.match(schema):
        raise OutputError(f"--schema {schema!r}: use letters, digits and _ (at most 51, not "
                          "starting with a digit)")
    output_dir = Path(output_dir)
    missing = [n for n in RUN_FILES if not (output_dir / n).is_file()]
    if missing or not list(output_dir.glob("golden_*.parquet")):
        raise NotARunError(f"{output_dir}: not the output of a finished linkage run "
                           f"({', '.join(missing) or 'golden_*.parquet'} not found)")
    try:
        server = server_for(url)
    except SourceError as exc:
        raise OutputError(str(exc)) from None
    dialect = PostgresDialect() if kind == "postgresql" else MySQLDialect()
    local, unified, tables = _build(output_dir)
    try:
        pieces = to_sql(unified, "linkage", dialect).split(";\n")
        ddl = [s for s in map(_drop_comment_lines, pieces) if s] + publication_ddl(dialect)
        echo(f"publishing {output_dir} into {server.where} ({kind} {schema}) …")
        replaced, counts = TARGETS[kind](server, schema, ddl, tables, local)
    finally:
        local.close()
    return {"url": server.where, "schema": schema, "replaced": replaced, "tables": counts}


def _drop_comment_lines(statement: str) -> str:
    """One statement of the DDL script without its `--` comment lines."""
    return "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()


def _proposed_schema(database: Path, limits: dict) -> pl.DataFrame:
    """Table `unified_schema` of the run's database (opened read-only, within the run's
    DuckDB `limits`)."""
    try:
        run = open_engine(database, read_only=True, **limits)
    except OutputError as exc:
        raise NotARunError(f"cannot read the proposed schema: {exc}") from None
    try:
        if not run.has_table("unified_schema"):
            raise NotARunError(f"{database}: cannot read the proposed schema (it has no table "
                               "unified_schema)")
        return run.sql("SELECT * FROM unified_schema")
    finally:
        run.close()


def _build(out: Path) -> tuple[Engine, pl.DataFrame, list[str]]:
    """Every table to publish, filled, in an in-memory engine (its CHECKs hold before loading):
    (the engine, the unified schema's rows, the tables in loading order)."""
    try:
        metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise NotARunError(f"{out / 'metrics.json'}: not valid JSON ({exc})") from None
    schema = _proposed_schema(out / "linkage.duckdb", run_limits(metrics))
    local = open_engine(**run_limits(metrics))
    d = local.dialect
    local.execute(to_sql(schema))
    clusters = d.read_parquet(out / "clusters.parquet")
    for entity in sorted(schema["entity_type"].unique().to_list()):
        golden = out / f"golden_{entity}.parquet"
        if not golden.is_file():
            local.close()
            raise NotARunError(f"{golden}: not found (is {out} the output of a finished run?)")
        for statement in load_statements(schema, entity, d.read_parquet(golden), clusters):
            local.execute(statement)
    for statement in publication_ddl(PORTABLE):
        local.execute(statement)
    records = d.read_parquet(out / "records.parquet")
    has_key = "source_key" in local.sql(f"SELECT * FROM {records} LIMIT 0").columns
    local.execute(
        "INSERT INTO linkage_record_entity SELECT c.source, c.source_row, "
        f"{'r.source_key' if has_key else 'NULL'}, c.entity_type, c.entity_id FROM {clusters} c "
        f"LEFT JOIN {records} r USING (record_id) ORDER BY c.source, c.source_row")
    columns = [name for name, _, _ in PUBLICATION_TABLES["linkage_column_crosswalk"][0]]
    crosswalk = pl.read_csv(out / "crosswalk.csv", infer_schema=False).select(columns).with_columns(
        pl.col("fill_rate").cast(pl.Float64))
    local.load("_crosswalk", crosswalk, temp=True)
    local.execute("INSERT INTO linkage_column_crosswalk SELECT * FROM _crosswalk")
    local.drop_table("_crosswalk")
    run = metrics.get("run", {})
    local.execute("INSERT INTO linkage_publication VALUES (?, ?, ?, ?)",
                  [run.get("name") or "linkage", run.get("version") or __version__,
                   dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                   json.dumps(metrics, ensure_ascii=False, sort_keys=True)])
    return local, schema, table_names(schema) + list(PUBLICATION_TABLES)
