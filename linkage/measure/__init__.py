"""Measure a linked run: redundancy, field re-entry and its cost, consistency, quality, authority.

`run_measure(engine, burden, language)` reads tables `sources`, `source_columns`, `records` and
`clusters`, writes the `metric_*` tables below into the engine and returns the metrics dict that
the pipeline stores in metrics.json under "measure".  All heavy work is SQL in the engine.
Definitions are in each module's docstring (redundancy, reentry, consistency, quality, authority);
the default seconds per field (a table the report can quote), the update-frequency lookup and the
authority weights are in linkage.measure.settings; masking of shown values in .masking.

Tables: metric_overview, metric_source, metric_system, metric_source_pair, metric_system_pair,
metric_combination, metric_entity_distribution, metric_field_reentry, metric_community,
metric_consistency, metric_consistency_source, metric_consistency_pair,
metric_consistency_example, metric_quality, metric_authority.

Keys of the returned dict (stable; the report reads them).  "rows of T" means a list of dicts,
one per row of table T, with T's columns as keys, in T's order.

| key | content |
|---|---|
| `language` | the report language the run was configured with (zh / en) |
| `settings.seconds_per_field` | rows: entity_type, attribute, seconds_per_field (the values used) |
| `settings.updates_per_year` | {source: updates per year used} |
| `settings.authority_weights` | {completeness, validity, agreement} |
| `settings.per_record_attributes` | attributes left out of re-entry and consistency |
| `overview.<entity_type>` | records, entities, redundant_records (records − entities), within_source_duplicates, cross_source_redundant, multi_source_entities, multi_system_entities |
| `sources` | rows of metric_source: entity_type, source, system, title, records, entities, within_duplicates, shared_entities, shared_share |
| `systems` | rows of metric_system (same, per system; no title) |
| `source_pairs` | rows of metric_source_pair: entity_type, source_l, source_r, entities_l, entities_r, shared_entities, share_of_l, share_of_r |
| `system_pairs` | rows of metric_system_pair (system_l, system_r, …) |
| `combinations` | rows of metric_combination: level (source / system), entity_type, members ("a+b"), degree, entities, records |
| `distribution.<entity_type>.<systems / sources / records>` | {"n": entities held by n systems / sources / records} |
| `reentry.totals.<entity_type>` | values_keyed, reentries, seconds, hours_per_year |
| `reentry.by_attribute` | rows: entity_type, attribute, seconds_per_field, sources, values_keyed, reentries, seconds, hours_per_year (most hours first) |
| `reentry.by_system` | rows: entity_type, system, values_keyed, reentries, seconds, hours_per_year (most hours first) |
| `reentry.fields` | rows of metric_field_reentry: entity_type, attribute, system, source, entities, values_keyed, reentries, seconds_per_field, seconds, updates_per_year, hours_per_year |
| `communities` | rows of metric_community, the 20 areas with most re-entries per entity_type and level: entity_type, level (community / grid), area, records, entities, reentries, seconds, hours_per_year |
| `consistency.attributes` | rows of metric_consistency: entity_type, attribute, entities_compared, entities_disagreeing, disagreement_rate |
| `consistency.sources` | rows of metric_consistency_source (…, source, system, …) |
| `consistency.pairs` | rows of metric_consistency_pair (…, source_l, source_r, …) |
| `consistency.examples` | up to 3 disagreeing entities per attribute: list of {entity_type, attribute, entity_id, values: [{source, value}]}, ID numbers and phones masked |
| `quality` | rows of metric_quality: entity_type, source, system, attribute, records, filled, fill_rate, flagged, valid, validity_rate, conforming, format_rate |
| `authority` | rows of metric_authority: entity_type, attribute, source, system, completeness, validity, agreement, agreement_entities, score, rank, recommended |
| `authoritative_source.<entity_type>.<attribute>` | the recommended source (rank 1) |
| `tables` | the metric tables written |

Rates and shares are fractions in [0, 1]; floats are rounded to 6 places.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from linkage.engine import Engine, Scratch
from linkage.measure.authority import measure_authority
from linkage.measure.base import PER_RECORD, build_base, table_rows
from linkage.measure.consistency import measure_consistency
from linkage.measure.quality import measure_quality
from linkage.measure.redundancy import measure_redundancy
from linkage.measure.reentry import measure_reentry
from linkage.measure.settings import BurdenSettings

__all__ = ["run_measure", "BurdenSettings", "TABLES"]

# every metric table, with the order its rows are read back in (a table has no order of its
# own on Spark, nor on DuckDB once written by several threads)
ORDER = {
    "metric_overview": "entity_type",
    "metric_source": "entity_type, source",
    "metric_system": "entity_type, system",
    "metric_source_pair": "entity_type, source_l, source_r",
    "metric_system_pair": "entity_type, system_l, system_r",
    "metric_combination": "level, entity_type, entities DESC, members",
    "metric_entity_distribution": "entity_type, measure, n",
    "metric_field_reentry": "entity_type, attribute, source",
    "metric_community": "entity_type, level, reentries DESC, area NULLS LAST",
    "metric_consistency": "entity_type, attribute",
    "metric_consistency_source": "entity_type, attribute, disagreement_rate DESC, source",
    "metric_consistency_pair": "entity_type, attribute, source_l, source_r",
    "metric_consistency_example": "entity_type, attribute, entity_id, source, value",
    "metric_quality": "entity_type, source, attribute",
    "metric_authority": "entity_type, attribute, rank",
}
TABLES = tuple(ORDER)
TOP_AREAS = 20


def run_measure(engine: Engine, burden: BurdenSettings | None = None, language: str = "zh") -> dict:
    """Compute every measure, write the metric_* tables, return the metrics dict (see above)."""
    burden = burden or BurdenSettings()
    with Scratch(engine) as scratch:  # the working tables, dropped when the measures end
        base = build_base(engine, scratch)
        measure_redundancy(engine, base)
        measure_reentry(engine, base, burden)
        measure_consistency(engine, base)
        measure_quality(engine)
        measure_authority(engine, base, burden.authority_weights)
        return _metrics(engine, burden, language)


def _ordered(table: str) -> str:
    """SQL: every row of metric table `table`, in its `ORDER`."""
    return f"SELECT * FROM {table} ORDER BY {ORDER[table]}"


def _distribution(engine: Engine) -> dict:
    out: dict = defaultdict(lambda: defaultdict(dict))
    for r in table_rows(engine, _ordered("metric_entity_distribution")):
        out[r["entity_type"]][r["measure"]][str(r["n"])] = r["entities"]
    return {k: dict(v) for k, v in out.items()}


def _examples(engine: Engine) -> list[dict]:
    grouped: dict[tuple, list] = {}
    for r in table_rows(engine, _ordered("metric_consistency_example")):
        key = (r["entity_type"], r["attribute"], r["entity_id"])
        grouped.setdefault(key, []).append({"source": r["source"], "value": r["value"]})
    return [{"entity_type": e, "attribute": a, "entity_id": i, "values": v}
            for (e, a, i), v in grouped.items()]


def _metrics(engine: Engine, burden: BurdenSettings, language: str) -> dict:
    rows = partial(table_rows, engine)
    authority = rows(_ordered("metric_authority"))
    recommended: dict = defaultdict(dict)
    for r in authority:
        if r["recommended"]:
            recommended[r["entity_type"]][r["attribute"]] = r["source"]
    sums = ("CAST(sum(values_keyed) AS BIGINT) AS values_keyed, sum(reentries) AS reentries, "
            "sum(seconds) AS seconds, sum(hours_per_year) AS hours_per_year")
    return {
        "language": language,
        "settings": {
            "seconds_per_field": rows("SELECT * FROM _m_seconds ORDER BY entity_type, attribute"),
            "updates_per_year": {r["source"]: r["updates_per_year"]
                                 for r in rows("SELECT * FROM _m_updates ORDER BY source")},
            "authority_weights": burden.authority_weights.model_dump(),
            "per_record_attributes": sorted(PER_RECORD),
        },
        "overview": {r.pop("entity_type"): r for r in rows(_ordered("metric_overview"))},
        "sources": rows(_ordered("metric_source")),
        "systems": rows(_ordered("metric_system")),
        "source_pairs": rows(_ordered("metric_source_pair")),
        "system_pairs": rows(_ordered("metric_system_pair")),
        "combinations": rows(_ordered("metric_combination")),
        "distribution": _distribution(engine),
        "reentry": {
            "totals": {r.pop("entity_type"): r for r in rows(
                f"SELECT entity_type, {sums} FROM metric_field_reentry "
                "GROUP BY entity_type ORDER BY entity_type")},
            # most hours first, rounded: sums of the same figures in another order (another
            # engine's plan) differ in the last bits, and ties must break alike
            "by_attribute": rows(
                "SELECT * FROM (SELECT entity_type, attribute, "
                "any_value(seconds_per_field) AS seconds_per_field, "
                f"count(*) AS sources, {sums} FROM metric_field_reentry "
                "GROUP BY entity_type, attribute) "
                "ORDER BY round(hours_per_year, 6) DESC, entity_type, attribute"),
            "by_system": rows(
                f"SELECT * FROM (SELECT entity_type, system, {sums} FROM metric_field_reentry "
                "GROUP BY entity_type, system) "
                "ORDER BY round(hours_per_year, 6) DESC, entity_type, system"),
            "fields": rows(_ordered("metric_field_reentry")),
        },
        "communities": rows(f"""
            SELECT entity_type, level, area, records, entities, reentries, seconds,
                   hours_per_year FROM (
                SELECT *, row_number() OVER (PARTITION BY entity_type, level
                                             ORDER BY reentries DESC, area) AS k
                FROM metric_community WHERE area IS NOT NULL)
            WHERE k <= {TOP_AREAS} ORDER BY entity_type, level, k"""),
        "consistency": {
            "attributes": rows(_ordered("metric_consistency")),
            "sources": rows(_ordered("metric_consistency_source")),
            "pairs": rows(_ordered("metric_consistency_pair")),
            "examples": _examples(engine),
        },
        "quality": rows(_ordered("metric_quality")),
        "authority": authority,
        "authoritative_source": dict(recommended),
        "tables": list(TABLES),
    }
