"""`linkage run` on Spark: the demo gives the partition and the metrics.json figures of DuckDB.

The demo (configs/demo.yaml over data/fixtures/) runs once on DuckDB in this process and once
with `engine: {kind: spark, master: "local[2]"}` through the command line in a process of its
own (a Spark session of its own, as a user would start it).  Records fall into the same
entities (compared as sets of source + source_row), every figure of metrics.json agrees
after rounding floats to 6 places — except the run's own description (its engine, config path
and the seconds each stage took) — and the Parquet files of the output contract hold the same
rows.  The Spark run writes its tables as Parquet under
`tables/` and a linkage.duckdb the commands that read a finished run open.  Skipped without
pyspark and java (see conftest.py); the configuration errors are checked without them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from linkage.cli import main

from .conftest import skip_without_spark

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "data" / "fixtures"
# what differs between two runs of the same config by nature, not by engine
RUN_OWN = ("run.config", "run.engine.", "run.stage_seconds.", "link.enterprise.seconds.",
           "link.person.seconds.")
SPARK = ('engine: {kind: spark, master: "local[2]", conf: {spark.ui.enabled: false, '
         'spark.sql.shuffle.partitions: 2}}\n')


def _demo_config(folder: Path, engine: str = "") -> Path:
    text = (ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/fixtures/", f"{FIXTURES.as_posix()}/")
    text = text.replace("output: ../out/demo", "output: out") + engine
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo.yaml").write_text(text, encoding="utf-8")
    return folder / "demo.yaml"


def _partition(out: Path) -> set[frozenset]:
    clusters = pl.read_parquet(out / "clusters.parquet")
    members = clusters.group_by("entity_id").agg(pl.concat_str(
        "source", pl.col("source_row").cast(pl.Utf8), separator=":").alias("keys"))
    return {frozenset(keys) for keys in members["keys"].to_list()}


def _figures(value, path: str = "") -> dict:
    """metrics.json as {key path: value}, floats rounded to 6 places."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _figures(item, f"{path}{key}.").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _figures(item, f"{path}{i}.").items()}
    return {path.rstrip("."): round(value, 6) if isinstance(value, float) else value}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    skip_without_spark()
    work = tmp_path_factory.mktemp("spark-demo")
    config = _demo_config(work / "spark", SPARK)
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    # a guard against a hung Spark session, not a speed check: on a loaded 2-core machine the
    # demo on Spark took 200-330 s (benchmarks/RESULTS.md has its timings)
    spark = subprocess.run([sys.executable, "-c", "from linkage.cli import main; main()",
                            "run", str(config)], env=env, capture_output=True, text=True,
                           timeout=1800, check=False)
    assert spark.returncode == 0, spark.stderr[-3000:]
    duck = CliRunner().invoke(main, ["run", str(_demo_config(work / "duckdb"))])
    assert duck.exit_code == 0, duck.output
    return work / "duckdb" / "out", work / "spark" / "out"


def test_the_demo_on_spark_links_the_same_records(runs):
    duck, spark = runs
    assert _partition(spark) == _partition(duck)
    assert len(_partition(duck)) > 500  # entities, most of them of several records


def test_the_demo_on_spark_gives_the_same_figures(runs):
    expected, got = (_figures(json.loads((out / "metrics.json").read_text(encoding="utf-8")))
                     for out in runs)
    differ = sorted(k for k in expected.keys() | got.keys()
                    if not k.startswith(RUN_OWN) and expected.get(k, "-") != got.get(k, "-"))
    assert differ == []
    assert got["run.engine.kind"] == "spark" and got["run.engine.master"] == "local[2]"
    assert len(expected) > 5000


@pytest.mark.parametrize("name,order", [
    ("records", ["entity_type", "record_id"]), ("quarantine", None), ("pairs", None),
    ("clusters", None), ("golden_person", ["entity_id"]), ("golden_enterprise", ["entity_id"])])
