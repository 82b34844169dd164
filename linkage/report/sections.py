"""The report's sections, one builder each, in reading order (`build_sections`).

A builder reads, through `Inputs`, the run's tables (`metric_*`, `unified_schema`, `crosswalk`,
`blocking_stats`, `pairs`, …) and, where a table is absent, the rows metrics.json holds
("measure", "unify", "link", "row_accounting" — see linkage.measure and linkage.unify for the
keys); summary figures come from metrics.json (`FIGURE_PATHS`).  It returns a `Section`.
When what it needs is missing it raises `Unavailable` and the section becomes a short note.
Any other error is caught the same way (one broken metric must not cost leadership the whole
report) and returned in the error list, which the tests assert is empty.
"""

from __future__ import annotations

import math
from typing import Callable

import polars as pl

from linkage.attributes import ENTITY_TYPES
from linkage.columns import gamma, side
from linkage.report import svg
from linkage.quarantine import render_reason
from linkage.report.i18n import (UI, attribute_label, column_label, entity_label, rule_label,
                                 value_label)
from linkage.report.model import FIGURE_PATHS, Chart, Figure, Inputs, Section, Unavailable
from linkage.report.tables import Table, format_value, mask_column, table_from_frame

CHART_ROWS = 20     # bars per bar chart
UPSET_COLUMNS = 16  # combinations per UpSet chart
HEATMAP_SYSTEMS = 14
WEIGHT_RANGE = (-40.0, 60.0)  # match weights outside go into the histogram's end bars
SUMMARY_FIGURES = (  # (figure, format): what the summary shows, in order
    ("records_in", "int"), ("records", "int"), ("quarantined", "int"), ("people", "int"),
    ("enterprises", "int"), ("redundant_records", "int"), ("within_source_duplicates", "int"),
    ("multi_system_entities", "int"), ("hours_per_year", "hours"), ("hours_saved", "hours"))


def _entity_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of person first, then enterprise, keeping the order within each."""
    if "entity_type" not in frame.columns:
        return frame
    rank = {e: i for i, e in enumerate(ENTITY_TYPES)}
    return frame.with_row_index("_i").sort(
        pl.col("entity_type").replace_strict(rank, default=len(rank), return_dtype=pl.Int32),
        "_i").drop("_i")


def _entity_types(frame: pl.DataFrame) -> list[str]:
    return _entity_order(frame)["entity_type"].unique(maintain_order=True).to_list()


def _table(inputs: Inputs, key: str, title: str, frame: pl.DataFrame,
           columns: list[str] | None = None) -> Table:
    return table_from_frame(key, title, _entity_order(frame), inputs.language, columns)


def _n(value) -> str:
    return format_value(value, "int")


def summary(inputs: Inputs) -> Section:
    section = Section("summary", inputs.t("summary"))
    accounting = inputs.metric("row_accounting") or []
    totals = {k: sum(r.get(k) or 0 for r in accounting)
              for k in ("rows_in", "records", "quarantined")}
    values = {"records_in": totals["rows_in"], "records": totals["records"],
              "quarantined": totals["quarantined"]} if accounting else {}
    values.update({key: inputs.figure(key) for key in FIGURE_PATHS})
    if values.get("redundant_records") is None and inputs.metric("link"):
        values["redundant_records"] = sum(s["records"] - s["entities"]
                                          for s in inputs.metric("link").values())
    section.figures = [Figure(k, inputs.t(f"fig_{k}"), values[k], kind)
                       for k, kind in SUMMARY_FIGURES if values.get(k) is not None]
    if not section.figures:
        raise Unavailable(inputs.t("missing_metric", key="row_accounting"))
    if accounting:
        section.sentences.append(inputs.t("headline_records", sources=len(accounting),
                                          records_in=_n(totals["rows_in"]),
                                          records=_n(totals["records"])))
    if values.get("people") is not None or values.get("enterprises") is not None:
        section.sentences.append(inputs.t("headline_entities", people=_n(values["people"] or 0),
                                          enterprises=_n(values["enterprises"] or 0)))
    if values.get("redundant_records") is not None and totals["records"]:
        section.sentences.append(inputs.t(
            "headline_redundant", redundant=_n(values["redundant_records"]),
            share=format_value(values["redundant_records"] / totals["records"], "percent")))
    corrected = _redundant_with_missed(inputs)
    if corrected is not None:
        section.sentences.append(inputs.t(
            "headline_redundant_estimated", **{k: _n(round(v)) for k, v in corrected.items()}))
    if values.get("hours_per_year") is not None:
        section.sentences.append(inputs.t("headline_hours",
                                          hours=format_value(values["hours_per_year"], "hours")))
    if values.get("hours_saved") is not None:
        section.sentences.append(inputs.t("headline_saved",
                                          hours=format_value(values["hours_saved"], "hours")))
    return section


def _redundant_with_missed(inputs: Inputs) -> dict | None:
    """The redundant records counting the links the run estimates it missed (its recall
    estimate, `linkage.link.recall`), with the 95 % band, summed over the entity types: where a
    type has no estimate, its measured count.  None when no type has one."""
    link = inputs.metric("link") or {}
    total = {"estimated": 0.0, "low": 0.0, "high": 0.0}
    any_estimate = False
    for stats in link.values():
        estimate = stats.get("recall_estimate") or {}
        if estimate.get("estimated") and "redundant_records" in estimate:  # runs before 2026-12 lack it
            any_estimate = True
            for key, suffix in (("estimated", ""), ("low", "_low"), ("high", "_high")):
                total[key] += estimate[f"redundant_records{suffix}"]
        elif stats.get("records") is not None and stats.get("entities") is not None:
            for key in total:
                total[key] += stats["records"] - stats["entities"]
    return total if any_estimate else None


def systems(inputs: Inputs) -> Section:
    section = Section("systems", inputs.t("systems"))
    per_source = inputs.rows("measure.sources", "metric_source")
    section.tables.append(_table(inputs, "per_source", inputs.t("systems"), per_source, [
        "entity_type", "source", "title", "system", "records", "entities", "within_duplicates",
        "shared_entities", "shared_share"]))
    try:
        per_system = inputs.rows("measure.systems", "metric_system")
    except Unavailable:
        return section
    if per_system.height != per_source.height:
        section.tables.append(_table(inputs, "per_system", inputs.t("systems_grouped"), per_system))
    return section


def _system_order(inputs: Inputs, entity_type: str) -> list[str]:
    """Systems of one entity type, most entities first."""
    return inputs.rows("measure.systems", "metric_system").filter(
        pl.col("entity_type") == entity_type).sort(
        ["entities", "system"], descending=[True, False])["system"].to_list()


def _system_names(inputs: Inputs) -> dict[tuple[str, str], str]:
    """(entity type, system) -> the name to show: its sources' title when they share one."""
    try:
        titles = inputs.rows("measure.sources", "metric_source").group_by(
            "entity_type", "system").agg(pl.col("title").drop_nulls().unique())
    except Unavailable:
        return {}
    return {(e, s): t[0] for e, s, t in titles.iter_rows() if len(t) == 1}


