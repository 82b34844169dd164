"""The measure and link stages on Spark give exactly what they give on DuckDB.

The hand-built linked run of tests/measure (its figures are worked out by hand there) is loaded
into both engines and measured; every metric, row and rounded float must agree, and Spark must
keep none of the working tables.  The link stage of one entity type (features, blocking, review
labels, recall estimate) runs on both over the synthetic people of tests/link, and golden
records (Spark's long form of survivorship) over the hand-built run of tests/unify.  Skipped
without pyspark and java (see conftest.py).
"""

import polars as pl
import pyarrow as pa
import pytest

from linkage.engine import open_engine
from linkage.engine.spark_engine import SparkEngine
from linkage.errors import BlockingBudgetError
from linkage.link.comparisons import compile_comparisons
from linkage.link.labels import COLUMNS
from linkage.link.run import link_entity, prepare_blocking
from linkage.link.settings import BlockingRule, LinkageSettings
from linkage.measure import run_measure
from linkage.unify.authority import authority_relation
from linkage.unify.golden import golden_records
from linkage.unify.proposal import propose

from ..link.conftest import FAST, people
from ..measure.conftest import BURDEN, load_fixture
from ..unify.conftest import make_engine as make_unify_run


@pytest.mark.parametrize("partitions", ["1", "4"])
def test_measures_give_the_same_figures_on_spark(spark_session, partitions):
    # spread over several shuffle partitions, a Spark table's rows come back in no fixed
    # order: every list of metrics.json must be read back in an order of its own
    duckdb_engine = open_engine()
    load_fixture(duckdb_engine)
    expected = run_measure(duckdb_engine, BURDEN, "zh")
    spark = SparkEngine(spark_session)
    before = spark_session.conf.get("spark.sql.shuffle.partitions")
    spark_session.conf.set("spark.sql.shuffle.partitions", partitions)
    load_fixture(spark)
    try:
        assert run_measure(spark, BURDEN, "zh") == expected
        assert not [t for t in spark.tables() if t.startswith("_m_")]
    finally:
        spark_session.conf.set("spark.sql.shuffle.partitions", before)
        for name in spark.tables():
            spark.drop_table(name)


def _link_records():
    """people() of tests/link with placeholder values the feature table must turn into nulls
    (a lone backslash among them: a Spark literal has to escape it)."""
    frame, _ = people(120, seed=3)
    blanks = {"phone": "\\", "address": "--", "name": "不详", "birth_date": "00000"}
    return frame.with_columns([
        pl.when(pl.col("record_id") % 11 == k).then(pl.lit(value)).otherwise(pl.col(column))
        .alias(column) for k, (column, value) in enumerate(blanks.items())])


def _labels_file(path, frame):
    """Two review decisions (same, different) between records of `frame`."""
    rows = frame.select("source", "source_row").rows()
    lines = [",".join(COLUMNS)]
    for (l, r), decision in (((0, 1), "same"), ((2, 5), "different")):
        lines.append(f"2024-06-01T08:00:00.000+00:00,clerk,a{l},pair,{decision},possible,person,"
                     f"{rows[l][0]},{rows[l][1]},{rows[r][0]},{rows[r][1]},source_row,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _linked(engine, frame, labels):
    engine.load("records", frame)
    result = link_entity(engine, "person", FAST["person"], labels=labels)
    left = [t for t in engine.tables() if t.startswith("_link_") or t.startswith("_recall_")]
    return result, left


def test_the_link_stage_gives_the_same_result_on_spark(spark_session, tmp_path):
    """Features, blocking, review labels and the recall estimate's SQL run on Spark unchanged:
    the same plan, pairs (levels, weights, probabilities), clusters and recall as on DuckDB."""
    frame = _link_records()
    labels = _labels_file(tmp_path / "demo.labels.csv", frame)
    duckdb_engine = open_engine()
    expected, _ = _linked(duckdb_engine, frame, labels)
    spark = SparkEngine(spark_session)
    try:
        got, left = _linked(spark, frame, labels)
        assert not left
    finally:
        for name in spark.tables():
            spark.drop_table(name)
    assert expected.labels["same"] == 1 and expected.labels["different"] == 1
    assert expected.linked_pairs > 50 and expected.recall["estimated"]
    assert [r.label for r in got.plan.rules] == [r.label for r in expected.plan.rules]
    assert got.plan.fill.equals(expected.plan.fill)
    assert got.plan.coverage.equals(expected.plan.coverage)
    assert got.blocking == expected.blocking
    assert pa.concat_tables(got.pairs.batches()).equals(pa.concat_tables(expected.pairs.batches()))
    assert got.clusters.equals(expected.clusters)
    assert got.recall == expected.recall
    assert got.recall_table.equals(expected.recall_table)
    assert got.labels == expected.labels


@pytest.mark.parametrize("configured", [True, False])
def test_the_pair_budget_is_counted_alike_on_spark(spark_session, configured):
    """Over the budget, a configured rule is refused with the same tighter rule suggested, and
    planned rules keep the same blocks (max_block) on both engines."""
    frame = _link_records()
    rules = [BlockingRule(columns=("address_road",))] if configured else None
    s = LinkageSettings(blocking_rules=rules, max_pairs_per_rule=200).resolved("person")
    comparisons = compile_comparisons(s.comparisons)
    outcomes = []
    for engine in (open_engine(), SparkEngine(spark_session)):
        engine.load("records", frame)
        try:
            blocking = prepare_blocking(engine, "person", s, comparisons)
            outcomes.append(([r.model_dump() for r in blocking.plan.rules], blocking.counts))
        except BlockingBudgetError as exc:
            outcomes.append(str(exc))
        finally:
            engine.drop_view("_link_records")
            for name in engine.tables():
                engine.drop_table(name)
    if configured:
        assert "try [address_road, " in outcomes[0]
    else:
        assert any(rule["max_block"] for rule in outcomes[0][0])
    assert outcomes[1] == outcomes[0]


def _golden(engine) -> dict[str, tuple[pl.DataFrame, dict]]:
    """Per entity type, the golden records (and figures) of the hand-built run of tests/unify
    with employees tied between 10 and 9."""
    make_unify_run(measured=True, engine=engine, employees=True)
    schema, out = propose(engine).schema, {}
    authority, _ = authority_relation(engine, None)
    for entity in ("person", "enterprise"):
        figures = golden_records(engine, schema, entity, authority)
        out[entity] = (engine.sql(f"SELECT * FROM golden_{entity}").sort("entity_id"), figures)
    return out


def test_golden_records_are_the_same_on_spark(spark_session):
    expected = _golden(open_engine())
    spark = SparkEngine(spark_session)
    try:
        got = _golden(spark)
        for entity, (table, figures) in expected.items():
            assert got[entity][1] == figures
            assert got[entity][0].equals(table), entity
        assert expected["enterprise"][0]["employees"].to_list() == [9.0]
        assert not [t for t in spark.tables() if t.startswith("_unify")]
    finally:
        for name in spark.tables():
            spark.drop_table(name)
