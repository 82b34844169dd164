"""The dialects: what each engine computes from its dialect's SQL (DuckDB always, Spark when
pyspark is installed, see conftest.py), and what the Spark dialect renders."""

import polars as pl
import pytest

from linkage.engine import Scratch
from linkage.engine.base import read_compact
from linkage.engine.dialect import MASK_BITS, DuckDBDialect, SparkDialect


@pytest.fixture
def engine(any_engine):
    return any_engine


def _value(engine, expr: str):
    return engine.scalar(f"SELECT {expr}")


@pytest.mark.parametrize("size", [10, MASK_BITS, MASK_BITS + 1, 100])
def test_bit_sets_as_masks_or_lists_give_the_same_sets(engine, size):
    bits = engine.dialect.bit_set(size)
    assert bits.mask == (size <= MASK_BITS)
    top = size - 1
    engine.load("members", pl.DataFrame({"g": [1, 1, 1, 2, 2, 3],
                                         "m": [0, top, 0, 5, 3, top]}))
    sets = engine.sql(f"""
        SELECT g, {bits.count('s')} AS n, {bits.has('s', '0')} AS has_0,
               {bits.has('s', str(top))} AS has_top, {bits.has('s', '4')} AS has_4
        FROM (SELECT g, {bits.agg('m')} AS s FROM members GROUP BY g) ORDER BY g""")
    assert sets.rows() == [(1, 2, True, True, False), (2, 2, False, False, False),
                           (3, 1, False, True, False)]
    # equal sets group together whatever the order their members came in
    assert engine.scalar(f"""SELECT count(DISTINCT s) FROM (
        SELECT {bits.agg('m')} AS s FROM members WHERE g = 2
        UNION ALL SELECT {bits.agg('m')} FROM (SELECT * FROM members WHERE g = 2 ORDER BY m))""") == 1


def test_lists_and_aggregates(engine):
    d = engine.dialect
    engine.load("v", pl.DataFrame({"g": [1, 1, 1, 2], "x": ["b", "a", "b", "c"], "k": [3, 1, 2, 5]}))
    rows = engine.sql(f"""
        SELECT g, {d.sorted_list('x')} AS all_x, {d.sorted_list('x', distinct=True)} AS distinct_x,
               {d.sorted_list('x', where="x = 'zzz'")} AS none, {d.sorted_string_agg('x', '+')} AS joined,
               {d.arg_min('x', 'k')} AS first_x,
               min({d.struct({'k': 'k', 'x': 'x'})}).x AS min_struct_x
        FROM v GROUP BY g ORDER BY g""").to_dicts()
    assert rows[0] == {"g": 1, "all_x": ["a", "b", "b"], "distinct_x": ["a", "b"], "none": [],
                       "joined": "a+b+b", "first_x": "a", "min_struct_x": "a"}
    listed = d.list_of(["甲", "乙", "丙", "丁"])
    assert _value(engine, d.element(listed, "1 + 1")) == "乙"  # 1-based, computed index
    assert _value(engine, d.element(listed, 9)) is None
    assert _value(engine, d.join_list(d.slice(listed, 2, 3), ", ")) == "乙, 丙"


def test_scalars(engine):
    d = engine.dialect
    doc = d.literal('{"姓 名": "张伟", "a\\"b": "x", "n": 3}')
    assert _value(engine, d.json_strings(doc, ["姓 名", 'a"b', "n", "missing"])) == [
        "张伟", "x", "3", None]
    assert _value(engine, d.matches("'110105194912310021'", "[0-9]{17}[0-9X]"))
    assert not _value(engine, d.matches("'1101051949123100211'", "[0-9]{17}[0-9X]"))
    assert [_value(engine, d.is_finite(f"CAST('{v}' AS DOUBLE)"))
            for v in ("1.5", "inf", "-inf", "nan")] == [True, False, False, False]
    assert _value(engine, d.hash64("'张伟'")) == _value(engine, d.hash64("'张' || '伟'"))
    assert _value(engine, d.shift_right(d.shift_left("CAST(3 AS BIGINT)", 4), 2)) == 12
    assert _value(engine, d.literal("it's")) == "it's"
    assert _value(engine, d.cast(d.literal("7"), "bigint")) == 7
    # several values hash as one key, in order (a blocking rule's key)
    assert _value(engine, f"{d.hash64('1, 2')} = {d.hash64('1, 2')}")
    assert _value(engine, f"{d.hash64(d.literal('a') + ', ' + d.literal('b'))} <> "
                          f"{d.hash64(d.literal('b') + ', ' + d.literal('a'))}")
    assert _value(engine, d.int_div("CAST(7 AS BIGINT) * 3", 2)) == 10
    assert _value(engine, d.cast("1 / 3", "float")) == pytest.approx(1 / 3, rel=1e-6)


def test_unpivot_gives_one_row_per_item_and_keeps_columns(engine):
    d = engine.dialect
    engine.load("wide", pl.DataFrame({"e": [1, 2], "a": ["x", None], "b": ["y", "z"]}), temp=True)
    rows = engine.sql(f"""
        SELECT * FROM ({d.unpivot('wide', ['e'], ['i', 'v'], [['0', 'a'], ['1', 'b']])})
        ORDER BY e, i""")
    assert rows.columns == ["e", "i", "v"]
    assert rows.rows() == [(1, 0, "x"), (1, 1, "y"), (2, 0, None), (2, 1, "z")]
    alone = engine.sql(f"SELECT * FROM ({d.unpivot('wide', [], ['v'], [['a'], ['b']])}) ORDER BY v NULLS FIRST")
    assert alone.rows() == [(None,), ("x",), ("y",), ("z",)]


