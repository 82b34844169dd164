"""What the pair view and the cluster view show, as plain dicts for the app to send as JSON.

`pair_view` puts two records side by side: each field's normalized value (table `records`) and
raw value (table `raw_records`), with the level its comparison reached, coloured by the evidence
that level carries (`strong`: at least `STRONG` bits for a match, `weak`: some, `against`: none
or against, `neutral`: not counted — a value missing, or a birth date the agreeing ID number
already speaks for); the match-weight waterfall — the prior
(log2 of its odds, table `link_model`), each comparison's contribution (log2 of its Bayes
factor, the pair's `bf_*` column) and the total; and where each record came from (source,
file, sheet or table, data row and the file row it sits on).  A pair no blocking rule produced
(two records joined only through others) is compared now with the run's model
(`linkage.link.explain`).  `cluster_view` lists an entity's records and the links inside it.
ID numbers, credit codes and phones are masked (`linkage.measure.masking`) unless `reveal`.
"""

from __future__ import annotations

import math

import polars as pl

from linkage.attributes import ATTRIBUTES
from linkage.columns import bayes_factor
from linkage.link.explain import _computed_pair
from linkage.measure.masking import mask_text, mask_value
from linkage.report.i18n import column_label
from linkage.review.finished import EntityModel, FinishedRun

SUMMARY = {"person": ("name", "gender", "birth_date", "id_number", "phone", "address"),
           "enterprise": ("name", "uscc", "legal_rep", "phone", "address")}


def shown(value, attribute: str, reveal: bool) -> str | None:
    """A value as the reviewer sees it: masked unless revealed."""
    if value is None:
        return None
    text = str(value)
    return text if reveal else mask_text(mask_value(text, attribute))


def _labels(column: str, entity_type: str) -> dict:
    """A field's name in both languages: the entity type's attribute, else the report's label."""
    attr = ATTRIBUTES[entity_type].get(column)
    return {"label": attr.label_en if attr else column_label(column, "en"),
            "label_zh": attr.label_zh if attr else column_label(column, "zh")}


def _lineage(run: FinishedRun, record: dict, entity_id: str | None) -> dict:
    source = run.sources.get(record["source"], {})
    header = source.get("header_row")
    return {"record_id": record["record_id"], "entity_id": entity_id, "source": record["source"],
            "title": source.get("title"), "system": source.get("system"),
            "file": source.get("path"), "format": source.get("format"),
            "sheet": source.get("sheet"), "table": source.get("table"),
            "source_row": record["source_row"],
            "file_row": header + record["source_row"] if header is not None else None}


STRONG = 4.0  # bits: a level that makes a match at least 16 times likelier


def _evidence(gamma: int, weight: float) -> str:
    if gamma < 0 or abs(weight) < 1e-9:  # missing, or a group's weaker agreement
        return "neutral"
    return "strong" if weight >= STRONG else "weak" if weight > 0 else "against"


def _shown_columns(comparison) -> list[str]:
    """The columns of a comparison worth a row: its own and its fallback, and derived ones
    with a name (pinyin, the address's building key), not internal flags."""
    named = [c for c in (comparison.fallback, *comparison.columns)
             if c and column_label(c, "en") != c]
    return list(dict.fromkeys([comparison.column, *named]))


def _scored_pair(run: FinishedRun, model: EntityModel, left: int, right: int) -> tuple[dict, bool]:
    """The pair's row of table `pairs`, else the pair compared now; and whether it was scored."""
    rows = run.engine.sql("SELECT * FROM pairs WHERE record_id_l = ? AND record_id_r = ?",
                          [left, right]).to_dicts()
    if rows:
        return rows[0], True
    return _computed_pair(run.engine, left, right, model.entity_type, model.settings, model.params,
                          model.prior), False


