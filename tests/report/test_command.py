"""`linkage report OUTPUT_DIR` re-renders from a run's database and metrics.json."""

from __future__ import annotations

import json

from click.testing import CliRunner

from linkage.engine import open_engine
from linkage.cli import main
from linkage.outputs import write_marker

from .conftest import run_tables


def _run_folder(path, metrics):
    engine = open_engine(str(path / "linkage.duckdb"))
    for name, frame in run_tables().items():
        engine.load(name, frame)
    engine.close()
    (path / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False), encoding="utf-8")
    write_marker(path, "complete", ["linkage.duckdb", "metrics.json"])


def test_report_command_renders_both_files(tmp_path, metrics):
    _run_folder(tmp_path, metrics)
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h1>数据整合报告</h1>" in html and 'data-figure="records_in" data-value="14"' in html
    assert (tmp_path / "report.xlsx").stat().st_size > 0

    result = CliRunner().invoke(main, ["report", str(tmp_path), "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "<h1>Data consolidation report</h1>" in (tmp_path / "report.html").read_text(
        encoding="utf-8")


def test_report_command_defaults_to_the_runs_language(tmp_path, metrics):
    metrics["measure"]["language"] = "en"
    _run_folder(tmp_path, metrics)
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert 'lang="en"' in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_linkage_cli_has_the_report_command(tmp_path, metrics):
    from linkage.cli import main

    _run_folder(tmp_path, metrics)
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--language", "en"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.xlsx").exists()


def test_report_command_explains_a_wrong_folder(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "linkage.duckdb: not found" in result.output


def test_report_command_keeps_to_the_runs_memory_limit_and_threads(tmp_path, metrics, monkeypatch):
    """Re-rendering opens the run's database within the limits the run was configured with
    (metrics.json `run.engine`), not with DuckDB's defaults."""
    import duckdb

    metrics.setdefault("run", {})["engine"] = {"kind": "duckdb", "memory_limit": "300MB",
                                               "threads": 1}
    _run_folder(tmp_path, metrics)
    seen, connect = [], duckdb.connect

    def recording(*args, **kwargs):
        con = connect(*args, **kwargs)
        seen.append(con.execute("SELECT current_setting('memory_limit'), "
                                "current_setting('threads')").fetchall()[0])
        return con

    monkeypatch.setattr(duckdb, "connect", recording)
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen and all(limit in ("286.1 MiB", "300.0 MB") and threads == 1
                        for limit, threads in seen), seen


def test_report_command_ignores_limits_that_are_not_settings(tmp_path, metrics):
    # a hand-edited metrics.json: DuckDB's defaults, not DuckDB's error
    metrics.setdefault("run", {})["engine"] = {"kind": "duckdb", "memory_limit": "lots",
                                               "threads": 0}
    _run_folder(tmp_path, metrics)
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
