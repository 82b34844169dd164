"""Field-level re-entry: how often an entity's value was keyed beyond the first, and what it costs.

For each entity and canonical attribute, `n` = the number of its records that carry a value, in
sources that collect the attribute (blank fields were not keyed; per-record attributes such as
registration_date are left out).  `n − 1` keyings were re-entries.  They are shared out over the
records in proportion: each keyed value carries `(n − 1) / n` re-entries, so a source's share does
not depend on which source happened to be first, and the shares add up to `n − 1` per entity.
Seconds = re-entries × seconds per field; hours per year = seconds × the source's updates per year
/ 3600.

Tables written:
- metric_field_reentry: entity_type, attribute, system, source, entities (entities with the value
  keyed in this source), values_keyed, reentries, seconds_per_field, seconds, updates_per_year,
  hours_per_year — one row per source and attribute it collects (zeros included).
- metric_community: entity_type, level ("community" | "grid"), area (null = not known), records,
  entities, reentries, seconds, hours_per_year — a record's community is records.community,
  else the community parsed from its address, else the one its entity's other records give most
  often (the grid worker of that community keyed it); grid likewise from records.grid.  Only
  levels some record carries.
"""

from __future__ import annotations

import polars as pl

from linkage.engine import Engine
from linkage.measure.base import PER_RECORD, Base
from linkage.measure.settings import BurdenSettings


def _load_settings(engine: Engine, base: Base, burden: BurdenSettings) -> None:
    base.scratch.load("_m_seconds", pl.DataFrame(
        [{"entity_type": e, "attribute": a, "seconds_per_field": burden.seconds_for(e, a)}
         for e, a in base.measured],
        schema={"entity_type": pl.Utf8, "attribute": pl.Utf8, "seconds_per_field": pl.Float64}))
    sources = engine.sql("SELECT source, coalesce(system, source) AS system, "
                         "CAST(updates_per_year AS DOUBLE) AS updates_per_year FROM sources")
    base.scratch.load("_m_updates", pl.DataFrame(
        [{"source": r["source"],
          "updates_per_year": burden.updates_for(r["source"], r["system"], r["updates_per_year"])}
         for r in sources.to_dicts()],
        schema={"source": pl.Utf8, "updates_per_year": pl.Float64}))


def measure_reentry(engine: Engine, base: Base, burden: BurdenSettings) -> None:
    """Write metric_field_reentry and metric_community (see the module docstring)."""
    _load_settings(engine, base, burden)
    base.scratch.create("_m_reentry", """
        WITH rates AS (
            SELECT a.aid, k.sid, s.seconds_per_field, u.updates_per_year
            FROM _m_attrs a JOIN _m_seconds s USING (entity_type, attribute)
            CROSS JOIN _m_sources k JOIN _m_updates u USING (source))
        SELECT v.record_id, v.entity_key, v.sid, v.aid,
               (k.n - 1) / k.n AS reentries,
               (k.n - 1) / k.n * r.seconds_per_field AS seconds,
               (k.n - 1) / k.n * r.seconds_per_field * r.updates_per_year / 3600 AS hours_per_year
        FROM _m_values v JOIN _m_groups k USING (entity_key, aid)
        JOIN rates r USING (aid, sid)""")
    engine.create_table("metric_field_reentry", f"""
        WITH holders AS (
            SELECT g.aid, s.sid, CAST(sum(g.n) AS BIGINT) AS entities
            FROM (SELECT aid, keyed_sids, count(*) AS n FROM _m_groups
                  GROUP BY aid, keyed_sids) g
            JOIN _m_sources s ON {base.bits.has('g.keyed_sids', 's.sid')}
            GROUP BY g.aid, s.sid),
        r AS (
            SELECT sid, aid, h.entities, count(*) AS values_keyed,
                   sum(reentries) AS reentries, sum(seconds) AS seconds,
                   sum(hours_per_year) AS hours_per_year
            FROM _m_reentry JOIN holders h USING (sid, aid) GROUP BY sid, aid, h.entities)
        SELECT a.entity_type, a.attribute, a.system, a.source,
               coalesce(r.entities, 0) AS entities, coalesce(r.values_keyed, 0) AS values_keyed,
               coalesce(r.reentries, 0) AS reentries, s.seconds_per_field,
               coalesce(r.seconds, 0) AS seconds, u.updates_per_year,
               coalesce(r.hours_per_year, 0) AS hours_per_year
        FROM _m_source_attributes a
        JOIN _m_seconds s USING (entity_type, attribute)
        JOIN _m_updates u USING (source)
        LEFT JOIN r USING (sid, aid)
        WHERE a.attribute NOT IN ({engine.dialect.in_list(PER_RECORD)})
        ORDER BY a.entity_type, a.attribute, a.source""")
    _communities(engine, base)


def _sum(column: str) -> str:
    """SQL: a float sum rounded to 9 places, so the order a parallel engine adds in (and the
    order of areas tied on it) does not change the table from run to run."""
    return f"round(coalesce(sum({column}), 0), 9)"


def _communities(engine: Engine, base: Base) -> None:
    """metric_community from the per-record re-entries, for the area levels some record carries."""
    d = engine.dialect
    counts = engine.sql("SELECT count(area_community) AS community, count(area_grid) AS grid "
                        "FROM _m_records").row(0, named=True)
    levels = [(level, f"area_{level}") for level in ("community", "grid") if counts[level]]
    selects = [f"""
        SELECT entity_type, '{level}' AS level, {column} AS area,
               count(*) AS records, count(DISTINCT entity_key) AS entities,
               {_sum('reentries')} AS reentries, {_sum('seconds')} AS seconds,
               {_sum('hours_per_year')} AS hours_per_year
        FROM _m_per_record GROUP BY entity_type, {column}""" for level, column in levels]
    if not selects:
        selects = [f"SELECT {d.null('text')} AS entity_type, {d.null('text')} AS level, "
                   f"{d.null('text')} AS area, {d.cast('0', 'bigint')} AS records, "
                   f"{d.cast('0', 'bigint')} AS entities, {d.cast('0', 'double')} AS reentries, "
                   f"{d.cast('0', 'double')} AS seconds, {d.cast('0', 'double')} AS hours_per_year "
                   "WHERE false"]
    base.scratch.create("_m_per_record", """
        SELECT m.entity_type, m.entity_key, m.area_community, m.area_grid,
               r.reentries, r.seconds, r.hours_per_year
        FROM _m_records m
        LEFT JOIN (SELECT record_id, sum(reentries) AS reentries, sum(seconds) AS seconds,
                          sum(hours_per_year) AS hours_per_year
                   FROM _m_reentry GROUP BY record_id) r USING (record_id)""")
    engine.create_table("metric_community", f"""
        SELECT * FROM ({' UNION ALL '.join(selects)})
        ORDER BY entity_type, level, reentries DESC, area NULLS LAST""")
    base.scratch.drop("_m_per_record")
