"""linkage evaluate on a hand-made clusters / truth pair with figures worked out by hand."""

import json

import polars as pl
import pytest
from click.testing import CliRunner

from linkage.cli import main
from linkage.outputs import read_marker, write_marker

from linkage.synth.evaluate import evaluate_clusters


@pytest.fixture
def run_dir(tmp_path):
    # truth: person A = rows 1-3, B = rows 4-5, C = row 8 (quarantined: not in clusters);
    # enterprise E = rows 6-7.  The run: X = {1, 2}, Y = {3, 4, 5}; 6 and 7 apart.
    truth = pl.DataFrame({
        "source": ["s"] * 5 + ["e", "e", "s"],
        "source_row": [1, 2, 3, 4, 5, 1, 2, 8],
        "entity_type": ["person"] * 5 + ["enterprise"] * 2 + ["person"],
        "entity_id": ["A", "A", "A", "B", "B", "E", "E", "C"],
        "errors": [[]] * 8,
    })
    clusters = pl.DataFrame({
        "record_id": [1, 2, 3, 4, 5, 6, 7],
        "source": ["s"] * 5 + ["e", "e"],
        "source_row": [1, 2, 3, 4, 5, 1, 2],
        "entity_type": ["person"] * 5 + ["enterprise"] * 2,
        "entity_id": ["X", "X", "Y", "Y", "Y", "Z1", "Z2"],
    })
    out = tmp_path / "out"
    out.mkdir()
    truth.write_parquet(tmp_path / "truth.parquet")
    clusters.write_parquet(out / "clusters.parquet")
    write_marker(out, "complete", ["clusters.parquet"])
    return tmp_path


def test_figures_match_hand_computation(run_dir):
    result = evaluate_clusters(run_dir / "out" / "clusters.parquet", run_dir / "truth.parquet")
    person = result["person"]
    # cells (A,X)=2 (A,Y)=1 (B,Y)=2: 2 true positive pairs of 4 predicted and 4 true
    assert person["pairwise"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "true_positive_pairs": 2,
                                  "predicted_pairs": 4, "true_pairs": 4}
    # B-cubed: (4/2 + 1/3 + 4/3) / 5 both ways
    assert person["bcubed"]["precision"] == pytest.approx(11 / 15)
    assert person["bcubed"]["recall"] == pytest.approx(11 / 15)
    assert person["records_evaluated"] == 5
    assert person["truth_records_not_in_clusters"] == 1
    assert person["distinct_entities"] == {"estimated": 2, "true": 3, "error": -1, "relative_error": -1 / 3}
    assert person["redundant_records"] == {"estimated": 3, "true": 3, "error": 0, "relative_error": 0.0}
    enterprise = result["enterprise"]
    assert enterprise["pairwise"]["precision"] is None  # no predicted pairs
    assert enterprise["pairwise"]["recall"] == 0.0
    assert enterprise["bcubed"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3)}
    assert enterprise["distinct_entities"]["error"] == 1
    assert enterprise["redundant_records"] == {"estimated": 0, "true": 1, "error": -1, "relative_error": -1.0}


def test_perfect_clusters_score_one(run_dir):
    truth = pl.read_parquet(run_dir / "truth.parquet")
    perfect = truth.with_row_index("record_id").select("record_id", "source", "source_row", "entity_type",
                                                        "entity_id")
    perfect.write_parquet(run_dir / "out" / "clusters.parquet")
    result = evaluate_clusters(run_dir / "out" / "clusters.parquet", run_dir / "truth.parquet")
    for figures in result.values():
        assert figures["pairwise"]["f1"] == 1.0
        assert figures["bcubed"]["f1"] == 1.0
        assert figures["distinct_entities"]["error"] == 0


def test_command_prints_table_and_writes_json(run_dir):
    out = run_dir / "out"
    result = CliRunner().invoke(main, ["evaluate", str(out), "--truth", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "pairwise precision" in result.output and "50.00%" in result.output
    saved = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert saved["entity_types"]["person"]["pairwise"]["true_pairs"] == 4
    assert "evaluation.json" in read_marker(out)["files"]  # the next run may replace it


def test_command_names_missing_clusters(tmp_path, run_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["evaluate", str(empty), "--truth", str(run_dir / "truth.parquet")])
    assert result.exit_code == 2
    assert "clusters.parquet: file not found" in result.output
