"""The entity store on real runs: ids that persist month to month, the run history, the lock,
and a store left exactly as it was by a run that fails or is killed (kill -9 at seven points of
an incremental run: month 3 carries month 2's pairs and reads its normalized rows; one point is
inside the store's transaction, its normalized rows written)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from linkage import outputs
from linkage.cli import main
from linkage.config import load_config
from linkage.errors import ConfigError, OutputError, RunError
from linkage.pipeline import run
from linkage.store.diff import entity_changes, record_changes
from linkage.synth.generate import generate_months
from tests.report.browser import CHROMIUM, open_page

REPO = Path(__file__).resolve().parents[2]


def _run(folder: Path) -> dict:
    return run(load_config(folder / "config.yaml"), echo=lambda _m: None)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """Three months of an 800-people city; months 1 and 2 run against the store."""
    out = tmp_path_factory.mktemp("city")
    generate_months(out, 800, 3, seed=2, workers=1)
    metrics = [_run(out / f"month-0{k}") for k in (1, 2)]
    return out, metrics


def _clusters(folder: Path) -> pl.DataFrame:
    return pl.read_parquet(folder / "out" / "clusters.parquet")


def test_ids_persist_from_month_to_month(city):
    out, metrics = city
    first, second = _clusters(out / "month-01"), _clusters(out / "month-02")
    assert {"record_key", "row_hash"} <= set(second.columns)
    both = first.join(second, on=["source", "record_key"], suffix="_next")
    assert both.height > 0.97 * first.height
    assert (both["entity_id"] == both["entity_id_next"]).mean() > 0.99
    golden = pl.read_parquet(out / "month-02" / "out" / "golden_person.parquet")
    assert set(golden["entity_id"]) == set(second.filter(pl.col("entity_type") == "person")["entity_id"])
    assert metrics[1]["store"]["run"] == 2
    counts = metrics[1]["store"]["person"]
    people = [f.filter(pl.col("entity_type") == "person").height for f in (first, second)]
    assert counts["unchanged_records"] + counts["changed_records"] + counts["removed_records"] == people[0]
    assert counts["unchanged_records"] + counts["changed_records"] + counts["added_records"] == people[1]
    assert counts["unchanged_records"] > 0.95 * people[0]


def test_the_store_explains_every_id_that_went_away(city):
    out, _ = city
    first, second = _clusters(out / "month-01"), _clusters(out / "month-02")
    gone = set(first["entity_id"]) - set(second["entity_id"])
    with duckdb.connect(str(out / "store.duckdb"), read_only=True) as con:
        history = con.sql("SELECT * FROM entity_history WHERE run = 2").pl()
        runs = con.sql("SELECT run FROM runs ORDER BY run").pl()["run"].to_list()
        retired = set(con.sql("SELECT entity_id FROM entity_ids WHERE retired_run = 2").pl()["entity_id"])
        top = con.execute("SELECT max(entity_id) FROM entity_ids WHERE entity_type = 'person'").fetchone()[0]
    assert runs == [1, 2]
    explained = set(history.filter(pl.col("kind").is_in(["merged", "retired"]))["old_id"])
    assert gone == explained == retired
    arrived = set(second["entity_id"]) - set(first["entity_id"])
    assert arrived == set(history.filter(pl.col("kind").is_in(["new", "split"]))["new_id"])
    assert all(i > max(first.filter(pl.col("entity_type") == "person")["entity_id"]) for i in arrived
               if i.startswith("P")) and top == max(second.filter(pl.col("entity_type") == "person")["entity_id"])


def test_a_second_run_against_a_store_in_use_is_refused(city):
    out, _ = city
    before = _digest(out / "store.duckdb")
    with outputs.lock(out / "store.duckdb", "held by the test"), \
            pytest.raises(OutputError, match="entity store"):
        _run(out / "month-03")
    assert _digest(out / "store.duckdb") == before


def test_a_failed_run_leaves_the_store_as_it_was(city, tmp_path):
    out, _ = city
    before = _digest(out / "store.duckdb")
    config = (out / "month-03" / "config.yaml").read_text(encoding="utf-8")
    broken = out / "month-03" / "broken.yaml"
    broken.write_text(config.replace("path: jzdj.csv", "path: missing.csv").replace(
        "output: out", "output: broken-out"), encoding="utf-8")
    with pytest.raises(RunError):
        run(load_config(broken), echo=lambda _m: None)
    assert _digest(out / "store.duckdb") == before


def test_a_key_column_the_export_lacks_is_named(city):
    out, _ = city
    before = _digest(out / "store.duckdb")
    config = (out / "month-03" / "config.yaml").read_text(encoding="utf-8")
    wrong = out / "month-03" / "wrong-key.yaml"
    wrong.write_text(config.replace("key: 序号", "key: 编号", 1).replace("output: out", "output: wrong-out"),
                     encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sources\.\w+\.key.*'编号'"):
        run(load_config(wrong), echo=lambda _m: None)
    assert _digest(out / "store.duckdb") == before


# `linkage run CONFIG` that stops inside the store's transaction, once the normalized rows are
# written into the store's new state (`linkage.store.normalized`) and before it is committed
PAUSED_IN_CACHE_WRITE = """
import sys, time
from linkage.cli import main
from linkage.store.normalized import NormalizedCache
write = NormalizedCache.write
def paused(self, con):
    write(self, con)
    print("normalized rows written …", file=sys.stderr, flush=True)
    time.sleep(300)
