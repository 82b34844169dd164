"""Engines to run the same test on: DuckDB always, Spark local[1] when pyspark and java are here.

`engine` is parametrised Splink-style, so a test taking it runs once per backend; the Spark
session (slow to start) is made once per test session, with one shuffle partition so that small
tables keep the order their query gave them.
"""

import shutil

import pytest

from linkage.engine import open_engine


def skip_without_spark() -> None:
    """Skip the calling test where Spark cannot run: no pyspark, or no java."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs java")


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory):
    skip_without_spark()
    from linkage.engine.spark_engine import spark_session as make
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = make("local[1]", {
        "spark.sql.warehouse.dir": str(warehouse), "spark.driver.host": "127.0.0.1",
        "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "1",
        "spark.sql.adaptive.enabled": "false"})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=["duckdb", "spark"])
def any_engine(request):
    """A fresh DuckDB engine, or the Spark engine on the test session's Spark."""
    if request.param == "duckdb":
        engine = open_engine()
        yield engine
        engine.close()
        return
    from linkage.engine.spark_engine import SparkEngine
    engine = SparkEngine(request.getfixturevalue("spark_session"))
    yield engine
    for name in engine.tables():
        engine.drop_table(name)
