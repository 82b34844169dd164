"""`linkage synth --months`: successive exports of one churning city, deterministic by seed."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.config import load_config
from linkage.connectors import read_path
from linkage.synth.generate import generate_months

PEOPLE = 1500


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    out = tmp_path_factory.mktemp("months")
    generate_months(out, PEOPLE, 3, seed=5, workers=1, chunk_people=600)
    return out


def test_month_does_not_depend_on_how_many_months_or_workers(months, tmp_path):
    generate_months(tmp_path, PEOPLE, 2, seed=5, workers=2, chunk_people=600)
    for name in ("truth.parquet", "jzdj.csv", "zzsb.jsonl", "wgzz.tsv"):
        assert (tmp_path / "month-02" / name).read_bytes() == (months / "month-02" / name).read_bytes()


def test_records_keep_their_key_and_entity_and_some_churn(months):
    first, second = (pl.read_parquet(months / f"month-0{k}" / "truth.parquet") for k in (1, 2))
    kept = first.join(second, on=["source", "record_key"], suffix="_next")
    assert (kept["entity_id"] == kept["entity_id_next"]).all()
    assert 0.95 * first.height < kept.height < first.height      # some left, most stayed
    assert second.height > kept.height                           # some arrived
    moved_rows = kept.filter(pl.col("source_row") != pl.col("source_row_next")).height
    assert moved_rows > 0                                        # deletions shift row numbers


def test_configs_share_the_store_and_key_sources_by_department_number(months):
    config = load_config(months / "month-03" / "config.yaml")
    assert config.store_path() == (months / "store.duckdb").resolve()
    assert config.sources["jzdj"].key == "序号"
    truth = pl.read_parquet(months / "month-03" / "truth.parquet").filter(pl.col("source") == "jzdj")
    rows = read_path(months / "month-03" / "jzdj.csv", "csv").data.select(
        "source_row", pl.col("序号").cast(pl.Int64).alias("record_key"))
    assert rows.join(truth, on="source_row").select(
        (pl.col("record_key") == pl.col("record_key_right")).all()).item()
    assert truth["record_key"].is_unique().all()