NormalizedCache.write = paused
main(["run", sys.argv[1]])
"""


@pytest.mark.parametrize("point", ["normalize", "pairs kept in the entity store", "link",
                                   "stable entity ids", "measure", "normalized rows written",
                                   "report"])
def test_kill_9_leaves_the_store_unchanged(city, tmp_path, point):
    out, _ = city
    before = _digest(out / "store.duckdb")
    config = str(out / "month-03" / "config.yaml")
    command = ([sys.executable, "-c", PAUSED_IN_CACHE_WRITE, config] if point == "normalized rows written"
               else [sys.executable, "-m", "linkage.cli", "run", config])
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               text=True)
    for line in process.stderr:
        if line.strip().endswith(f"{point} …"):
            os.kill(process.pid, signal.SIGKILL)
            break
    assert process.wait(timeout=300) == -signal.SIGKILL
    assert _digest(out / "store.duckdb") == before
    with duckdb.connect(str(out / "store.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(run) FROM runs").fetchone()[0] == 2


def test_after_the_kills_the_next_run_goes_on_from_the_store(city):
    out, _ = city
    metrics = _run(out / "month-03")
    assert metrics["store"]["run"] == 3
    person = metrics["store"]["person"]  # an incremental run: month 2's pairs carried
    assert person["carried_pairs"] > 10 * person["compared_pairs"] > 0
    assert not list(out.glob(".store.duckdb.building-*"))


def test_diff_lists_what_changed_between_two_months(city):
    out, metrics = city
    result = CliRunner().invoke(main, ["diff", str(out / "month-01" / "out"), str(out / "month-02" / "out")])
    assert result.exit_code == 0, result.output
    counts = metrics[1]["store"]["person"]
    line = next(li for li in result.output.splitlines() if li.strip().startswith("person:"))
    assert f"new {counts['new']:,}" in line and f"retired {counts['retired']:,}" in line
    a, b = (pl.read_parquet(out / f"month-0{k}" / "out" / "clusters.parquet") for k in (1, 2))
    changes = record_changes(a, b).filter(pl.col("entity_type") == "person")
    assert int(changes["added"].sum()) == counts["added_records"]
    assert int(changes["removed"].sum()) == counts["removed_records"]
    entities = entity_changes(a, b)
    assert set(entities.filter(pl.col("kind") == "retired")["id_a"]) == \
        set(a["entity_id"]) - set(b["entity_id"]) - set(entities.filter(pl.col("kind") == "merged")["id_a"])


def test_diff_refuses_outputs_without_a_store(tmp_path):
    pl.DataFrame({"record_id": [1], "entity_id": ["P1"]}).write_parquet(tmp_path / "clusters.parquet")
    result = CliRunner().invoke(main, ["diff", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 2 and "entity store" in result.output


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (Debian's chromium)")
def test_the_report_shows_the_changes_and_the_trend_in_a_browser(city, tmp_path):
    out, _ = city
    report = out / "month-02" / "out" / "report.html"
    page = open_page(report, tmp_path / "profile")
    try:
        assert page.console_errors == []
        assert page.evaluate("document.querySelector('#changes').className") == "available"
        charts = page.evaluate("document.querySelectorAll('#changes figure.chart svg rect').length")
        assert charts == 4  # two runs, two entity types
        tables = page.evaluate("Array.from(document.querySelectorAll('#changes [data-table]'))"
                               ".map(t => t.dataset.table)")
        assert tables == ["entity_history", "record_changes", "store_runs"]
    finally:
        page.close()


def test_every_duckdb_connection_of_a_run_keeps_to_its_memory_limit_and_threads(city, monkeypatch):
    """A run opens DuckDB connections besides its database — the entity store's, the CSV
    reader's: every one takes the config's `engine.memory_limit` and `threads`."""
    import shutil

    from tests.store.conftest import config_copy

    out, _ = city
    shutil.copyfile(out / "store.duckdb", out / "limited-store.duckdb")
    config = config_copy(out / "month-03", "limited", "limited-store.duckdb", "limited-out")
    config.write_text(config.read_text(encoding="utf-8")
                      + "engine: {memory_limit: 300MB, threads: 1}\n", encoding="utf-8")
    seen, connect = [], duckdb.connect

    def recording(*args, **kwargs):
        con = connect(*args, **kwargs)
        caller = sys._getframe(1).f_code.co_filename
        seen.append((caller.rsplit("linkage/", 1)[-1], *con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')").fetchall()[0]))
        return con

    monkeypatch.setattr(duckdb, "connect", recording)
    run(load_config(config), echo=lambda _m: None)
    callers = {caller for caller, *_ in seen}
    assert {"store/__init__.py", "connectors/csv.py", "engine/duckdb_engine.py"} <= callers, seen
    assert all(limit in ("286.1 MiB", "300.0 MB") and threads == 1 for _, limit, threads in seen), seen