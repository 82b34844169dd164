"""The normalized rows kept in the entity store: a month reads its unchanged rows' normalized
rows from the store and gives the `records` table of normalizing everything; the cache is
ignored when the normalizer code, its reference data or the region change, or with `--full`."""

from __future__ import annotations

import ast
import functools
import shutil
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage.config import load_config
from linkage.normalize import Memo, normalize_records
from linkage.pipeline import run
from linkage.store import normalized
from linkage.store.normalized import PACKAGE, NormalizedCache, fingerprint, table_name
from linkage.synth.generate import generate_months

from .conftest import config_copy


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """Two months of a 700-people city against the store; month 2 also with `--full` against
    a copy of the store as month 1 left it."""
    out = tmp_path_factory.mktemp("normalized")
    generate_months(out, 700, 2, seed=13, workers=1)
    quiet = functools.partial(run, echo=lambda _m: None)
    metrics = {1: quiet(load_config(out / "month-01" / "config.yaml"))}
    shutil.copyfile(out / "store.duckdb", out / "full-store.duckdb")
    full = quiet(load_config(config_copy(out / "month-02", "full", "full-store.duckdb", "full-out")), retrain="--full")
    metrics[2] = quiet(load_config(out / "month-02" / "config.yaml"))
    return out, metrics, full


def _table(database: Path, name: str, order: str | None) -> pl.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(f"SELECT * FROM {name}" + (f" ORDER BY {order}" if order else "")).pl()


def test_records_from_the_store_are_those_of_normalizing_everything(months):
    out, metrics, full = months
    month = out / "month-02"
    # records in table order (entity type, record_id: as appended), the others as written out
    for name, order in (("records", None), ("quarantine", "source, source_row"),
                        ("row_accounting", "source")):
        cached = _table(month / "out" / "linkage.duckdb", name, order)
        fresh = _table(month / "full-out" / "linkage.duckdb", name, order)
        assert cached.height > 0
        assert cached.schema == fresh.schema and cached.equals(fresh), name
    for entity_type in ("person", "enterprise"):
        figures = metrics[2]["store"][entity_type]
        rows_in = figures["normalized_rows"] + figures["stored_rows"]
        assert figures["stored_rows"] >= figures["unchanged_records"] > 0.9 * rows_in
        assert figures["normalized_rows"] < 0.1 * rows_in
        assert full["store"][entity_type]["stored_rows"] == 0
        assert metrics[1]["store"][entity_type]["stored_rows"] == 0
    # people changed (some rows normalized, the rest read), enterprises not (every row read)
    assert metrics[2]["store"]["person"]["normalized_rows"] > 0
    assert metrics[2]["store"]["enterprise"]["normalized_rows"] == 0


def test_the_store_keeps_the_normalized_rows_of_the_last_run_only(months):
    out, _, _ = months
    records = _table(out / "month-02" / "out" / "linkage.duckdb", "records", "record_id")
    for store in ("store.duckdb", "full-store.duckdb"):  # incremental and rebuilt by --full
        for entity_type in ("person", "enterprise"):
            kept = _table(out / store, table_name(entity_type), "key_a, key_b")
            assert kept.select("key_a", "key_b").is_unique().all()
            assert kept["record_id"].is_null().all() and kept["source_row"].is_null().all()
            mine = records.filter(pl.col("entity_type") == entity_type).select(
                kept.drop("key_a", "key_b").columns)
            # one row per distinct raw row (two raw rows may normalize alike: 張偉, 张伟)
            assert mine.height >= kept.height >= mine.drop("record_id", "source_row").unique().height
            rows = kept.drop("key_a", "key_b", "record_id", "source_row").unique()
            expected = mine.drop("record_id", "source_row").unique()
            assert rows.sort(rows.columns, nulls_last=True).equals(
                expected.sort(rows.columns, nulls_last=True))


# --- the cache's key, row by row ---------------------------------------------------------------

NAMES = ["张伟", "張偉", "李 娜", "无", "欧阳 秀英", None, ""]
IDS = ["110105199001010013", "11010519900101001X", "110105900101001", "4.40306E+17", None]
PHONES = ["13800138000", "0755-88888888", "88888888", "138 0013 8000 / 0755 1234567", None]
ADDRESSES = ["深圳市南山区粤海街道科技园社区10栋", "南山区桃源街道1号", "杭州市江干区下沙街道", None]


def _raw(rows: list[tuple]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={"name": pl.Utf8, "id_number": pl.Utf8, "phone": pl.Utf8,
                                       "address": pl.Utf8, "source": pl.Utf8}, orient="row")
    return frame.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("record_id"), "source",
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
        pl.lit("person").alias("entity_type"), pl.lit(None, pl.Utf8).alias("extras"),
        "name", "id_number", "phone", "address")