def pair_view(run: FinishedRun, a: int, b: int, reveal: bool = False) -> dict:
    left, right = sorted((int(a), int(b)))
    records = run.engine.sql("SELECT * FROM records WHERE record_id IN (?, ?) ORDER BY record_id",
                             [left, right])
    if records.height != 2 or records["entity_type"].n_unique() != 1:
        raise KeyError(f"records {left} and {right} are not two records of one entity type")
    entity_type = records["entity_type"][0]
    model = run.models[entity_type]
    raw = run.engine.sql("SELECT * FROM raw_records WHERE record_id IN (?, ?) ORDER BY record_id",
                         [left, right])
    entities = dict(run.engine.sql("SELECT record_id, entity_id FROM clusters "
                                   "WHERE record_id IN (?, ?)", [left, right]).iter_rows())
    pair, scored = _scored_pair(run, model, left, right)
    rec, rawd = records.to_dicts(), {r["record_id"]: r for r in raw.to_dicts()}
    params = model.params
    steps, compared = [], {}
    for comp in model.comparisons:
        gamma = int(pair[f"gamma_{comp.name}"])
        level = params.filter((pl.col("comparison") == comp.name) & (pl.col("gamma") == gamma))
        row = level.row(0, named=True) if level.height else {}
        weight = math.log2(pair[bayes_factor(comp.name)])
        both = all(r.get(comp.column) is not None or (comp.fallback and r.get(comp.fallback))
                   for r in rec)
        step = {"comparison": comp.name, "gamma": gamma, "class": _evidence(gamma, weight),
                "level": row.get("level") or comp.label(gamma),
                "level_zh": row.get("level_zh") or comp.label(gamma, zh=True),
                # neutral although both hold a value: the agreeing identifier speaks for it
                "implied_by": comp.implied_by if gamma < 0 and both else None,
                # agreeing, but its group (phone and address: a household) counts its best once
                "grouped": comp.group if gamma > 0 and abs(weight) < 1e-9 else None,
                "weight": weight,
                "m": row.get("m") if gamma >= 0 else None, "u": row.get("u") if gamma >= 0 else None}
        steps.append(step)
        for column in _shown_columns(comp):
            compared.setdefault(column, step)
    attributes = ATTRIBUTES[entity_type]
    order = list(dict.fromkeys([*(c for c in compared if c in records.columns), *attributes]))
    fields = []
    for column in order:
        values = [{"normalized": shown(r.get(column), column, reveal),
                   "raw": shown(rawd.get(r["record_id"], {}).get(column), column, reveal)}
                  for r in rec]
        if all(v["normalized"] is None and v["raw"] is None for v in values):
            continue
        step = compared.get(column) or {}
        fields.append({"attribute": column, **_labels(column, entity_type), "values": values,
                       "comparison": step.get("comparison"), "class": step.get("class", "none"),
                       "level": step.get("level"), "level_zh": step.get("level_zh"),
                       "weight": step.get("weight"), "implied_by": step.get("implied_by"),
                       "grouped": step.get("grouped")})
    prior = math.log2(model.prior / (1 - model.prior))
    return {
        "entity_type": entity_type, "record_id_l": left, "record_id_r": right,
        "records": [_lineage(run, r, entities.get(r["record_id"])) for r in rec],
        "same_entity": entities.get(left) == entities.get(right),
        "fields": fields, "revealed": reveal,
        "waterfall": {"prior": prior, "steps": steps, "total": float(pair["match_weight"]),
                      "probability": float(pair["match_probability"]),
                      "threshold": model.threshold, "rule": pair.get("rule"), "scored": scored},
    }


def cluster_view(run: FinishedRun, entity_id: str, reveal: bool = False) -> dict:
    records = run.engine.sql("SELECT r.* FROM records r JOIN clusters c USING (record_id) "
                             "WHERE c.entity_id = ? ORDER BY r.record_id", [entity_id])
    if not records.height:
        raise KeyError(f"no entity {entity_id}")
    entity_type = records["entity_type"][0]
    model = run.models[entity_type]
    columns = [c for c in SUMMARY[entity_type] if c in records.columns]
    links = run.engine.sql(
        "SELECT p.record_id_l, p.record_id_r, p.match_weight, p.match_probability, p.rule "
        "FROM pairs p JOIN clusters a ON a.record_id = p.record_id_l "
        "JOIN clusters b ON b.record_id = p.record_id_r "
        "WHERE a.entity_id = ? AND b.entity_id = ? ORDER BY p.match_weight DESC", [entity_id, entity_id])
    return {
        "entity_type": entity_type, "entity_id": entity_id, "revealed": reveal,
        "columns": [{"attribute": c, **_labels(c, entity_type)} for c in columns],
        "records": [{**_lineage(run, r, entity_id),
                     "values": [shown(r.get(c), c, reveal) for c in columns]}
                    for r in records.to_dicts()],
        "links": [{**link, "linked": link["match_probability"] >= model.threshold
                   and link["rule"] != "cannot_link"} for link in links.to_dicts()],
        "threshold": model.threshold,
    }