def _named(inputs: Inputs, frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """`frame` with the system codes of `columns` ("a+b" lists too) replaced by their names."""
    names = _system_names(inputs)
    if not names:
        return frame
    for column in (c for c in columns if c in frame.columns):
        pairs = frame.select("entity_type", column).unique().drop_nulls().iter_rows()
        frame = frame.with_columns(pl.concat_str("entity_type", pl.lit("|"), column).replace_strict(
            {f"{e}|{v}": " + ".join(names.get((e, p), p) for p in v.split("+")) for e, v in pairs},
            default=pl.col(column), return_dtype=pl.Utf8).alias(column))
    return frame


def overlap(inputs: Inputs) -> Section:
    section = Section("overlap", inputs.t("overlap"))
    pairs = inputs.rows("measure.system_pairs", "metric_system_pair")
    names = _system_names(inputs)
    for entity in _entity_types(pairs):
        order = _system_order(inputs, entity)[:HEATMAP_SYSTEMS]
        index = {s: i for i, s in enumerate(order)}
        matrix: list[list[float | None]] = [[None] * len(order) for _ in order]
        for row in pairs.filter(pl.col("entity_type") == entity).iter_rows(named=True):
            i, j = index.get(row["system_l"]), index.get(row["system_r"])
            if i is not None and j is not None:
                matrix[i][j], matrix[j][i] = row["share_of_l"], row["share_of_r"]
        caption = inputs.t("chart_overlap", entity=entity_label(entity, inputs.language))
        section.charts.append(Chart(caption, svg.heatmap(
            [names.get((entity, s), s) for s in order], matrix,
            lambda v: format_value(v, "percent") if v is not None else "—", caption)))
    section.tables.append(_table(inputs, "system_pairs", inputs.t("overlap"),
                                 _named(inputs, pairs, ("system_l", "system_r")), [
        "entity_type", "system_l", "system_r", "entities_l", "entities_r", "shared_entities",
        "share_of_l", "share_of_r"]))
    return section


def combinations(inputs: Inputs) -> Section:
    section = Section("combinations", inputs.t("combinations"))
    combos = inputs.rows("measure.combinations", "metric_combination").filter(
        pl.col("level") == "system").sort(["entities", "members"], descending=[True, False])
    names = _system_names(inputs)
    for entity in _entity_types(combos):
        order = _system_order(inputs, entity)
        top = combos.filter(pl.col("entity_type") == entity).head(UPSET_COLUMNS)
        data = [([names.get((entity, s), s) for s in m.split("+")], int(c))
                for m, c in zip(top["members"], top["entities"])]
        caption = inputs.t("chart_upset", entity=entity_label(entity, inputs.language))
        section.charts.append(Chart(caption, svg.upset(
            [names.get((entity, s), s) for s in order], data, caption,
            inputs.t("entities_axis"))))
    section.tables.append(_table(inputs, "combinations", inputs.t("combinations"),
                                 _named(inputs, combos, ("members",)),
                                 ["entity_type", "members", "degree", "entities", "records"]))
    return section


def _bars(frame: pl.DataFrame, label: Callable[[dict], str], value: str, kind: str,
          caption: str) -> Chart:
    top = frame.sort(value, descending=True, maintain_order=True).head(CHART_ROWS)
    items = [(label(r), r[value] or 0) for r in top.iter_rows(named=True)]
    return Chart(caption, svg.bar_chart(items, lambda v: format_value(v, kind), caption))


def _labeller(inputs: Inputs, frame: pl.DataFrame, column: str) -> Callable[[dict], str]:
    """Bar labels: the column's value (attributes labelled), with the entity type if mixed."""
    mixed = "entity_type" in frame.columns and frame["entity_type"].n_unique() > 1

    def label(row: dict) -> str:
        text = (attribute_label(row[column], inputs.language, row.get("entity_type"))
                if column == "attribute" else str(row[column]))
        if not mixed:
            return text
        entity = entity_label(row["entity_type"], inputs.language)
        return f"{text}（{entity}）" if inputs.language == "zh" else f"{text} ({entity})"

    return label


def field_reentry(inputs: Inputs) -> Section:
    section = Section("field_reentry", inputs.t("field_reentry"))
    detail = inputs.rows("measure.reentry.fields", "metric_field_reentry")
    per_attribute = detail.group_by("entity_type", "attribute", maintain_order=True).agg(
        pl.col("seconds_per_field").first(), pl.col("reentries").sum(),
        pl.col("hours_per_year").sum())
    label = _labeller(inputs, per_attribute, "attribute")
    section.charts.append(_bars(per_attribute, label, "reentries", "int",
                                inputs.t("chart_reentry")))
    section.charts.append(_bars(per_attribute, label, "hours_per_year", "hours",
                                inputs.t("chart_reentry_hours")))
    per_system = _named(inputs, detail, ("system",)).group_by(
        "entity_type", "system", maintain_order=True).agg(
        pl.col("values_keyed").sum(), pl.col("reentries").sum(), pl.col("hours_per_year").sum())
    section.charts.append(_bars(per_system, _labeller(inputs, per_system, "system"),
                                "hours_per_year", "hours", inputs.t("chart_reentry_system")))
    section.tables.append(_table(inputs, "reentry_by_system", inputs.t("reentry_by_system"),
                                 per_system.sort("hours_per_year", descending=True,
                                                 maintain_order=True)))
    section.tables.append(_table(inputs, "field_reentry", inputs.t("field_reentry"),
                                 _named(inputs, detail, ("system",)), [
        "entity_type", "attribute", "system", "source", "entities", "values_keyed", "reentries",
        "seconds_per_field", "seconds", "updates_per_year", "hours_per_year"]))
    section.tables.append(_table(inputs, "seconds_per_field", inputs.t("seconds_table"),
                                 per_attribute, ["entity_type", "attribute", "seconds_per_field"]))
    return section


def community(inputs: Inputs) -> Section:
    section = Section("community", inputs.t("community"))
    table = inputs.rows("measure.communities", "metric_community").filter(
        pl.col("area").is_not_null())
    if not table.height:
        raise Unavailable(inputs.t("no_rows"))
    levels = table["level"].unique().to_list()
    level = "community" if "community" in levels else levels[0]
    per_area = table.filter(pl.col("level") == level).group_by(
        "entity_type", "area", maintain_order=True).agg(pl.col("hours_per_year").sum())
    section.charts.append(_bars(per_area, _labeller(inputs, per_area, "area"), "hours_per_year",
                                "hours", inputs.t("chart_community")))
    section.tables.append(_table(inputs, "community", inputs.t("community"), table, [
        "entity_type", "level", "area", "records", "entities", "reentries", "seconds",
        "hours_per_year"]))
    return section


CONSISTENCY_COLUMNS = ["entity_type", "attribute", "entities_compared", "entities_disagreeing",
                       "disagreement_rate"]


def _examples(inputs: Inputs) -> pl.DataFrame:
    """Disagreement examples, one row per entity and attribute: "source: value；…", masked."""
    flat = inputs.rows("measure.consistency.examples").explode("values").unnest("values")
    flat = mask_column(flat, "value", "attribute")
    return flat.group_by("entity_type", "attribute", "entity_id", maintain_order=True).agg(
        (pl.col("source") + pl.lit(": ") + pl.col("value").fill_null("—")).str.join("；")
        .alias("values"))


def consistency(inputs: Inputs) -> Section:
    section = Section("consistency", inputs.t("consistency"))
    section.tables.append(_table(inputs, "consistency", inputs.t("consistency"), inputs.rows(
        "measure.consistency.attributes", "metric_consistency"), CONSISTENCY_COLUMNS))
    optional = (
        ("consistency_pairs", CONSISTENCY_COLUMNS[:2] + ["source_l", "source_r"]
         + CONSISTENCY_COLUMNS[2:], lambda: inputs.rows(
             "measure.consistency.pairs", "metric_consistency_pair").filter(
             pl.col("entities_disagreeing") > 0).sort("entities_disagreeing", descending=True,
                                                      maintain_order=True)),
        ("consistency_examples", None, lambda: _examples(inputs)))
    for key, columns, rows in optional:
        try:
            section.tables.append(_table(inputs, key, inputs.t(key), rows(), columns))
        except Unavailable:
            continue
    return section


def quality(inputs: Inputs) -> Section:
    section = Section("quality", inputs.t("quality"))
    section.tables.append(_table(inputs, "quality", inputs.t("quality"),
                                 _named(inputs, inputs.rows("measure.quality", "metric_quality"),
                                        ("system",)), [
        "entity_type", "source", "system", "attribute", "records", "filled", "fill_rate", "valid",
        "validity_rate", "conforming", "format_rate"]))
    return section


def authority(inputs: Inputs) -> Section:
    section = Section("authority", inputs.t("authority"))
    ranked = _named(inputs, inputs.rows("measure.authority", "metric_authority"), ("system",)
                    ).sort(["entity_type", "attribute", "rank"], maintain_order=True)
    columns = ["entity_type", "attribute", "source", "system", "completeness", "validity",
               "agreement", "score", "rank"]
    section.tables.append(_table(inputs, "authority", inputs.t("authority"),
                                 ranked.filter(pl.col("rank") == 1), columns))
    section.tables.append(_table(inputs, "authority_ranking", inputs.t("authority_ranking"),
                                 ranked, columns))
    return section


def _schema_columns(inputs: Inputs) -> pl.DataFrame:
    """The proposed columns: table unified_schema, else unify.schema.<entity>.columns."""
    if inputs.has("unified_schema"):
        return inputs.table("unified_schema", "entity_type, table_name, position")
    per_entity = inputs.metric("unify.schema")
    if not isinstance(per_entity, dict) or not per_entity:
        raise Unavailable(inputs.t("missing_table", table="unified_schema"))
    return pl.DataFrame([{"entity_type": e, **row} for e, s in per_entity.items()
                         for row in s.get("columns", [])], infer_schema_length=None)


def schema(inputs: Inputs) -> Section:
    section = Section("schema", inputs.t("schema"))
    columns = _schema_columns(inputs)
    counts = inputs.metric("unify.crosswalk")
    if isinstance(counts, dict):
        section.sentences.append(inputs.t("crosswalk_text",
                                          **{k: _n(v) for k, v in counts.items()}))
    tables = columns.group_by("table_name", maintain_order=True).agg(
        pl.first("entity_type"),
        pl.col("placement").filter(pl.col("placement") != "key").first(),
        pl.first("system"), pl.len().alias("columns"))
    section.tables.append(_table(inputs, "schema_tables", inputs.t("schema_tables"), tables))
    section.tables.append(_table(inputs, "schema_columns", inputs.t("schema_columns"), columns, [
        "table_name", "column_name", "label", "placement", "sql_type", "nullable", "standard",
        "sources", "rationale"]))
    once = inputs.metric("unify.collect_once.totals")
    if isinstance(once, dict) and once:
        totals = pl.DataFrame([{"entity_type": e, **v} for e, v in once.items()])
        section.tables.append(_table(inputs, "collect_once_totals", inputs.t("collect_once_totals"),
                                     totals, ["entity_type", "core_attributes",
                                              "fields_stop_keying", "reentries_saved",
                                              "hours_per_year_saved", "hours_per_year_remaining"]))
    try:
        fields = inputs.rows("unify.collect_once.fields")
        if fields.schema.get("stop_keying") == pl.List(pl.Utf8):
            fields = fields.with_columns(pl.col("stop_keying").list.unique(maintain_order=True))
        section.tables.append(_table(inputs, "collect_once", inputs.t("collect_once"), fields, [
            "entity_type", "attribute", "authoritative_source", "stop_keying", "reentries",
            "hours_per_year"]))
    except Unavailable:
        pass
    if inputs.has("crosswalk"):
        section.tables.append(_table(inputs, "crosswalk", inputs.t("crosswalk"),
                                     inputs.table("crosswalk"), [
            "source", "system", "source_column", "attribute", "method", "transformation",
            "target", "rationale"]))
    return section


def _weight_histogram(inputs: Inputs, entity: str, threshold: float | None) -> Chart | None:
    d = inputs.dialect
    finite = d.is_finite("match_weight")
    lo, hi = inputs.sql("SELECT floor(min(match_weight)), ceil(max(match_weight)) FROM pairs "
                        f"WHERE entity_type = ? AND {finite}", [entity]).row(0)
    if lo is None:
        return None
    notes = [inputs.t(key, weight=f"{limit:g}") for key, limit, out in (
        ("weights_below", WEIGHT_RANGE[0], lo < WEIGHT_RANGE[0]),
        ("weights_above", WEIGHT_RANGE[1], hi > WEIGHT_RANGE[1])) if out]
    lo, hi = max(lo, WEIGHT_RANGE[0]), min(max(hi, lo + 1), WEIGHT_RANGE[1])
    width = max((hi - lo) / 50, 0.5)
    bins = int(math.ceil((hi - lo) / width))
    b = d.cast(f"least(greatest(floor((match_weight - {lo}) / {width}), 0), {bins - 1})", "int")
    counts = inputs.sql(
        f"SELECT {b} AS b, count(*) AS n FROM pairs WHERE entity_type = ? AND {finite} GROUP BY b",
        [entity])
    per_bin = dict(zip(counts["b"].to_list(), counts["n"].to_list()))
    edges = [lo + i * width for i in range(bins + 1)]
    marker = math.log2(threshold / (1 - threshold)) if threshold else None
    caption = inputs.t("chart_weights", entity=entity_label(entity, inputs.language))
    caption += "".join(notes)
    return Chart(caption, svg.histogram(edges, [per_bin.get(i, 0) for i in range(bins)], caption,
                                        inputs.t("pairs_axis"), marker, inputs.t("threshold_line")))


def match_quality(inputs: Inputs) -> Section:
    section = Section("match_quality", inputs.t("match_quality"))
    link = inputs.require("link")
    for entity in sorted(link, key=lambda e: ENTITY_TYPES.index(e) if e in ENTITY_TYPES else 9):
        stats, name = link[entity], entity_label(entity, inputs.language)
        threshold = stats.get("threshold")
        weight = math.log2(threshold / (1 - threshold)) if threshold else None
        section.sentences.append(inputs.t(
            "threshold_text", entity=name, threshold=format_value(threshold, "float"),
            weight=format_value(weight, "float"), candidates=_n(stats.get("candidate_pairs")),
            linked=_n(stats.get("linked_pairs")), iterations=_n(stats.get("iterations"))))
        if inputs.has("pairs"):
            chart = _weight_histogram(inputs, entity, threshold)
            if chart:
                section.charts.append(chart)
        rules = stats.get("pairs_per_rule") or {}
        if inputs.has("blocking_stats"):  # in rule order (metrics.json sorts its keys)
            rules = dict(inputs.sql("SELECT rule, pairs FROM blocking_stats WHERE entity_type = ? "
                                    "ORDER BY rule_order", [entity]).iter_rows())
        if rules:
            caption = inputs.t("chart_rules", entity=name)
            section.charts.append(Chart(caption, svg.bar_chart(
                [(rule_label(r, inputs.language), n) for r, n in rules.items()], _n, caption)))
    return section


POSSIBLE_ROWS = 500  # possible matches listed in the report (all of them in the database)


def _evidence(inputs: Inputs, pairs: pl.DataFrame, entity: str) -> list[str]:
    """Per pair, its comparisons' levels in words ("姓名: 同音；出生日期: 完全一致 …")."""
    params = inputs.sql("SELECT comparison, gamma, level, level_zh FROM model_params "
                        "WHERE entity_type = ?", [entity])
    label = {(c, g): (zh if inputs.language == "zh" else en)
             for c, g, en, zh in params.iter_rows()}
    comparisons = params["comparison"].unique(maintain_order=True).to_list()
    names = {c: attribute_label(c, inputs.language, entity) for c in comparisons}
    sep = "；" if inputs.language == "zh" else "; "
    out = []
    for row in pairs.iter_rows(named=True):
        parts = [f"{names[c]}: {label.get((c, row[gamma(c)]), '')}" for c in comparisons
                 if row.get(gamma(c)) is not None and row[gamma(c)] >= 0]
        out.append(sep.join(parts))
    return out


def uncertainty(inputs: Inputs) -> Section:
    """What the matching may have missed: recall estimated from the data itself, the band it
    puts on the counts, and the possible matches waiting for review."""
    section = Section("uncertainty", inputs.t("uncertainty"))
    link = inputs.require("link")
    for entity in sorted(link, key=lambda e: ENTITY_TYPES.index(e) if e in ENTITY_TYPES else 9):
        stats, name = link[entity], entity_label(entity, inputs.language)
        estimate = stats.get("recall_estimate") or {}
        if estimate.get("estimated"):
            pct = lambda v: format_value(v, "percent")  # noqa: E731
            section.sentences.append(inputs.t(
                "recall_text", entity=name, recall=pct(estimate["pairwise_recall"]),
                low=pct(estimate["pairwise_recall_low"]), high=pct(estimate["pairwise_recall_high"]),
                missed=_n(round(estimate["missed_records"])), found=_n(stats.get("entities")),
                entities=_n(round(estimate["distinct_entities"])),
                entities_low=_n(round(estimate["distinct_entities_low"])),
                entities_high=_n(round(estimate["distinct_entities_high"]))))
        elif estimate:
            section.sentences.append(inputs.t("recall_unknown", entity=name))
        if stats.get("possible_matches") is not None:
            section.sentences.append(inputs.t(
                "possible_text", entity=name, pairs=_n(stats["possible_matches"]),
                low=format_value(stats.get("possible_threshold"), "float"),
                entities=_n(stats.get("entities_if_possible_linked"))))
    if inputs.has("recall_estimate"):
        section.tables.append(_table(inputs, "recall_estimate", inputs.t("recall_estimate"),
                                     inputs.table("recall_estimate", "entity_type, source, kind"), [
            "entity_type", "source", "kind", "records", "linked", "simulated", "recovery_rate",
            "missed_records", "missed_low", "missed_high"]))
    if inputs.has("possible_matches") and inputs.has("pairs") and inputs.has("records"):
        # the pair's own columns (levels, Bayes factors …) but those shown from elsewhere
        shown = {side("record_id", "l"), side("record_id", "r"), "entity_type", "match_weight",
                 "match_probability"}
        own = "".join(f", p.{inputs.dialect.quote(c)}" for c in inputs.engine.columns("pairs")
                      if c not in shown)
        for entity in _entity_types(inputs.table("possible_matches")):
            pairs = inputs.sql(
                "SELECT m.entity_type, a.source AS source_l, a.source_row AS source_row_l, "
                "a.name AS name_l, b.source AS source_r, b.source_row AS source_row_r, "
                f"b.name AS name_r, m.match_probability{own} "
                "FROM possible_matches m JOIN records a ON a.record_id = m.record_id_l "
                "JOIN records b ON b.record_id = m.record_id_r JOIN pairs p "
                "ON p.record_id_l = m.record_id_l AND p.record_id_r = m.record_id_r "
                f"WHERE m.entity_type = ? ORDER BY m.match_probability DESC, m.record_id_l, "
                f"m.record_id_r LIMIT {POSSIBLE_ROWS}", [entity])
            pairs = pairs.with_columns(pl.Series("evidence", _evidence(inputs, pairs, entity),
                                                 pl.Utf8))
            section.tables.append(_table(
                inputs, f"possible_matches_{entity}",
                inputs.t("possible_matches", entity=entity_label(entity, inputs.language)), pairs,
                ["entity_type", "source_l", "source_row_l", "name_l", "source_r", "source_row_r",
                 "name_r", "match_probability", "evidence"]))
    return section


def reviewed_quality(inputs: Inputs) -> Section:
    """What people certified: labels per review queue, and precision and recall estimated
    from the audit sample with 95 % intervals, with the band they put on the redundancy
    figures (linkage.review.quality) — beside the model-based figures of "uncertainty"."""
    from linkage.review.quality import queue_counts, reviewed_quality as figures

    section = Section("reviewed_quality", inputs.t("reviewed_quality"))
    link = inputs.require("link")
    pct = lambda v: format_value(v, "percent")  # noqa: E731
    for entity in sorted(link, key=lambda e: ENTITY_TYPES.index(e) if e in ENTITY_TYPES else 9):
        used = link[entity].get("review_labels") or {}
        if used.get("same") or used.get("different"):
            section.sentences.append(inputs.t(
                "labels_used", entity=entity_label(entity, inputs.language),
                same=_n(used["same"]), different=_n(used["different"]), in_em=_n(used["in_em"]),
                unresolved=_n(used["unresolved"])))
    found = figures(inputs.engine, inputs.metrics)
    if found["problem"]:
        section.sentences.append(inputs.t("reviewed_unknown", problem=found["problem"]))
        return section
    counts = queue_counts(found["queues"])
    if not counts.height:
        section.sentences.append(inputs.t("reviewed_none", path=str(found["labels"])))
        return section
    section.sentences.append(inputs.t("reviewed_labels", path=str(found["labels"]),
                                      pairs=_n(int(counts["labelled"].sum()))))
    section.tables.append(_table(inputs, "review_queues", inputs.t("review_queues"), counts))
    rows = []
    for e in sorted(found["estimates"], key=lambda e: ENTITY_TYPES.index(e["entity_type"])
                    if e["entity_type"] in ENTITY_TYPES else 9):
        q, band = e["quality"], e["band"]
        section.sentences.append(inputs.t(
            "reviewed_text", entity=entity_label(e["entity_type"], inputs.language),
            labelled=_n(e["labelled"]), sample=_n(e["sample"]), unsure=_n(e["unsure"]),
            precision=pct(q.precision.estimate), p_low=pct(q.precision.low),
            p_high=pct(q.precision.high), recall=pct(q.recall), r_low=pct(q.recall_low),
            r_high=pct(q.recall_high), redundant=_n(round(band["redundant_records"])),
            red_low=_n(round(band["redundant_low"])), red_high=_n(round(band["redundant_high"])),
            entities=_n(round(band["distinct_entities"])), ent_low=_n(round(band["distinct_low"])),
            ent_high=_n(round(band["distinct_high"]))))
        if not e["this_run"]:
            section.sentences.append(inputs.t("reviewed_earlier", drawn=e["drawn"]))
        if not (q.precision.complete and e["labelled"]):
            section.sentences.append(inputs.t("reviewed_partial"))
        rows.append({"entity_type": e["entity_type"], "sample": e["sample"],
                     "labelled": e["labelled"], "precision": q.precision.estimate,
                     "precision_low": q.precision.low, "precision_high": q.precision.high,
                     "recall": q.recall, "recall_low": q.recall_low, "recall_high": q.recall_high,
                     **{k: round(v) for k, v in band.items()}})
    if rows:
        section.tables.append(_table(inputs, "reviewed_quality", inputs.t("reviewed_quality"),
                                     pl.DataFrame(rows)))
    return section


def row_accounting(inputs: Inputs) -> Section:
    section = Section("row_accounting", inputs.t("row_accounting"))
    rows = inputs.rows("row_accounting", "row_accounting")
    off = rows.filter(~pl.col("balanced"))["source"].to_list() if "balanced" in rows.columns else []
    section.sentences.append(inputs.t("accounting_bad", sources="、".join(off)) if off
                             else inputs.t("accounting_ok"))
    section.tables.append(_table(inputs, "row_accounting", inputs.t("row_accounting"), rows,
                                 ["source", "rows_in", "records", "quarantined", "balanced"]))
    if inputs.has("quarantine"):
        # one row per source and kind of reason (its arguments included), with its first rows
        d = inputs.dialect
        first_rows = d.join_list(d.slice(d.sorted_list("source_row"), 1, 5), ", ")
        reasons = inputs.sql(
            f"SELECT source, code, detail, count(*) AS rows, {first_rows} "
            "|| CASE WHEN count(*) > 5 THEN ' …' ELSE '' END AS first_rows "
            "FROM quarantine GROUP BY ALL ORDER BY source, rows DESC, code, detail")
        if reasons.height:
            labels = [render_reason(c, d, inputs.language)
                      for c, d in zip(reasons["code"], reasons["detail"])]
            reasons = reasons.select("source", pl.Series("reason", labels, pl.Utf8), "rows",
                                     "first_rows")
            section.tables.append(_table(inputs, "quarantine", inputs.t("quarantine_reasons"),
                                         reasons))
    return section


def _comparison_label(name: str, language: str, entity: str) -> str:
    label = attribute_label(name, language, entity)
    return column_label(name, language) if label == name else label


def _finite(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """Non-finite numbers (an impossible level's weight) as blanks."""
    return frame.with_columns([pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c)
                               for c in columns if c in frame.columns])


def _blocking_rows(inputs: Inputs) -> pl.DataFrame:
    """Pairs per blocking rule, in rule order, with the reason each rule was chosen."""
    if inputs.has("blocking_stats"):
        if inputs.has("blocking_plan"):
            return inputs.sql("SELECT s.entity_type, s.rule_order, s.rule, p.reason, s.pairs, "
                              "s.candidate_pairs FROM blocking_stats s LEFT JOIN blocking_plan p "
                              "USING (entity_type, rule_order) "
                              "ORDER BY s.entity_type, s.rule_order")
        return inputs.table("blocking_stats", "entity_type, rule_order")
    rows = [{"entity_type": e, "rule": r, "pairs": n}
            for e, stats in (inputs.metric("link") or {}).items()
            for r, n in (stats.get("pairs_per_rule") or {}).items()]
    if not rows:
        raise Unavailable(inputs.t("missing_table", table="blocking_stats"))
    return pl.DataFrame(rows)


def _labelled_list(text: str, language: str, entity: str) -> str:
    """"name, phone" with each attribute labelled in `language`."""
    sep = "、" if language == "zh" else ", "
    return sep.join(attribute_label(a.strip(), language, entity)
                    for a in text.split(",") if a.strip())


def model(inputs: Inputs) -> Section:
    """How the matching decides: each comparison level's m, u and match weight, the pairs each
    blocking rule found and why it was chosen, and the pairs of sources one error separates."""
    section = Section("model", inputs.t("model"))
    link = inputs.metric("link") or {}
    for entity in sorted(link, key=lambda e: ENTITY_TYPES.index(e) if e in ENTITY_TYPES else 9):
        stats = link[entity]
        if stats.get("lambda") is not None:
            section.sentences.append(inputs.t(
                "model_text", entity=entity_label(entity, inputs.language),
                prior=format_value(stats["lambda"], "probability"),
                iterations=_n(stats.get("iterations")),
                converged=inputs.t("converged" if stats.get("converged") else "not_converged")))
        if stats.get("twins"):
            section.sentences.append(inputs.t(
                "twins_text", entity=entity_label(entity, inputs.language),
                pairs=_n(stats["twins"]["twin_pairs"])))
    if inputs.has("model_params"):
        params = _finite(_entity_order(inputs.table("model_params")),
                         ("m", "u", "bayes_factor", "match_weight"))
        weight = lambda v: format_value(v, "weight")  # noqa: E731
        level = "level_zh" if inputs.language == "zh" else "level"
        for entity in _entity_types(params):
            rows = params.filter(pl.col("entity_type") == entity)
            groups = [(_comparison_label(c, inputs.language, entity),
                       [(r[level], r["match_weight"]) for r in rows.filter(
                           (pl.col("comparison") == c) & pl.col("match_weight").is_not_null()
                       ).iter_rows(named=True)])
                      for c in rows["comparison"].unique(maintain_order=True)]
            caption = inputs.t("chart_model", entity=entity_label(entity, inputs.language))
            section.charts.append(Chart(caption, svg.weight_chart(groups, weight, caption)))
        labels = {(e, c): _comparison_label(c, inputs.language, e)
                  for e, c in params.select("entity_type", "comparison").unique().iter_rows()}
        shown = params.with_columns(
            pl.concat_str("entity_type", pl.lit("|"), "comparison").replace_strict(
                {f"{e}|{c}": v for (e, c), v in labels.items()}).alias("comparison"),
            pl.col("level").alias("level_en"))
        # the name's u between twins, where a run learnt one (linkage.link.siblings)
        twins = ["u_twins"] if "u_twins" in shown.columns and \
            shown["u_twins"].is_not_null().any() else []
        section.tables.append(_table(inputs, "model_params", inputs.t("model_params"),
                                     shown.drop("level"), [
            "entity_type", "comparison", "level", "m", "u", *twins, "bayes_factor",
            "match_weight"]))
    try:
        blocking = _blocking_rows(inputs)
        if "reason" in blocking.columns:
            reasons = blocking["reason"].unique().drop_nulls().to_list()
            blocking = blocking.with_columns(pl.col("reason").replace_strict(
                {r: value_label(r, inputs.language) for r in reasons}, default=None))
        section.tables.append(_table(inputs, "blocking", inputs.t("blocking"), blocking, [
            "entity_type", "rule_order", "rule", "reason", "pairs", "candidate_pairs"]))
    except Unavailable:
        if not section.tables:
            raise
    if inputs.has("blocking_coverage"):
        fragile = _entity_order(inputs.table("blocking_coverage")).filter(
            pl.col("fragile") != "")
        if fragile.height:
            fragile = fragile.with_columns([pl.Series(c, [
                _labelled_list(v, inputs.language, e) for v, e in
                zip(fragile[c], fragile["entity_type"])], pl.Utf8) for c in ("shared", "fragile")])
            section.sentences.append(inputs.t("fragile_text", pairs=_n(fragile.height)))
            section.tables.append(_table(inputs, "fragile_pairs", inputs.t("fragile_pairs"),
                                         fragile, ["entity_type", "source_l", "source_r", "shared",
                                                   "rules", "fragile"]))
        else:
            section.sentences.append(inputs.t("coverage_ok"))
    return section


LOW_CONFIDENCE = 0.9   # a mapping found by a guess less sure than this is listed for checking
FILLED = 0.5           # an attribute carried by at least this share of a source's records
FEW_ATTRIBUTES = 2     # a source carrying this many linking attributes or fewer links poorly
LOW_RECALL = 0.95      # an estimated recall below this is worth a look
IMPROVE_ITEMS = 8      # items of one kind listed (the tables hold them all)


def _improve_mappings(inputs: Inputs) -> list[str]:
    rows = inputs.sql(
        "SELECT c.source, c.header, c.attribute, c.method, c.confidence, s.entity_type "
        "FROM source_columns c LEFT JOIN sources s USING (source) "
        "WHERE c.attribute IS NOT NULL AND c.method NOT IN ('config', 'synonym') "
        "AND c.confidence < ? ORDER BY c.confidence, c.source, c.column_index", [LOW_CONFIDENCE])
    return [inputs.t("improve_mapping", source=r["source"], header=r["header"],
                     attribute=attribute_label(r["attribute"], inputs.language, r["entity_type"]),
                     method=value_label(r["method"], inputs.language),
                     confidence=format_value(r["confidence"], "percent"))
            for r in rows.head(IMPROVE_ITEMS).iter_rows(named=True)]


def _improve_attributes(inputs: Inputs) -> list[str]:
    attributes = inputs.dialect.sorted_list("attribute", distinct=True)
    carried = inputs.sql(
        f"SELECT entity_type, source, {attributes} AS attributes "
        "FROM attribute_fill WHERE fill >= ? GROUP BY ALL ORDER BY entity_type, source", [FILLED])
    out = [inputs.t("improve_attributes", source=r["source"],
                    entity=entity_label(r["entity_type"], inputs.language),
                    attributes=_labelled_list(", ".join(r["attributes"]), inputs.language,
                                              r["entity_type"]) or "—")
           for r in carried.iter_rows(named=True) if len(r["attributes"]) <= FEW_ATTRIBUTES]
    if inputs.has("blocking_coverage"):
        fragile = inputs.sql("SELECT count(*) FROM blocking_coverage WHERE fragile <> ''").item()
        if fragile:
            out.append(inputs.t("improve_fragile", pairs=_n(fragile), section=inputs.t("model")))
    return out[:IMPROVE_ITEMS]


def _improve_review(inputs: Inputs) -> list[str]:
    rows = inputs.sql("SELECT entity_type, count(*) AS pairs FROM possible_matches "
                      "GROUP BY ALL ORDER BY entity_type")
    return [inputs.t("improve_review", pairs=_n(n), entity=entity_label(e, inputs.language),
                     section=inputs.t("uncertainty")) for e, n in rows.iter_rows() if n]


def _improve_quarantine(inputs: Inputs) -> list[str]:
    rows = inputs.sql("SELECT code, count(*) AS n, min(detail) AS detail, "
                      f"{inputs.dialect.sorted_list('source', distinct=True)} AS sources "
                      "FROM quarantine GROUP BY code ORDER BY n DESC, code")
    sep = "、" if inputs.language == "zh" else ", "
    return [inputs.t("improve_quarantine", rows=_n(r["n"]), sources=sep.join(r["sources"]),
                     reason=render_reason(r["code"], r["detail"], inputs.language),
                     section=inputs.t("row_accounting"))
            for r in rows.head(IMPROVE_ITEMS).iter_rows(named=True)]


def _improve_precision(inputs: Inputs) -> list[str]:
    """Numbers a spreadsheet stored as floats (16+ digits): the flag `precision_lost`."""
    flags = [c for c in inputs.engine.columns("records") if c.endswith("_flag")]
    if not flags:
        return []
    d = inputs.dialect
    counts = " UNION ALL ".join(
        f"SELECT source, entity_type, {d.literal(c.removesuffix('_flag'))} AS attribute, "
        f"count(*) AS n FROM records WHERE {d.quote(c)} = 'precision_lost' GROUP BY ALL"
        for c in flags)
    rows = inputs.sql(f"SELECT * FROM ({counts}) x WHERE n > 0 ORDER BY n DESC, source")
    return [inputs.t("improve_precision", values=_n(r["n"]), source=r["source"],
                     attribute=attribute_label(r["attribute"], inputs.language, r["entity_type"]))
            for r in rows.head(IMPROVE_ITEMS).iter_rows(named=True)]


def _improve_recall(inputs: Inputs) -> list[str]:
    out = []
    for entity, stats in sorted((inputs.metric("link") or {}).items()):
        estimate = stats.get("recall_estimate") or {}
        if estimate.get("estimated") and estimate["pairwise_recall"] < LOW_RECALL:
            out.append(inputs.t("improve_recall", entity=entity_label(entity, inputs.language),
                                recall=format_value(estimate["pairwise_recall"], "percent"),
                                missed=_n(estimate.get("missed_records")),
                                section=inputs.t("uncertainty")))
    return out


def improve(inputs: Inputs) -> Section:
    """A short list of what would make this run better: mappings to check, sources with little
    to link on, pairs to review, rows quarantined and why, numbers a spreadsheet cut short, a
    low estimated recall."""
    section = Section("improve", inputs.t("improve"))
    checks = ((("source_columns", "sources"), _improve_mappings),
              (("attribute_fill",), _improve_attributes),
              (("possible_matches",), _improve_review),
              (("quarantine",), _improve_quarantine),
              (("records",), _improve_precision))
    available = False
    for tables, items in checks:
        if all(inputs.has(t) for t in tables):
            available = True
            section.sentences += items(inputs)
    if inputs.metric("link"):
        available = True
        section.sentences += _improve_recall(inputs)
    if not available:
        raise Unavailable(inputs.t("missing_table", table="source_columns"))
    if not section.sentences:
        section.sentences.append(inputs.t("improve_nothing"))
    return section


HISTORY_ROWS = 200  # id changes listed in the report (all of them: table entity_history)


def changes(inputs: Inputs) -> Section:
    """What changed since the store's last run (linkage.store): id changes, records added /
    changed / removed per source, and the trend of redundancy and burden over the runs."""
    inputs.require("link")
    store = inputs.metric("store")
    section = Section("changes", inputs.t("changes"))
    if not store:
        section.sentences.append(inputs.t("changes_no_store"))
        return section
    for entity in [e for e in ENTITY_TYPES if isinstance(store.get(e), dict)]:
        section.sentences.append(inputs.t(
            "changes_text", path=store["path"], run=store["run"],
            entity=entity_label(entity, inputs.language),
            **{k: _n(v) for k, v in store[entity].items()},
            **{k: _n(store[entity][f"{k}_records"]) for k in ("added", "changed", "removed", "unchanged")}))
        if "carried_pairs" in store[entity]:
            section.sentences.append(inputs.t(
                "changes_incremental", entity=entity_label(entity, inputs.language),
                compared_pairs=_n(store[entity]["compared_pairs"]),
                carried_pairs=_n(store[entity]["carried_pairs"])))
        if store[entity].get("held_pairs"):
            section.sentences.append(inputs.t(
                "changes_held", held_pairs=_n(store[entity]["held_pairs"]),
                held_decisions=_n(store[entity]["held_decisions"])))
        if store[entity].get("held_queries"):
            section.sentences.append(inputs.t(
                "changes_held_queries", held_queries=_n(store[entity]["held_queries"]),
                held_assignments=_n(store[entity]["held_assignments"])))
    if inputs.has("entity_history"):
        history = inputs.sql("SELECT entity_type, kind, old_id, new_id, records FROM entity_history "
                             f"ORDER BY kind IN ('new', 'retired'), kind, old_id, new_id LIMIT {HISTORY_ROWS}")
        section.tables.append(_table(inputs, "entity_history", inputs.t("changes_history", rows=HISTORY_ROWS),
                                     history))
    if inputs.has("held_decisions"):
        held = inputs.sql(
            "SELECT h.entity_type, h.held, a.entity_id AS entity_id_l, b.entity_id AS entity_id_r, "
            "h.record_id_l, h.record_id_r, h.kept_probability, h.fresh_probability "
            "FROM held_decisions h JOIN clusters a ON a.record_id = h.record_id_l "
            "JOIN clusters b ON b.record_id = h.record_id_r "
            f"ORDER BY h.entity_type, h.held, h.record_id_l, h.record_id_r LIMIT {HISTORY_ROWS}")
        if held.height:
            section.tables.append(_table(inputs, "held_decisions", inputs.t("changes_held_list"), held))
    section.tables.append(_table(inputs, "record_changes", inputs.t("changes_records"),
                                 inputs.table("record_changes", "entity_type, source")))
    trend = inputs.table("store_runs", "run, entity_type")
    for entity in _entity_types(trend):
        rows = trend.filter(pl.col("entity_type") == entity)
        caption = inputs.t("changes_trend_chart", entity=entity_label(entity, inputs.language))
        items = [(inputs.t("changes_run", run=r["run"]), r["redundant_records"] or 0)
                 for r in rows.iter_rows(named=True)]
        section.charts.append(Chart(caption, svg.bar_chart(items, lambda v: format_value(v, "int"),
                                                           caption)))
    section.tables.append(_table(inputs, "store_runs", inputs.t("changes_trend"), trend, [
        "run", "entity_type", "records", "entities", "redundant_records", "hours_per_year", "new",
        "merged", "split", "retired", "added_records", "changed_records", "removed_records"]))
    return section


def how_to_read(inputs: Inputs) -> Section:
    return Section("how_to_read", inputs.t("how_to_read"), html=inputs.t("how_to_read_body"))


BUILDERS: tuple[Callable[[Inputs], Section], ...] = (
    summary, systems, overlap, combinations, field_reentry, community, consistency, quality,
    authority, schema, match_quality, model, uncertainty, reviewed_quality, changes, improve,
    row_accounting, how_to_read)


def build_sections(inputs: Inputs) -> tuple[list[Section], list[str]]:
    """Every section in order, and the errors of sections that failed unexpectedly."""
    sections, errors = [], []
    for builder in BUILDERS:
        title = inputs.t(builder.__name__)
        try:
            section = builder(inputs)
            section.intro = UI[inputs.language].get(f"intro_{section.id}", "")
            sections.append(section)
        except Unavailable as exc:
            sections.append(Section(builder.__name__, title,
                                    unavailable=inputs.t("not_available", reason=str(exc))))
        except Exception as exc:  # noqa: BLE001 — reported, see the module docstring
            errors.append(f"{builder.__name__}: {type(exc).__name__}: {exc}")
            sections.append(Section(builder.__name__, title, unavailable=inputs.t(
                "not_available", reason=inputs.t("section_error", error=type(exc).__name__))))
    return sections, errors
