"""`linkage explain OUTPUT_DIR RECORD_ID RECORD_ID`: why two records did (not) link, as a waterfall.

Reads the run's `linkage.duckdb`.  A scored pair is shown from table `pairs` (the levels and
Bayes factors the run used); a pair no blocking rule found is compared now with the run's
model (`link_model`, `model_params`), so any two records of one entity type can be explained.
Each line is one comparison: its level, m, u, the log2 Bayes factor it adds and the running
match weight, drawn as a bar.
"""

from __future__ import annotations

import json
import math
import unicodedata
from pathlib import Path

import click
import numpy as np
import polars as pl

from linkage.columns import bayes_factor
from linkage.engine import open_engine, run_limits
from linkage.errors import NotARunError
from linkage.link.comparisons import compile_comparisons
from linkage.link.features import build_features
from linkage.link.model import Model, score
from linkage.link.run import FEATURES, compare_pairs
from linkage.link.settings import LinkageSettings
from linkage.link.siblings import NAME, stored_siblings

_TEXT = {
    "zh": {"pair": "记录 {l} 与 {r}（{e}）", "prior": "先验（任意两条记录匹配的概率 λ={p:.3g}）",
           "total": "匹配权重 {w:+.2f} → 匹配概率 {p:.4f}（阈值 {t}）",
           "linked": "判定：同一{e}", "not_linked": "判定：不是同一{e}",
           "unblocked": "（没有分块规则连接这两条记录：现按模型重新比较）",
           "rule": "规则覆盖：{r}", "grouped": "（已计入{g}组）", "prior_step": "先验",
           "entity": {"person": "人", "enterprise": "企业"},
           "rules": {"cannot_link": "两个不同的有效证件号，不能合并",
                     "same_identifier": "证件号相同且名称相容（或法人、电话等佐证一致），直接合并",
                     "review_same": "核查人判定为同一实体", "review_different": "核查人判定为不同实体"},
           "cluster": "所属实体：{a} / {b}",
           "head": ("比较", "级别", "左值", "右值", "m", "u", "权重", "累计")},
    "en": {"pair": "records {l} and {r} ({e})", "prior": "prior (two random records match, λ={p:.3g})",
           "total": "match weight {w:+.2f} → match probability {p:.4f} (threshold {t})",
           "linked": "decision: same {e}", "not_linked": "decision: not the same {e}",
           "unblocked": "(no blocking rule joins these records: compared now with the model)",
           "rule": "rule override: {r}", "grouped": " (in group {g})", "prior_step": "prior",
           "entity": {"person": "person", "enterprise": "enterprise"},
           "rules": {"cannot_link": "two different valid identifiers, never linked",
                     "same_identifier": ("same identifier and a compatible name (or a "
                                         "corroborating attribute), linked"),
                     "review_same": "a reviewer decided: same", "review_different":
                     "a reviewer decided: different"},
           "cluster": "entities: {a} / {b}",
           "head": ("comparison", "level", "left", "right", "m", "u", "weight", "total")},
}


def _fit(text: str, width: int, right: bool = False) -> str:
    """`text` cut and padded to `width` terminal columns (CJK characters take two)."""
    out, used = "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width:
            break
        out, used = out + ch, used + w
    pad = " " * (width - used)
    return pad + out if right else out + pad


def _bar(before: float, after: float, scale: float, width: int = 24) -> str:
    """A text bar from `before` to `after` on a axis centred at 0 of ±scale."""
    def pos(x):
        return int(round((max(-scale, min(scale, x)) + scale) / (2 * scale) * width))
    a, b = sorted((pos(before), pos(after)))
    mid = pos(0.0)
    cells = ["·" if i == mid else " " for i in range(width + 1)]
    for i in range(a, b):
        cells[i] = "█" if after >= before else "░"
    return "".join(cells)


def _value(recs: pl.DataFrame, column: str, fallback: str | None, i: int) -> str:
    """A record's value of a comparison's column (or its fallback) for display."""
    for col in (column, fallback):
        if col and col in recs.columns and recs[col][i] is not None:
            return str(recs[col][i])
    return "∅"


def _stored_pair(engine, left: int, right: int) -> dict | None:
    rows = engine.sql("SELECT * FROM pairs WHERE record_id_l = ? AND record_id_r = ?",
                      [left, right]).to_dicts()
    return rows[0] if rows else None


def _computed_pair(engine, left: int, right: int, entity_type: str, settings: LinkageSettings,
                   params: pl.DataFrame, prior: float) -> dict:
    """Compare two records now with the run's model (for a pair no blocking rule found)."""
    comparisons = compile_comparisons(settings.comparisons)
    build_features(engine, entity_type, comparisons, settings.blocking_rules, settings.identifiers,
                   FEATURES)
    d = engine.dialect
    engine.create_table("_explain_pair", f"SELECT {d.cast(d.literal(int(left)), 'bigint')} AS "
                        f"record_id_l, {d.cast(d.literal(int(right)), 'bigint')} AS record_id_r",
                        temp=True)
    compared = compare_pairs(engine, "_explain_pair", comparisons, settings.identifiers)
    model = Model(comparisons, u=[], prior=prior)
    for comp in comparisons:
        p = params.filter(pl.col("comparison") == comp.name).sort("gamma")
        model.m.append(p["m"].to_numpy())
        model.u.append(p["u"].to_numpy())
        # the name's u among twins, where the run learnt one (linkage.link.siblings)
        twins = p.get_column("u_twins", default=None)
        if comp.name == NAME and twins is not None and twins.is_not_null().all():
            model.siblings = stored_siblings(comparisons, model.m[-1], twins.to_numpy())
    bf, weight, probability = score(compared.gamma, compared.tf, model)
    pair = {"match_weight": float(weight[0]), "match_probability": float(probability[0]),
            "rule": ("cannot_link" if compared.cannot_link[0] else None), "blocked_by": None}
    for k, comp in enumerate(comparisons):
        pair[f"gamma_{comp.name}"] = int(compared.gamma[0, k])
        pair[bayes_factor(comp.name)] = float(bf[0, k])
    return pair


