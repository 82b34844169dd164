"""The DuckDB engine: load, query, stream and export, and results that do not block each other."""

import polars as pl
import pyarrow.parquet as pq
import pytest

from linkage.engine import open_engine
from linkage.errors import RunError


def test_load_query_stream_export(tmp_path):
    engine = open_engine()
    frame = pl.DataFrame({"record_id": [3, 1, 2], "name": ["王芳", "张伟", None]})
    engine.load("t", frame)
    assert engine.columns("t") == ["record_id", "name"]
    assert engine.sql("SELECT name FROM t WHERE record_id = ?", [1])["name"].to_list() == ["张伟"]
    assert sum(b.num_rows for b in engine.batches("SELECT * FROM t", batch_size=2)) == 3
    engine.export_parquet("t", tmp_path / "t.parquet", order_by="record_id")
    assert pq.read_table(tmp_path / "t.parquet").column("record_id").to_pylist() == [1, 2, 3]


def test_scalar_and_has_table_leave_no_open_result():
    engine = open_engine()
    engine.load("t", pl.DataFrame({"a": [1, 2]}))
    assert engine.has_table("t") and not engine.has_table("missing")
    assert engine.scalar("SELECT count(*) FROM t") == 2
    assert engine.sql("SELECT sum(a) AS s FROM t")["s"].item() == 3



def test_open_engine_applies_memory_limit_and_threads():
    engine = open_engine(None, threads=1, memory_limit="1GB")
    assert engine.scalar("SELECT current_setting('threads')") == 1
    assert engine.scalar("SELECT current_setting('memory_limit')") in ("953.6 MiB", "1.0 GB", "1000.0 MB")
    # the budget stages size their batches by, in bytes (DuckDB shows the limit rounded)
    assert abs(engine.memory_budget() - 10**9) < 10**8
    assert abs(open_engine(None, memory_limit="3GiB").memory_budget() - 3 * 2**30) < 2**27
    engine.close()


def test_a_read_only_engine_reads_and_refuses_writes(tmp_path):
    path = tmp_path / "run.duckdb"
    writer = open_engine(path)
    writer.load("t", pl.DataFrame({"a": [1, 2]}))
    writer.close()
    reader = open_engine(path, read_only=True)
    assert reader.sql("SELECT a FROM t ORDER BY a")["a"].to_list() == [1, 2]
    with pytest.raises(Exception, match="read-only"):
        reader.execute("CREATE TABLE u AS SELECT 1")
    other = open_engine(path, read_only=True)  # readers share the file
    assert other.has_table("t")
    other.close()
    reader.close()


def test_running_out_of_memory_while_streaming_is_a_run_error():
    engine = open_engine(None, memory_limit="30MB")
    engine.execute("SET temp_directory = ''")  # nowhere to spill
    query = "SELECT i, repeat('x', 200) || i AS s FROM range(1000000) t(i) ORDER BY s DESC"
    with pytest.raises(RunError, match="ran out of memory"):
        for _ in engine.batches(query, 100_000):
            pass


def test_appends_in_background_keep_the_table_order():
    engine = open_engine()
    for start in range(0, 50_000, 10_000):
        engine.append_in_background("t", pl.DataFrame({"a": range(start, start + 10_000)}))
    engine.settle()
    assert engine.sql("SELECT a FROM t")["a"].to_list() == list(range(50_000))
    engine.close()


def test_a_background_write_that_fails_raises_at_settle():
    engine = open_engine()
    engine.append_in_background("t", pl.DataFrame({"a": [1, 2]}))
    engine.append_in_background("t", pl.DataFrame({"a": ["not a number"]}))
    with pytest.raises(Exception, match="not a number"):
        engine.settle("t")
    engine.settle()  # raised once, then gone
    assert engine.sql("SELECT a FROM t")["a"].to_list() == [1, 2]
    engine.close()
