"""Record keys: a configured key column (mapped or not), else a hash of the filled columns."""

from __future__ import annotations

import polars as pl

from linkage.config import load_config
from linkage.engine import open_engine
from linkage.store.keys import record_keys


def _keys(tmp_path, raw: pl.DataFrame, key: str | None = None) -> dict[int, str]:
    (tmp_path / "a.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "sources:\n  a:\n    path: a.csv\n" + (f"    key: {key}\n" if key else ""), encoding="utf-8")
    engine = open_engine()
    engine.load("raw_records", raw)
    engine.load("clusters", raw.select("record_id"))
    engine.load("source_columns", pl.DataFrame({"source": ["a", "a", "a"], "header": ["姓名", "序号", "编号"],
                                                "attribute": ["name", None, "person_no"]}))
    frame = record_keys(engine, load_config(tmp_path / "config.yaml"))
    engine.close()
    return dict(frame.select("record_id", "record_key").iter_rows())


RAW = pl.DataFrame({"record_id": [1, 2, 3], "source": "a", "source_row": [1, 2, 3], "entity_type": "person",
                    "name": ["张伟", "李娜", "张伟"], "person_no": ["107", "108", None],
                    "extras": ['{"序号":"9"}', '{"序号":" "}', '{"序号":"9"}']})


def test_a_column_another_source_brings_changes_no_hash(tmp_path):
    plain = _keys(tmp_path, RAW)
    wider = _keys(tmp_path, RAW.with_columns(pl.lit(None, pl.Utf8).alias("uscc")))
    assert plain == wider and plain[1].startswith("h") and len(set(plain.values())) == 3


def test_a_configured_key_column_mapped_or_not(tmp_path):
    assert _keys(tmp_path, RAW, "编号") == {1: "107", 2: "108", 3: _keys(tmp_path, RAW)[3]}
    by_number = _keys(tmp_path, RAW, "序号")
    assert by_number[1] == "9" and by_number[3] == "9#2"      # the same number twice: told apart
    assert by_number[2].startswith("h")                       # a blank number: the row's hash
