"""`linkage evaluate`: score a run's clusters against the ground truth of a synthetic dataset.

Joins `OUTPUT_DIR/clusters.parquet` to truth.parquet on (source, source_row) and computes, per
entity type, in SQL on cluster-size contingency counts (pairs are never enumerated):
- pairwise precision / recall / F1 over record pairs placed in one entity;
- B-cubed precision / recall / F1 (per record, averaged);
- the estimated against the true number of distinct entities and of redundant records
  (records - distinct entities), with their absolute and relative errors.
Prints a table and writes `OUTPUT_DIR/evaluation.json`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from linkage.engine import Engine, open_engine
from linkage.errors import NotARunError
from linkage.outputs import register_files, updating, write_file_atomically

MEMORY_LIMIT = "1GB"  # DuckDB spills beyond this (10M-record runs stay in bounded memory)
_JOINED = """
CREATE TABLE joined AS
SELECT t.entity_type, t.entity_id AS true_id, c.entity_id AS pred_id
FROM read_parquet(?) AS t JOIN read_parquet(?) AS c USING (source, source_row)
"""
_CELLS = """
WITH cells AS (SELECT entity_type, true_id, pred_id, count(*)::DOUBLE AS n FROM joined GROUP BY ALL),
     pred AS (SELECT entity_type, pred_id, count(*)::DOUBLE AS n FROM joined GROUP BY ALL),
     true_ AS (SELECT entity_type, true_id, count(*)::DOUBLE AS n FROM joined GROUP BY ALL),
     scored AS (
        SELECT c.entity_type, c.n, c.n * (c.n - 1) / 2 AS tp, c.n * c.n / p.n AS b_p, c.n * c.n / t.n AS b_r
        FROM cells c JOIN pred p USING (entity_type, pred_id) JOIN true_ t USING (entity_type, true_id))
SELECT s.entity_type, sum(s.n)::BIGINT AS records, sum(s.tp) AS true_positive_pairs,
       any_value(pp.pairs) AS predicted_pairs, any_value(tp.pairs) AS true_pairs,
       sum(s.b_p) / sum(s.n) AS bcubed_precision, sum(s.b_r) / sum(s.n) AS bcubed_recall