def _normalize(cache: NormalizedCache, raw: pl.DataFrame, region: str | None) -> pl.DataFrame:
    """What normalize_stage does with the cache, in chunks of 7 rows, every row kept."""
    rows = cache.rows("person", region, [raw.slice(i, 5) for i in range(0, raw.height, 5)])
    memo = Memo.of_frame("person", region,
                         raw.join(rows.todo_ids.to_frame(), on="record_id", how="semi"))
    normalize = functools.partial(normalize_records, entity_type="person", region_hint=region,
                                  memo=memo)
    parts = []
    for start in range(0, raw.height, 7):
        part = rows.normalized(raw.slice(start, 7), normalize)
        rows.keep(part)
        parts.append(part)
    return pl.concat(parts)


def _stored(tmp: Path, raw: pl.DataFrame, region: str | None) -> Path:
    """A store file holding the normalized rows of `raw` (as a run writes them)."""
    store = tmp / "store.duckdb"
    store.unlink(missing_ok=True)
    cache = NormalizedCache(None, tmp / "first")
    _normalize(cache, raw, region)
    with duckdb.connect(str(store)) as con:
        cache.write(con)
    return store


row = st.tuples(*(st.sampled_from(v) for v in (NAMES, IDS, PHONES, ADDRESSES)),
                st.sampled_from(["jzdj", "wgzz"]))
REGIONS = st.sampled_from([None, "深圳市", "杭州市"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.lists(row, min_size=1, max_size=30), after=st.lists(row, min_size=1, max_size=30),
       region=REGIONS, other_region=REGIONS, other_code=st.booleans())
def test_the_cache_gives_what_normalizing_gives_and_is_ignored_when_code_or_region_change(
        tmp_path_factory, before, after, region, other_region, other_code):
    tmp = tmp_path_factory.mktemp("cache")
    store = _stored(tmp, _raw(before), region)
    raw = _raw(before[: len(before) // 2] + after)  # some rows kept, others new
    with pytest.MonkeyPatch.context() as patch, duckdb.connect(str(store), read_only=True) as con:
        if other_code:  # the normalizers or their data changed since the store was written
            patch.setattr(normalized, "fingerprint", lambda: "other code")
        cache = NormalizedCache(con, tmp / "second")
        got = _normalize(cache, raw, other_region)
        hits = cache.entities["person"].hits
    expected = normalize_records(raw, "person", region_hint=other_region)
    assert got.schema == expected.schema and got.equals(expected)
    if other_code or other_region != region:
        assert hits == 0
    else:
        seen = set(before)
        assert hits == sum(r in seen for r in before[: len(before) // 2] + after)


def test_a_changed_normalizer_file_or_reference_table_changes_the_fingerprint(tmp_path):
    package = tmp_path / "linkage"
    for pattern in normalized.CODE + normalized.DATA + ("report/*.py",):
        for path in PACKAGE.glob(pattern):
            if path.is_file():
                (package / path.relative_to(PACKAGE)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, package / path.relative_to(PACKAGE))
    before = fingerprint.__wrapped__(package)
    assert fingerprint.__wrapped__(package) == before
    for relative, counts in (("report/html.py", False), ("normalize/address/rules.py", True),
                             ("data/admin/history.csv", True), ("columns.py", True)):
        path = package / relative
        path.write_bytes(path.read_bytes() + b"\n")
        after = fingerprint.__wrapped__(package)
        assert (after != before) == counts, relative
        before = after


def _normalize_sources() -> list[Path]:
    return sorted((PACKAGE / "normalize").rglob("*.py"))


def test_the_fingerprint_covers_what_normalizing_imports_and_loads():
    covered = {p for pattern in normalized.CODE for p in PACKAGE.glob(pattern)}
    data = {p.relative_to(PACKAGE).parts[1] for pattern in normalized.DATA for p in PACKAGE.glob(pattern)}
    modules, libraries, folders = set(), set(), set()
    for path in _normalize_sources():
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                top = name.split(".")[0]
                if top == "linkage":
                    modules.add(name)
                elif top not in sys.stdlib_module_names:
                    libraries.add(top)
            if (isinstance(node, ast.BinOp) and isinstance(node.left, ast.BinOp)
                    and isinstance(node.left.right, ast.Constant) and node.left.right.value == "data"
                    and isinstance(node.right, ast.Constant)):
                folders.add(node.right.value)
    for module in modules:
        relative = Path(*module.split(".")[1:])
        assert (PACKAGE / relative.with_suffix(".py")) in covered or \
            (PACKAGE / relative / "__init__.py") in covered, module
    assert libraries <= set(normalized.LIBRARIES)
    assert folders and folders <= data, folders - data