def test_a_parquet_file_is_a_relation(engine, tmp_path):
    path = tmp_path / "it's.parquet"  # a quote in the path
    pl.DataFrame({"k": [2, 1], "v": ["乙", "甲"]}).write_parquet(path)
    rows = engine.sql(f"SELECT k, v FROM {engine.dialect.read_parquet(path)} ORDER BY k")
    assert rows.rows() == [(1, "甲"), (2, "乙")]


def test_scratch_drops_its_tables_even_when_the_stage_fails(engine):
    with pytest.raises(RuntimeError), Scratch(engine) as scratch:
        scratch.create("_t_one", "SELECT 1 AS a")
        scratch.load("_t_two", pl.DataFrame({"a": [1]}))
        assert {"_t_one", "_t_two"} <= set(engine.tables())
        raise RuntimeError("stage failed")
    assert not {"_t_one", "_t_two"} & set(engine.tables())


def test_spark_renders_its_own_spelling():
    d = SparkDialect()
    assert d.quote("a`b") == "`a``b`"
    assert d.literal("it's \\") == "'it\\'s \\\\'"
    assert d.cast("x", "text") == "CAST(x AS STRING)"
    assert d.hash64("x") == "xxhash64(x)"
    assert d.int_div("n", 2) == "(n div 2)"
    assert d.element("l", "k & 65535") == "try_element_at(l, CAST(k & 65535 AS INT))"
    assert d.slice("l", 1, 5) == "slice(l, 1, 5)"
    assert d.sorted_list("s", distinct=True) == "array_sort(collect_set(s))"
    assert d.sorted_list("s", where="a = 1") == "array_sort(collect_list(CASE WHEN a = 1 THEN s END))"
    assert d.matches("v", "[0-9]{6}") == "v RLIKE '^(?:[0-9]{6})$'"
    assert d.create_table("t", "SELECT 1", temp=True)[-1] == "CACHE TABLE `t` AS SELECT 1"
    bits = d.bit_set(9)
    assert bits.agg("sid") == "bit_or(shiftleft(CAST(1 AS BIGINT), sid))"
    assert bits.has("b", "sid") == "(shiftright(b, sid) & 1) = 1"
    assert d.bit_set(64).has("b", "sid") == "array_contains(b, sid)"


def test_both_dialects_name_every_type():
    assert DuckDBDialect.TYPES.keys() == SparkDialect.TYPES.keys()


def test_append_adds_rows_by_name_and_new_columns(engine):
    engine.append("grown", pl.DataFrame({"id": [1, 2], "name": ["张伟", None]}))
    engine.append("grown", pl.DataFrame({"name": ["王芳"], "id": [3], "uscc": ["91440300MA5"]}))
    engine.append("grown", pl.DataFrame({"id": [4]}))
    assert engine.columns("grown") == ["id", "name", "uscc"]
    assert engine.sql("SELECT * FROM grown ORDER BY id").rows() == [
        (1, "张伟", None), (2, None, None), (3, "王芳", "91440300MA5"), (4, None, None)]


def test_appends_in_background_keep_their_order_and_columns(engine):
    for start in range(0, 12, 3):
        frame = pl.DataFrame({"id": list(range(start, start + 3))})
        if start >= 6:
            frame = frame.with_columns(pl.col("id").cast(pl.Utf8).alias("note"))
        engine.append_in_background("grown_bg", frame)
    engine.settle("grown_bg")
    assert engine.columns("grown_bg") == ["id", "note"]
    rows = engine.sql("SELECT * FROM grown_bg ORDER BY id").rows()
    assert rows == [(i, str(i) if i >= 6 else None) for i in range(12)]
    engine.drop_table("grown_bg")


def test_a_view_reads_its_table_and_is_dropped(engine):
    engine.load("stored", pl.DataFrame({"id": [1, 2, 3], "kind": ["a", "b", "a"]}))
    engine.create_view("_v_a", "SELECT id FROM stored WHERE kind = 'a'")
    assert sorted(engine.sql("SELECT id FROM _v_a")["id"].to_list()) == [1, 3]
    engine.drop_view("_v_a")
    engine.drop_view("_v_a")  # dropping what is gone is no error
    assert "_v_a" not in engine.tables()
    engine.drop_table("stored")


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_read_compact_gives_one_chunk_per_column_in_order(engine, batch_size):
    rows = pl.DataFrame({"record_id": [5, 3, 9, 1, 7], "name": ["戊", "丙", None, "甲", "庚"],
                         "score": [0.5, 0.3, 0.9, 0.1, 0.7]})
    engine.load("_rc", rows)
    frame = read_compact(engine, "SELECT * FROM _rc", order_by="record_id", batch_size=batch_size)
    assert frame.rows() == rows.sort("record_id").rows()
    assert all(frame.get_column(c).n_chunks() == 1 for c in frame.columns)
    empty = read_compact(engine, "SELECT * FROM _rc WHERE record_id < 0", order_by="record_id")
    assert empty.height == 0 and empty.columns == rows.columns
    engine.drop_table("_rc")


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_read_compact_orders_by_several_columns(engine, batch_size):
    pairs = pl.DataFrame({"l": [2, 1, 2, 1, 3], "r": [5, 9, 3, 4, 4], "rule": [0, 1, 2, 3, 4]})
    engine.load("_rp", pairs)
    frame = read_compact(engine, "SELECT * FROM _rp", order_by=["l", "r"], batch_size=batch_size)
    assert frame.rows() == pairs.sort("l", "r").rows()
    engine.drop_table("_rp")