def test_the_spark_run_writes_the_same_parquet_files(runs, name, order):
    """Rows, columns, types and values alike; files written in table order (records, golden
    records) are compared sorted, since Spark keeps no insertion order."""
    expected, got = (pl.read_parquet(out / f"{name}.parquet") for out in runs)
    if order:
        expected, got = expected.sort(order), got.sort(order)
    assert got.schema == expected.schema
    assert got.equals(expected)


def test_the_spark_run_writes_its_tables_as_parquet_and_a_database(runs):
    duck, spark = runs
    with duckdb.connect(str(duck / "linkage.duckdb"), read_only=True) as d, \
            duckdb.connect(str(spark / "linkage.duckdb"), read_only=True) as s:
        tables = {r[0] for r in s.execute("SHOW TABLES").fetchall()}
        assert tables == {r[0] for r in d.execute("SHOW TABLES").fetchall()}
        for name in ("records", "pairs", "clusters", "golden_person", "metric_overview"):
            assert s.execute(f"SELECT count(*) FROM {name}").fetchone() == \
                d.execute(f"SELECT count(*) FROM {name}").fetchone(), name
            assert pl.read_parquet(list((spark / "tables" / name).glob("*.parquet"))).height == \
                s.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    for name in ("records.parquet", "pairs.parquet", "clusters.parquet", "report.html",
                 "report.xlsx", "golden_person.parquet"):
        assert (spark / name).is_file(), name
    assert not list(spark.glob(".*.spark")) and not (spark / ".work").exists()


def test_evaluate_reads_the_spark_run_as_it_reads_a_duckdb_run(runs):
    scores = []
    for out in runs:
        result = CliRunner().invoke(main, ["evaluate", str(out),
                                           "--truth", str(FIXTURES / "truth.parquet")])
        assert result.exit_code == 0, result.output
        scores.append(json.loads((out / "evaluation.json").read_text(encoding="utf-8")))
        assert scores[-1].pop("clusters") == str(out / "clusters.parquet")
    assert scores[1] == scores[0]
    assert scores[0]["entity_types"]["person"]["pairwise"]["f1"] > 0.9


def test_a_spark_run_without_java_says_so_in_one_line(tmp_path, monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    config = _demo_config(tmp_path / "run", SPARK)
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "error: the Spark engine needs Java 17 or later: install it (Debian: apt-get install "
        "openjdk-17-jre-headless) or set JAVA_HOME （Spark 引擎需要 Java 17 及以上版本）")
    assert not (tmp_path / "run" / "out").exists()


def test_a_spark_run_without_pyspark_says_how_to_install_it(tmp_path, monkeypatch):
    from linkage.engine import spark_engine
    monkeypatch.setattr(spark_engine, "SparkSession", None)
    result = CliRunner().invoke(main, ["run", str(_demo_config(tmp_path / "run", SPARK))])
    assert result.exit_code == 2
    assert "error: the Spark engine needs pyspark: pip install 'linkage[spark]'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("master,partitions", [("local[2]", "4"), ("local", "2"),
                                               ("local[3, 1]", "6"),
                                               ("local[*]", str(2 * (os.cpu_count() or 1)))])
def test_a_local_master_takes_two_shuffle_partitions_per_thread(tmp_path, master, partitions):
    from linkage.engine.spark_engine import run_conf
    conf = run_conf(master, {}, tmp_path)
    assert conf["spark.sql.shuffle.partitions"] == partitions
    assert conf["spark.ui.showConsoleProgress"] == "false"
    assert conf["spark.sql.warehouse.dir"] == str(tmp_path / ".work" / "spark-warehouse")


def test_the_configs_spark_settings_win_over_the_runs_defaults(tmp_path):
    from linkage.engine.spark_engine import run_conf
    mine = {"spark.sql.shuffle.partitions": "200", "spark.ui.showConsoleProgress": "true",
            "spark.sql.warehouse.dir": "/elsewhere"}
    assert run_conf("local[2]", mine, tmp_path) == mine
    # a cluster keeps Spark's own defaults (its executors' threads are not known here)
    assert run_conf("spark://host:7077", {}, tmp_path) == {
        "spark.sql.warehouse.dir": str(tmp_path / ".work" / "spark-warehouse")}
