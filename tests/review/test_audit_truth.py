"""The audit sample against the truth: on synthetic exports with known entities (`linkage synth
--profile sparse`, 3,000 people, one run), a reviewer who answers 300 sampled pairs from
truth.parquet gets precision and recall intervals that hold the true values for at least 17 of
20 samples; the labels file and the report's figures give the same estimate."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from linkage.cli import main
from linkage.config import load_config
from linkage.pipeline import run as run_pipeline
from linkage.review.audit import designs_path, draw, labelled_counts, save_design, unit_key
from linkage.review.estimate import precision_recall
from linkage.review.finished import FinishedRun
from linkage.review.quality import reviewed_quality
from linkage.review.store import LabelStore

LABELS, SEEDS, NEEDED = 300, 20, 17


@pytest.fixture(scope="module")
def synth_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sparse")
    result = CliRunner().invoke(main, ["synth", "--people", "3000", "--profile", "sparse",
                                       "--out", str(folder), "--seed", "3", "-q"])
    assert result.exit_code == 0, result.output
    config = load_config(folder / "config.yaml")
    run_pipeline(config, echo=lambda _m: None)
    run = FinishedRun(config.output_dir())
    yield (run, *_truth(run, folder / "truth.parquet"))
    run.close()


def _truth(run: FinishedRun, truth_path) -> tuple[dict[int, str], float, float]:
    """Each person record's true entity; the true precision and recall over the audit's
    population (pairs in one entity, and candidate pairs in different ones)."""
    engine = run.engine
    engine.load("_truth", pl.read_parquet(truth_path).select("source", "source_row", "entity_id"),
                temp=True)
    engine.execute("CREATE TEMP TABLE _who AS SELECT r.record_id, t.entity_id AS truth, "
                   "c.entity_id AS found FROM records r JOIN _truth t USING (source, source_row) "
                   "JOIN clusters c USING (record_id) WHERE r.entity_type = 'person'")
    linked, right = engine.sql(
        "SELECT count(*), count(*) FILTER (a.truth = b.truth) FROM _who a JOIN _who b "
        "ON a.found = b.found AND a.record_id < b.record_id").row(0)
    missed = engine.scalar(
        "SELECT count(*) FROM pairs p JOIN _who a ON a.record_id = p.record_id_l "
        "JOIN _who b ON b.record_id = p.record_id_r WHERE a.found <> b.found AND a.truth = b.truth")
    who = dict(engine.sql("SELECT record_id, truth FROM _who").iter_rows())
    return who, right / linked, right / (right + missed)


def test_audit_intervals_hold_the_truth(synth_run, tmp_path):
    run, who, precision, recall = synth_run
    model = run.models["person"]
    assert 0.8 < recall < 0.99  # sparse records: the run misses links, there is something to find
    covered = {"precision": 0, "recall": 0}
    widths = []
    for seed in range(SEEDS):
        design = draw(run.engine, "person", model.threshold, model.fingerprint, LABELS, seed,
                      run.output_dir)
        answers = {unit_key(design, u): "same" if who[u["record_id_l"]] == who[u["record_id_r"]]
                   else "different" for u in design["units"]}
        n, x, _ = labelled_counts(design, answers)
        assert n.sum() == LABELS
        quality = precision_recall(design["strata"], n, x)
        covered["precision"] += quality.precision.low <= precision <= quality.precision.high
        covered["recall"] += quality.recall_low <= recall <= quality.recall_high
        widths.append(quality.recall_high - quality.recall_low)
    assert covered["precision"] >= NEEDED and covered["recall"] >= NEEDED, covered
    assert np.mean(widths) < 0.1  # informative, not just safe


def test_labels_written_by_a_reviewer_give_the_reports_figures(synth_run, tmp_path):
    run, who, _, _ = synth_run
    model = run.models["person"]
    config = tmp_path / "synth.yaml"
    config.write_text(f"output: {run.output_dir}\nsources:\n  x: {{path: x.csv}}\n", encoding="utf-8")
    labels = load_config(config).labels_path()
    design = draw(run.engine, "person", model.threshold, model.fingerprint, LABELS, 99,
                  run.output_dir)
    save_design(designs_path(labels), design)
    store = LabelStore(labels)
    for unit in design["units"][:150]:  # the first half, in the sample's order
        l, r = unit["record_id_l"], unit["record_id_r"]
        store.decide([unit_key(design, unit)], "same" if who[l] == who[r] else "different",
                     reviewer="truth", kind="pair", queue="audit", sample=design["id"])
    found = reviewed_quality(run.engine, {"run": {"config": str(config)}})
    estimate = next(e for e in found["estimates"] if e["entity_type"] == "person")
    assert estimate["this_run"] and estimate["labelled"] == 150
    n, x, _ = labelled_counts(design, store.decisions)
    assert estimate["quality"].recall == precision_recall(design["strata"], n, x).recall
