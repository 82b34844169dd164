"""Probabilistic record linkage: link and de-duplicate all sources of one entity type at once.

`run_linkage(engine, settings)` reads table `records` and, for
each entity type present, blocks (SQL equi-joins, `blocking`), compares (vectorised levels, `comparisons`), estimates a
Fellegi–Sunter model (u from random pairs, m by EM sessions per blocking rule, the prior as the
chance that two random records match, `model`), scores, applies the domain rules and clusters
(`cluster`).  It writes the tables

- `pairs`: record_id_l < record_id_r, entity_type, match_weight, match_probability, rule
  (domain-rule or review override, or null), blocked_by (first blocking rule that found the pair),
  gamma_<comparison> (level, -1 missing) and bf_<comparison> (Bayes factor) per comparison;
- `clusters`: record_id, source, source_row, entity_type, entity_id ("P"/"E" + the entity's
  smallest record id, zero-padded), one row per record, singletons included;
- `blocking_stats`: entity_type, rule_order, rule, pairs (new pairs), candidate_pairs (alone);
- `blocking_plan`: entity_type, rule_order, rule, reason, planned (false: the config's rules);
- `blocking_coverage`: entity_type, source_l, source_r, shared (attributes both carry), rules
  (usable between them), fragile (attributes one error in which leaves no rule between them);
- `attribute_fill`: entity_type, source, attribute, key, fill (share of records with the key);
- `possible_matches`: entity_type, record_id_l, record_id_r, match_probability, match_weight —
  pairs between `possible_threshold` and `threshold` whose records are in different entities,
  most probable first (for review; never merged, never dropped);
- `recall_estimate`: per entity type, source and kind of record (identifier missing / invalid),
  how many are linked, the recovery rate of silver records made to look like them and the
  records estimated missed (`linkage.link.recall`);
- `model_params`: entity_type, comparison, gamma, level, level_zh, m, u, bayes_factor,
  match_weight (log2 Bayes factor), tf (frequency-weighted level), u_twins (the name's u among
  twins, where the run learnt one: `linkage.link.siblings`);
- `link_model`: entity_type, prior (λ: two random records match), threshold, iterations,
  converged, trained_on (the EM sessions and what each fitted, or the labels), model_source
  ("store (run N)" when the entity store's model was reused, else "trained (why)"),
  candidate_pairs, linked_pairs, entities, settings (the resolved settings as JSON, which
  `linkage explain` uses to recompute a pair);

and returns a small dict of figures per entity type.  The `explain` command
(`linkage.link.explain`) prints one pair's waterfall from these tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from linkage.errors import BlockingBudgetError
from linkage.link.incremental import Carry
from linkage.link.run import EntityResult, StoredModel, link_entity
from linkage.link.settings import LinkageSettings

__all__ = ["run_linkage", "LinkageSettings", "BlockingBudgetError"]


def _model_params(result: EntityResult) -> pl.DataFrame:
    rows = []
    model = result.model
    twins = model.siblings
    for k, (comp, m, u) in enumerate(zip(model.comparisons, model.m, model.u)):
        for gamma in range(len(comp.levels), -1, -1):
            level = comp.levels[len(comp.levels) - gamma] if gamma else None
            rows.append({
                "entity_type": result.entity_type, "comparison": comp.name, "gamma": gamma,
                "level": comp.label(gamma), "level_zh": comp.label(gamma, zh=True),
                "m": float(m[gamma]), "u": float(u[gamma]),
                "bayes_factor": float(m[gamma] / u[gamma]),
                "match_weight": float(np.log2(m[gamma] / u[gamma])),
                "tf": bool(level.tf) if level else False,
                "u_twins": (float(twins.u[gamma]) if twins is not None and k == twins.name
                            else None),
            })
    return pl.DataFrame(rows, schema_overrides={"u_twins": pl.Float64})


def _empty(engine, name: str, **types: str) -> None:
    """Table `name` with no rows and the columns `types` (column → dialect type name)."""
    d = engine.dialect
    engine.create_table(name, "SELECT " + ", ".join(f"{d.null(t)} AS {d.quote(c)}"
                                                    for c, t in types.items()) + " LIMIT 0")


def _write(engine, name: str, frames: list[pl.DataFrame], order: list[str],
           descending: list[bool] | None = None) -> None:
    """Table `name`: the frames stacked by column name, sorted by `order`."""
    stacked = pl.concat(frames, how="diagonal_relaxed")
    engine.load(name, stacked.sort(order, descending=descending or False, maintain_order=True))


def run_linkage(engine, settings: dict[str, LinkageSettings],
                progress: Callable[[str], None] | None = None, *,
                base_dir: Path | None = None, pairs_in_background: bool = False,
                labels: Path | None = None, models: dict[str, StoredModel] | None = None,
                retrain: str | None = None, carry: Carry | None = None) -> dict:
    """Link every entity type in `records`; write the linkage tables; return figures.

    `settings` maps entity type to its settings (missing = defaults); `progress` receives
    one-line messages; `base_dir` resolves relative `labels` paths (the config's folder);
    with `pairs_in_background` table `pairs` is written while the caller goes on (read it only
    after `engine.settle()`); `labels` is the review labels file whose decisions the run honours
    (`linkage.link.labels`); `models` are the entity store's models per entity type, reused while
    valid (`obtain_model`) unless `retrain` gives a reason to train anyway ("--retrain",
    "--full"); `carry` holds the store's pairs of unchanged records, whose levels are carried
    instead of compared again (`linkage.link.incremental`)."""
    entity_types = sorted(engine.sql("SELECT DISTINCT entity_type FROM records")["entity_type"]
                          .to_list())
    results = [link_entity(engine, e, settings.get(e) or LinkageSettings(), progress, base_dir,
                           labels, (models or {}).get(e), retrain, carry) for e in entity_types]
    if not results:
        _empty(engine, "pairs", record_id_l="bigint", record_id_r="bigint", entity_type="text",
               match_weight="double", match_probability="double", rule="text", blocked_by="text")
        _empty(engine, "clusters", record_id="bigint", source="text", source_row="bigint",
               entity_type="text", entity_id="text")
        return {}
    # each entity type's pairs come in (record_id_l, record_id_r) order and the entity types in
    # sorted order: appended batch by batch as they are, not sorted again (a column only a
    # later entity type has is null in the earlier rows)
    engine.drop_table("pairs")
    append = engine.append_in_background if pairs_in_background else engine.append
    for r in results:
        for batch in r.pairs.batches():
            append("pairs", batch)
    # the records' lineage is read now, not held through the linking
    lineage = engine.sql("SELECT record_id, source, source_row, entity_type FROM records")
    engine.load("clusters", lineage.join(pl.concat([r.clusters for r in results]), on="record_id")
                .sort("record_id"))
    _write(engine, "blocking_stats", [pl.DataFrame({
        "entity_type": r.entity_type, "rule_order": i, "rule": b.label, "pairs": b.pairs,
        "candidate_pairs": b.candidate_pairs}) for r in results for i, b in enumerate(r.blocking)],
        ["entity_type", "rule_order"])
    _write(engine, "blocking_plan", [r.plan.table() for r in results], ["entity_type", "rule_order"])
    _write(engine, "blocking_coverage", [r.plan.coverage.with_columns(entity_type=pl.lit(r.entity_type))
                                         for r in results], ["entity_type", "source_l", "source_r"])
    _write(engine, "attribute_fill", [r.plan.fill.with_columns(entity_type=pl.lit(r.entity_type))
                                      for r in results], ["entity_type", "source", "key"])
    _write(engine, "possible_matches", [r.possible for r in results],
           ["entity_type", "match_probability", "record_id_l", "record_id_r"],
           [False, True, False, False])
    estimates = [r.recall_table for r in results if r.recall_table.height]
    if estimates:
        _write(engine, "recall_estimate", estimates, ["entity_type", "source", "kind"])
    _write(engine, "model_params", [_model_params(r) for r in results],
           ["entity_type", "comparison", "gamma"], [False, False, True])
    stats = {}
    for r in results:
        entities = int(r.clusters["entity_id"].n_unique())
        stats[r.entity_type] = {
            "records": r.clusters.height, "entities": entities,
            "candidate_pairs": r.pairs.num_rows, "linked_pairs": r.linked_pairs,
            "pairs_per_rule": {b.label: b.pairs for b in r.blocking},
            "threshold": r.settings.threshold, "iterations": r.model.iterations,
            "converged": r.model.converged, "lambda": r.model.prior,
            "trained_on": r.model.trained_on, "seconds": r.seconds,
            "model_source": r.model.source, "u_drift": r.model.drift,
            "recall_estimate": r.recall,
            "possible_matches": r.possible.height,
            "possible_threshold": r.settings.possible_threshold,
            "entities_if_possible_linked": r.entities_if_linked,
            "assignment": {"unidentified_entities": int(len(r.assignment.queries)),
                           "joined": r.assignment.joined,
                           "twin_rate": {k: round(v, 4) for k, v in
                                         sorted(r.assignment.twin_rate.items())}},
            "review_labels": r.labels,
            # names of twins (same day, same household) weighed against twins' names
            "twins": (r.model.siblings.summary(r.model.comparisons, r.model.u)
                      if r.model.siblings is not None else None),
        }
    _write(engine, "link_model", [pl.DataFrame([{
        "entity_type": r.entity_type, "prior": r.model.prior, "threshold": r.settings.threshold,
        "iterations": r.model.iterations, "converged": r.model.converged,
        "trained_on": r.model.trained_on, "model_source": r.model.source,
        "candidate_pairs": r.pairs.num_rows,
        "linked_pairs": stats[r.entity_type]["linked_pairs"],
        "entities": stats[r.entity_type]["entities"],
        "settings": r.settings.model_dump_json()}]) for r in results], ["entity_type"])
    return stats