def explain_pair(engine, a: int, b: int, language: str = "zh") -> str:
    """The waterfall of one pair of records as text."""
    t = _TEXT[language]
    left, right = sorted((a, b))
    recs = engine.sql("SELECT * FROM records WHERE record_id IN (?, ?) ORDER BY record_id",
                      [left, right])
    if recs.height != 2:
        raise NotARunError(f"record ids not found in records: "
                                   f"{sorted({left, right} - set(recs['record_id']))}")
    entity_type = recs["entity_type"][0]
    if recs["entity_type"][1] != entity_type:
        raise NotARunError("the two records are of different entity types")
    model = engine.sql("SELECT * FROM link_model WHERE entity_type = ?",
                       [entity_type]).to_dicts()[0]
    settings = LinkageSettings.model_validate(json.loads(model["settings"]))
    params = engine.sql("SELECT * FROM model_params WHERE entity_type = ?", [entity_type])
    pair = _stored_pair(engine, left, right)
    lines = [t["pair"].format(l=left, r=right, e=t["entity"][entity_type])]
    if pair is None:
        pair = _computed_pair(engine, left, right, entity_type, settings, params, model["prior"])
        lines.append(t["unblocked"])
    prior_w = math.log2(model["prior"] / (1 - model["prior"]))
    lines.append(t["prior"].format(p=model["prior"]))
    steps = [(t["prior_step"], "", "", "", None, None, prior_w)]
    label_col = "level_zh" if language == "zh" else "level"
    for comp in compile_comparisons(settings.comparisons):
        gamma = pair[f"gamma_{comp.name}"]
        row = params.filter((pl.col("comparison") == comp.name) & (pl.col("gamma") == gamma))
        level = row[label_col][0] if row.height else comp.label(gamma, zh=language == "zh")
        values = [_value(recs, comp.column, comp.fallback, i) for i in (0, 1)]
        m = float(row["m"][0]) if row.height and gamma >= 0 else None
        u = float(row["u"][0]) if row.height and gamma >= 0 else None
        weight = math.log2(pair[bayes_factor(comp.name)])
        if comp.group and m and u and m > u and abs(weight) < 1e-9:
            level += t["grouped"].format(g=comp.group)
        steps.append((comp.name, level, *values, m, u, weight))
    total = sum(s[-1] for s in steps)
    scale = max(8.0, max(abs(x) for x in np.cumsum([s[-1] for s in steps])))
    widths = (12, 26, 20, 20, 9, 9, 8, 8)
    lines.append(" ".join(_fit(h, w, right=i >= 4) for i, (h, w) in enumerate(zip(t["head"],
                                                                                 widths))))
    running = 0.0
    for step in steps:
        w = step[-1]
        before, running = running, running + w
        cells = [*step[:4], *(f"{x:.3g}" if x is not None else "" for x in step[4:6]),
                 f"{w:+.2f}", f"{running:+.2f}"]
        lines.append(" ".join(_fit(c, width, right=i >= 4)
                              for i, (c, width) in enumerate(zip(cells, widths)))
                     + " " + _bar(before, running, scale))
    lines.append(t["total"].format(w=total, p=pair["match_probability"], t=model["threshold"]))
    if pair.get("rule"):
        lines.append(t["rule"].format(r=t["rules"].get(pair["rule"], pair["rule"])))
    linked = pair["match_probability"] >= model["threshold"] and pair.get("rule") != "cannot_link"
    lines.append((t["linked"] if linked else t["not_linked"]).format(e=t["entity"][entity_type]))
    ents = engine.sql("SELECT record_id, entity_id FROM clusters WHERE record_id IN (?, ?) "
                      "ORDER BY record_id", [left, right])["entity_id"].to_list()
    if len(ents) == 2:
        lines.append(t["cluster"].format(a=ents[0], b=ents[1]))
    return "\n".join(lines)


@click.command()
@click.argument("output_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("record_a", type=int)
@click.argument("record_b", type=int)
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def explain(output_dir: Path, record_a: int, record_b: int, language: str) -> None:
    """Explain the match weight of two records of a run, comparison by comparison."""
    db = output_dir / "linkage.duckdb"
    if not db.exists():
        raise NotARunError(f"{db} not found: run `linkage run` first")
    try:  # the run's DuckDB limits; a run folder without a readable metrics.json has none
        limits = run_limits(json.loads((output_dir / "metrics.json").read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError):
        limits = {}
    engine = open_engine(str(db), **limits)
    try:
        tables = set(engine.tables())
        for table in ("records", "pairs", "link_model", "model_params"):
            if table not in tables:
                raise NotARunError(f"{db} has no table {table!r}: the run did not link")
        click.echo(explain_pair(engine, record_a, record_b, language))
    finally:
        engine.close()
