"""The report's "reviewed quality" section on the demo run: a note before anyone reviewed, then
labels per queue and the audit estimate with its intervals and band once the sample is labelled."""

from __future__ import annotations

import polars as pl

from linkage.report import build_report
from linkage.review.finished import FinishedRun
from linkage.review.session import ReviewSession
from tests.conftest import REPO


def _section(run: FinishedRun, language: str = "zh"):
    sections, errors = build_report(run.engine, run.metrics, language)
    assert errors == []
    return next(s for s in sections if s.id == "reviewed_quality")


def test_the_section_before_and_after_a_review(fresh_run):
    run = FinishedRun(fresh_run.output)
    try:
        before = _section(run)
        assert before.unavailable is None and not before.tables
        assert "还没有人工判定" in " ".join(before.sentences)
        session = ReviewSession(run, "clerk", audit_size=60, audit_seed=4)
        truth = pl.read_parquet(REPO / "data" / "fixtures" / "truth.parquet")
        entity = {(s, r): e for s, r, e in truth.select("source", "source_row", "entity_id").iter_rows()}
        audit = session.queues["audit"]
        for index, row in enumerate(audit.iter_rows(named=True)):
            same = entity[(row["source_l"], int(row["key_l"]))] == entity[(row["source_r"], int(row["key_r"]))]
            session.label("audit", index, "same" if same else "different")
        session.label("audit", 0, "unsure")
        after = _section(run)
        text = " ".join(after.sentences)
        assert f"共 {audit.height} 对记录有人工判定" in text
        assert "准确率" in text and "召回率" in text and "（不确定 1 对）" in text
        tables = {t.key: t for t in after.tables}
        assert [r[0] for r in tables["review_queues"].rows] == ["抽样核查"]
        estimates = tables["reviewed_quality"]
        columns = [c.name for c in estimates.columns]
        person = dict(zip(columns, next(r for r in estimates.rows if r[0] == "人员")))
        assert person["labelled"] == sum(1 for r in audit["entity_type"] if r == "person") - (
            audit["entity_type"][0] == "person")
        assert person["precision_low"] <= person["precision"] <= person["precision_high"]
        assert person["recall_low"] <= person["recall"] <= person["recall_high"]
        assert person["redundant_low"] <= person["redundant_records"] <= person["redundant_high"]
        english = " ".join(_section(run, "en").sentences)
        assert "precision" in english and "95% interval" in english
    finally:
        run.close()


def test_the_finished_run_is_read_within_the_runs_memory_limit_and_threads(fresh_run):
    """The review opens the run's database within the DuckDB limits the run was configured
    with (metrics.json `run.engine`), as `linkage report` does."""
    import json

    path = fresh_run.output / "metrics.json"
    metrics = json.loads(path.read_text(encoding="utf-8"))
    metrics["run"]["engine"] = {"kind": "duckdb", "memory_limit": "300MB", "threads": 1}
    path.write_text(json.dumps(metrics, ensure_ascii=False), encoding="utf-8")
    run = FinishedRun(fresh_run.output)
    try:
        limit, threads = run.engine.sql("SELECT current_setting('memory_limit') AS m, "
                                        "current_setting('threads') AS t").row(0)
    finally:
        run.close()
    assert limit in ("286.1 MiB", "300.0 MB") and threads == 1
