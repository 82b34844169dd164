"""Collect once: the fields departments could stop re-keying under the unified schema.

A core attribute is collected once, by its authoritative source, and read by every other
department from the core table; so every keying of it beyond the first disappears.  Its saving
is the re-entry of `metric_field_reentry` (linkage.measure: re-entries and hours per year per
source and attribute).  Extension attributes are kept by one department only, so their re-entry
(within-source duplicates) is not saved by the schema but by de-duplicating records.

When `metric_field_reentry` is absent, re-entries are counted here with the same definition
(an entity's values keyed in n records are n − 1 re-entries, shared out as (n − 1)/n per keyed
value) and costed with the default seconds per field and updates per year of
`linkage.measure.settings.BurdenSettings`; the result says which basis it used.

Table written: `collect_once`: entity_type, attribute, source, system, authoritative_source,
action ("collect" for the authoritative source, "stop_keying" for the others, "keep" for
extension attributes), values_keyed, reentries, hours_per_year, saved (Boolean).
"""

from __future__ import annotations

import polars as pl

from linkage.engine import Engine, Scratch
from linkage.measure.base import PER_RECORD
from linkage.measure.settings import BurdenSettings

REENTRY_COLUMNS = {"entity_type", "attribute", "system", "source", "values_keyed", "reentries",
                   "hours_per_year"}


def _reentry_relation(engine: Engine, scratch: Scratch) -> tuple[str, str]:
    """(relation with REENTRY_COLUMNS, basis "metric_field_reentry" | "estimated")."""
    if "metric_field_reentry" in engine.tables() and \
            REENTRY_COLUMNS <= set(engine.columns("metric_field_reentry")):
        return "metric_field_reentry", "metric_field_reentry"
    d, burden = engine.dialect, BurdenSettings()
    collected = engine.sql(f"""
        SELECT DISTINCT s.entity_type, c.attribute, c.source, s.system, s.updates_per_year
        FROM source_columns c JOIN sources s USING (source)
        WHERE c.attribute IS NOT NULL AND c.attribute NOT IN ({d.in_list(PER_RECORD)})""")
    columns = set(engine.columns("records"))
    collected = collected.filter(pl.col("attribute").is_in(list(columns)))
    costs = pl.DataFrame(
        [{**r, "seconds_per_field": burden.seconds_for(r["entity_type"], r["attribute"]),
          "updates": burden.updates_for(r["source"], r["system"], r["updates_per_year"])}
         for r in collected.to_dicts()],
        schema={**dict(collected.schema), "seconds_per_field": pl.Float64, "updates": pl.Float64})
    scratch.load("_unify_costs", costs)
    selects = [f"""
        SELECT r.entity_type, c.entity_id, r.source, {d.literal(a)} AS attribute FROM records r
        JOIN clusters c USING (record_id)
        WHERE r.{d.quote(a)} IS NOT NULL AND r.entity_type = {d.literal(e)}"""
               for e, a in sorted(set(zip(collected["entity_type"], collected["attribute"])))]
    body = " UNION ALL ".join(selects) or (
        f"SELECT {d.null('text')} entity_type, {d.null('text')} entity_id, "
        f"{d.null('text')} source, {d.null('text')} attribute WHERE false")
    scratch.create("_unify_reentry", f"""
        WITH v AS ({body}),
        keyed AS (SELECT *, count(*) OVER (PARTITION BY entity_type, entity_id, attribute) AS n FROM v)
        SELECT k.entity_type, k.attribute, k.source, any_value(s.system) AS system,
               count(*) AS values_keyed, sum((n - 1) / n) AS reentries,
               sum((n - 1) / n) * any_value(s.seconds_per_field) * any_value(s.updates) / 3600 AS hours_per_year
        FROM keyed k JOIN _unify_costs s USING (entity_type, attribute, source)
        GROUP BY k.entity_type, k.attribute, k.source""")
    return "_unify_reentry", "estimated"


def collect_once(engine: Engine, schema: pl.DataFrame, authority: str) -> dict:
    """Write table `collect_once`; returns {basis, totals per entity type, fields}."""
    with Scratch(engine) as scratch:
        relation, basis = _reentry_relation(engine, scratch)
        core = schema.filter(pl.col("placement") == "core").select("entity_type", "attribute").unique()
        scratch.load("_unify_core", core)
        _collect_once_table(engine, relation, authority)
    totals = engine.sql("""
        SELECT entity_type,
               count(DISTINCT attribute) FILTER (WHERE saved) AS core_attributes,
               count(*) FILTER (WHERE action = 'stop_keying') AS fields_stop_keying,
               coalesce(sum(reentries) FILTER (WHERE saved), 0) AS reentries_saved,
               coalesce(sum(hours_per_year) FILTER (WHERE saved), 0) AS hours_per_year_saved,
               coalesce(sum(hours_per_year) FILTER (WHERE NOT saved), 0) AS hours_per_year_remaining
        FROM collect_once GROUP BY entity_type ORDER BY entity_type""")
    stop_keying = engine.dialect.sorted_list("source", where="action = 'stop_keying'")
    fields = engine.sql(f"""
        SELECT entity_type, attribute, authoritative_source, {stop_keying} AS stop_keying,
               sum(reentries) AS reentries, sum(hours_per_year) AS hours_per_year
        FROM collect_once WHERE saved
        GROUP BY entity_type, attribute, authoritative_source
        ORDER BY entity_type, hours_per_year DESC, attribute""")
    return {"basis": basis,
            "totals": {r.pop("entity_type"): r for r in _rounded(totals)},
            "fields": _rounded(fields)}


def _collect_once_table(engine: Engine, relation: str, authority: str) -> None:
    """Table `collect_once` from the re-entry relation, `_unify_core` and the authority ranks."""
    engine.create_table("collect_once", f"""
        WITH top AS (
            SELECT a.entity_type, a.attribute, a.source AS authoritative_source,
                   row_number() OVER (PARTITION BY a.entity_type, a.attribute ORDER BY a.rank, a.source) AS k
            FROM {authority} a
            JOIN (SELECT DISTINCT entity_type, attribute, source FROM {relation}) held
              USING (entity_type, attribute, source))
        SELECT f.entity_type, f.attribute, f.source, f.system, t.authoritative_source,
               CASE WHEN core.attribute IS NULL THEN 'keep'
                    WHEN f.source = t.authoritative_source THEN 'collect'
                    ELSE 'stop_keying' END AS action,
               CAST(f.values_keyed AS BIGINT) AS values_keyed, CAST(f.reentries AS DOUBLE) AS reentries,
               CAST(f.hours_per_year AS DOUBLE) AS hours_per_year, core.attribute IS NOT NULL AS saved
        FROM {relation} f
        LEFT JOIN _unify_core core USING (entity_type, attribute)
        LEFT JOIN (SELECT * FROM top WHERE k = 1) t USING (entity_type, attribute)
        ORDER BY f.entity_type, f.attribute, f.source""")


def _rounded(frame: pl.DataFrame) -> list[dict]:
    return [{k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()}
            for row in frame.to_dicts()]