FROM scored s
JOIN (SELECT entity_type, sum(n * (n - 1) / 2) AS pairs FROM pred GROUP BY ALL) pp USING (entity_type)
JOIN (SELECT entity_type, sum(n * (n - 1) / 2) AS pairs FROM true_ GROUP BY ALL) tp USING (entity_type)
GROUP BY s.entity_type ORDER BY s.entity_type
"""
_COUNTS = """
SELECT entity_type, count(*) AS records, count(DISTINCT entity_id) AS entities
FROM read_parquet(?) GROUP BY ALL ORDER BY entity_type
"""
_UNMATCHED = """
SELECT entity_type, count(*) AS n FROM read_parquet(?) AS a
ANTI JOIN read_parquet(?) AS b USING (source, source_row) GROUP BY ALL
"""


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    return 2 * p * r / (p + r) if p is not None and r is not None and p + r > 0 else None


def _error(estimated: int, true: int) -> dict:
    return {"estimated": estimated, "true": true, "error": estimated - true,
            "relative_error": _ratio(estimated - true, true)}


def evaluate_clusters(clusters: Path, truth: Path) -> dict:
    """Evaluation figures per entity type for a clusters file against a truth file."""
    with tempfile.TemporaryDirectory(dir=clusters.parent) as spill:
        engine = open_engine(memory_limit=MEMORY_LIMIT)
        try:
            quoted = str(spill).replace("'", "''")
            engine.execute(f"SET temp_directory = '{quoted}'")
            return _figures(engine, clusters, truth)
        finally:
            engine.close()


def _figures(engine: Engine, clusters: Path, truth: Path) -> dict:
    engine.execute(_JOINED, [str(truth), str(clusters)])
    scores = {r["entity_type"]: r for r in engine.sql(_CELLS).to_dicts()}
    estimated = {r["entity_type"]: r for r in engine.sql(_COUNTS, [str(clusters)]).to_dicts()}
    true = {r["entity_type"]: r for r in engine.sql(_COUNTS, [str(truth)]).to_dicts()}
    missing = dict(engine.sql(_UNMATCHED, [str(truth), str(clusters)]).iter_rows())
    unknown = dict(engine.sql(_UNMATCHED, [str(clusters), str(truth)]).iter_rows())
    result = {}
    for entity_type in sorted(set(true) | set(estimated)):
        s = scores.get(entity_type, {})
        est = estimated.get(entity_type, {"records": 0, "entities": 0})
        tru = true.get(entity_type, {"records": 0, "entities": 0})
        precision = _ratio(s.get("true_positive_pairs", 0), s.get("predicted_pairs", 0))
        recall = _ratio(s.get("true_positive_pairs", 0), s.get("true_pairs", 0))
        b_p, b_r = s.get("bcubed_precision"), s.get("bcubed_recall")
        result[entity_type] = {
            "records_evaluated": s.get("records", 0),
            "truth_records_not_in_clusters": missing.get(entity_type, 0),
            "cluster_records_not_in_truth": unknown.get(entity_type, 0),
            "pairwise": {"precision": precision, "recall": recall, "f1": _f1(precision, recall),
                         "true_positive_pairs": int(s.get("true_positive_pairs", 0)),
                         "predicted_pairs": int(s.get("predicted_pairs", 0)),
                         "true_pairs": int(s.get("true_pairs", 0))},
            "bcubed": {"precision": b_p, "recall": b_r, "f1": _f1(b_p, b_r)},
            "distinct_entities": _error(est["entities"], tru["entities"]),
            "redundant_records": _error(est["records"] - est["entities"], tru["records"] - tru["entities"]),
        }
    return result


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def format_table(result: dict) -> str:
    """The evaluation as a readable text table, one column per entity type."""
    types = list(result)
    rows = [("records evaluated", lambda r: f"{r['records_evaluated']:,}"),
            ("truth rows not in clusters", lambda r: f"{r['truth_records_not_in_clusters']:,}")]
    for group in ("pairwise", "bcubed"):
        for measure in ("precision", "recall", "f1"):
            rows.append((f"{group} {measure}", lambda r, g=group, m=measure: _pct(r[g][m])))
    for figure in ("distinct_entities", "redundant_records"):
        label = figure.replace("_", " ")
        rows.append((f"{label}: estimated / true",
                     lambda r, f=figure: f"{r[f]['estimated']:,} / {r[f]['true']:,}"))
        rows.append((f"{label}: error", lambda r, f=figure: f"{r[f]['error']:+,} ({_pct(r[f]['relative_error'])})"))
    width = max(len(label) for label, _ in rows)
    lines = [f"{'':<{width}}  " + "  ".join(f"{t:>18}" for t in types)]
    lines += [f"{label:<{width}}  " + "  ".join(f"{fmt(result[t]):>18}" for t in types) for label, fmt in rows]
    return "\n".join(lines)


@click.command()
@click.argument("output_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--truth", "truth", type=click.Path(exists=True, path_type=Path), required=True,
              help="truth.parquet of `linkage synth` (or the folder holding it).")
def evaluate(output_dir: Path, truth: Path) -> None:
    """Score the clusters of the run in OUTPUT_DIR against a synthetic dataset's TRUTH.

    Pairwise and B-cubed precision / recall / F1 and the error of the estimated numbers of
    distinct entities and redundant records; also written to OUTPUT_DIR/evaluation.json.
    """
    truth = truth / "truth.parquet" if truth.is_dir() else truth
    clusters = output_dir / "clusters.parquet"
    for path in (truth, clusters):
        if not path.is_file():
            raise NotARunError(f"{path}: file not found")
    result = evaluate_clusters(clusters, truth)
    document = json.dumps({"truth": str(truth), "clusters": str(clusters), "entity_types": result},
                          ensure_ascii=False, indent=2) + "\n"
    with updating(output_dir) as folder:
        write_file_atomically(folder / "evaluation.json", document.encode("utf-8"))
        register_files(folder, ["evaluation.json"])
    click.echo(format_table(result))
    click.echo(f"\nwritten to {output_dir / 'evaluation.json'}")
