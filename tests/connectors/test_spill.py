"""Spilled raw records: what comes back is what went in, chunk by chunk, whatever the sources'
columns and sizes."""

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from linkage.connectors.spill import SpilledRecords
from linkage.engine import open_engine

COLUMNS = ["name", "id_number", "phone", "address"]
VALUES = st.sampled_from(["张伟", "110105199001010013", "13800138000", "南山区", None])


@st.composite
def sources(draw):
    """Sources of two entity types, each with its own subset of columns and row count."""
    out, next_id = [], 1
    for _ in range(draw(st.integers(1, 5))):
        entity = draw(st.sampled_from(["person", "enterprise"]))
        columns = draw(st.lists(st.sampled_from(COLUMNS), unique=True, max_size=4))
        rows = draw(st.integers(0, 9))
        data = {c: draw(st.lists(VALUES, min_size=rows, max_size=rows)) for c in columns}
        frame = pl.DataFrame({"record_id": pl.Series(range(next_id, next_id + rows),
                                                     dtype=pl.Int64)}).with_columns(
            pl.lit(entity).alias("entity_type"),
            *(pl.Series(c, v, pl.Utf8) for c, v in data.items()))
        if columns and draw(st.booleans()):  # a column read as all-null keeps no text type
            frame = frame.with_columns(pl.lit(None).alias(columns[0]))
        next_id += rows
        out.append((entity, frame))
    return out


@settings(max_examples=60, deadline=None)
@given(sources(), st.integers(1, 7))
def test_chunks_distinct_values_and_stream_are_the_stacked_sources(given_sources, chunk_rows):
    with tempfile.TemporaryDirectory() as folder:
        spilled = SpilledRecords(Path(folder), chunk_rows)
        for entity, frame in given_sources:
            spilled.add(entity, frame)
        for entity in ("person", "enterprise"):
            frames = [f for e, f in given_sources if e == entity]
            if not frames:
                assert spilled.rows(entity) == 0 and list(spilled.chunks(entity)) == []
                continue
            stacked = pl.concat(frames, how="diagonal_relaxed")
            chunks = list(spilled.chunks(entity))
            assert all(c.height == chunk_rows for c in chunks[:-1])
            assert spilled.rows(entity) == stacked.height
            if stacked.height:
                assert_frame_equal(pl.concat(chunks), stacked)
            for column in stacked.columns:
                expected = set(stacked[column].to_list())
                got = set(spilled.distinct(entity, column).to_list())
                assert expected <= got <= expected | {None}
            ids = stacked["record_id"].head(2)
            among = set(spilled.distinct(entity, "record_id", among=ids).to_list())
            assert set(ids.to_list()) <= among <= set(ids.to_list()) | {None}
        streamed = pl.from_arrow(spilled.dataset(["person", "enterprise"]).to_table())
        order = [f for e in ("person", "enterprise") for x, f in given_sources if x == e]
        expected = pl.concat([f.cast({c: pl.Utf8 for c, t in f.schema.items() if t == pl.Null})
                              for f in order], how="diagonal_relaxed")
        assert streamed.height == expected.height
        assert streamed.select(expected.columns).rows() == expected.rows()


def test_sources_of_no_rows_still_give_their_columns(tmp_path):
    spilled = SpilledRecords(tmp_path)
    spilled.add("person", pl.DataFrame({"record_id": [], "name": []},
                                       schema={"record_id": pl.Int64, "name": pl.Utf8}))
    table = spilled.dataset(["person", "enterprise"]).to_table()
    assert table.num_rows == 0 and table.column_names == ["record_id", "name"]


def test_a_database_table_loaded_from_the_files_keeps_their_order(tmp_path):
    spilled = SpilledRecords(tmp_path / "spill", chunk_rows=1000)
    next_id = 1
    for rows, entity in [(2500, "person"), (10, "enterprise"), (3001, "person"), (0, "person")]:
        spilled.add(entity, pl.DataFrame({"record_id": range(next_id, next_id + rows)},
                                         schema={"record_id": pl.Int64}))
        next_id += rows
    engine = open_engine(tmp_path / "run.duckdb")
    engine.load_in_background("raw", spilled.dataset(["person", "enterprise"]))
    engine.settle()
    ids = engine.sql("SELECT record_id FROM raw")["record_id"].to_list()
    assert ids == [*range(1, 2501), *range(2511, 5512), *range(2501, 2511)]
    engine.close()
