"""The reviewed quality of a run, for the report: labels per queue, certified precision and recall.

`reviewed_quality(engine, metrics)` finds the labels file through the run's config (metrics.json
`run.config`), counts the decisions in force per queue, and for each entity type takes the audit
design drawn from this very run (same fingerprint; else the latest, flagged as from an earlier
run) and estimates precision and recall from its labels (`linkage.review.estimate`), with the
band they put on redundant records and distinct entities of the run the sample was drawn from.
"""

from __future__ import annotations

import polars as pl

from linkage.errors import LinkageError
from linkage.link.labels import current, read_labels
from linkage.review.audit import design_for, designs_path, labelled_counts, load_designs
from linkage.review.estimate import precision_recall, redundancy_band
from linkage.review.finished import config_of, fingerprint
from linkage.review.store import KEY_COLUMNS


def reviewed_quality(engine, metrics: dict, output_dir=None) -> dict:
    """{"labels": path or None, "problem": message or None, "queues": frame of counts,
    "estimates": [per entity type dict]}."""
    try:
        path = config_of(metrics, output_dir or "the run").labels_path()
        rows = read_labels(path)
        designs = load_designs(designs_path(path))
    except LinkageError as exc:
        return {"labels": None, "problem": str(exc), "queues": None, "estimates": []}
    decided = current(rows)
    queues = decided.group_by("queue", "decision").len().pivot(
        on="decision", index="queue", values="len").fill_null(0) if decided.height else None
    decisions = {tuple(r[:-1]): r[-1]
                 for r in decided.select(*KEY_COLUMNS, "decision").iter_rows()}
    estimates = []
    models = engine.sql("SELECT * FROM link_model ORDER BY entity_type").to_dicts() \
        if "link_model" in engine.tables() else []
    for row in models:
        design, this_run = design_for(designs, row["entity_type"], fingerprint(row))
        if design is None:
            continue
        n, x, unsure = labelled_counts(design, decisions)
        quality = precision_recall(design["strata"], n, x)
        estimates.append({
            "entity_type": row["entity_type"], "design": design["id"], "this_run": this_run,
            "drawn": design["created_at"], "sample": len(design["units"]),
            "labelled": int(n.sum()), "unsure": unsure, "quality": quality,
            "band": redundancy_band(design["run"]["records"], design["run"]["entities"], quality),
            "records": design["run"]["records"], "entities": design["run"]["entities"],
        })
    return {"labels": path, "problem": None, "queues": queues, "estimates": estimates}


def queue_counts(queues: pl.DataFrame | None) -> pl.DataFrame:
    """Labelled pairs per queue: same, different, unsure and all (every decision column)."""
    columns = ("same", "different", "unsure")
    if queues is None:
        return pl.DataFrame(schema={"queue": pl.Utf8, **{c: pl.Int64 for c in columns},
                                    "labelled": pl.Int64})
    queues = queues.with_columns([pl.lit(0, pl.UInt32).alias(c) for c in columns
                                  if c not in queues.columns])
    return queues.select("queue", *columns, pl.sum_horizontal(columns).alias("labelled")).sort("queue")
