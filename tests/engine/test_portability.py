"""The measure stage on Spark gives exactly the figures it gives on DuckDB.

The hand-built linked run of tests/measure (its figures are worked out by hand there) is loaded
into both engines and measured; every metric, row and rounded float must agree, and Spark must
keep none of the working tables.  Skipped without pyspark and java (see conftest.py).
"""

from linkage.engine import open_engine
from linkage.engine.spark_engine import SparkEngine
from linkage.measure import run_measure

from ..measure.conftest import BURDEN, load_fixture


def test_measures_give_the_same_figures_on_spark(spark_session):
    duckdb_engine = open_engine()
    load_fixture(duckdb_engine)
    expected = run_measure(duckdb_engine, BURDEN, "zh")
    spark = SparkEngine(spark_session)
    load_fixture(spark)
    try:
        assert run_measure(spark, BURDEN, "zh") == expected
        assert not [t for t in spark.tables() if t.startswith("_m_")]
    finally:
        for name in spark.tables():
            spark.drop_table(name)
