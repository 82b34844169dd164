"""The demo's exports loaded into PostgreSQL and MariaDB link exactly as the files do."""

from __future__ import annotations

import json

import polars as pl
import pytest
import yaml

from linkage.config import load_config
from linkage.connectors import read_source
from linkage.pipeline import run

from .conftest import DEMO, MYSQL, PG, Server, _drop, _server

SECRET = "pa55word"


def demo_in(server: Server, config, folder) -> dict:
    """Load every demo source (as its file reads: header texts, text values) into `server`,
    each table keyed by the file's source_row; return the config reading them from there."""
    spec = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    for key, source in spec["sources"].items():
        raw = read_source(config, key)
        rows = raw.data.select("source_row", *raw.headers).rows()
        server.load(key, raw.headers, rows, key="row_id")
        for field in ("path", "table"):
            source.pop(field, None)
        # trust auth on the test servers ignores a password: it must still never be shown
        source["url"] = server.url.replace("postgres@", f"postgres:{SECRET}@")
        source["table"] = key
    spec["output"] = str(folder / "out")
    return spec


def partition(out, by: str) -> set[frozenset]:
    """The clusters as sets of (source, row) — the file's source_row, however it is named."""
    clusters = pl.read_parquet(out / "clusters.parquet")
    if by == "source_key":
        keys = pl.read_parquet(out / "records.parquet", columns=["record_id", "source_key"])
        clusters = clusters.join(keys, on="record_id").with_columns(
            pl.col("source_key").cast(pl.Int64).alias("source_row"))
    groups = clusters.group_by("entity_id").agg(pl.struct("source", "source_row").alias("rows"))
    return {frozenset((r["source"], r["source_row"]) for r in rows) for rows in groups["rows"]}


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_demo_from_a_database_links_like_the_files(kind, file_run, tmp_path):
    files_out, config = file_run
    server = _server(kind, PG if kind == "postgresql" else MYSQL)
    try:
        spec = demo_in(server, config, tmp_path)
        (tmp_path / "db.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        run(load_config(tmp_path / "db.yaml"), echo=lambda _m: None)
    finally:
        _drop(server)
    out = tmp_path / "out"
    assert partition(out, "source_key") == partition(files_out, "source_row")
    db_records = pl.read_parquet(out / "records.parquet")
    file_records = pl.read_parquet(files_out / "records.parquet")
    assert db_records.height == file_records.height
    key_order = db_records.sort("source", "source_row")
    assert key_order["source_key"].cast(pl.Int64).to_list() == \
        key_order.sort("source", pl.col("source_key").cast(pl.Int64))["source_key"].cast(pl.Int64).to_list()
    for column in ("name", "id_number", "phone", "address", "birth_date"):
        assert db_records.sort("source", "source_row")[column].equals(
            file_records.sort("source", "source_row")[column]), column
    for name in ("metrics.json", "report.html"):
        assert SECRET not in (out / name).read_text(encoding="utf-8")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert all(row["balanced"] for row in metrics["row_accounting"])
