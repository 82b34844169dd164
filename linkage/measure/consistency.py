"""Consistency: where the copies of one entity disagree, per attribute, source and pair of sources.

Compared: the normalized value as `compare_value` (linkage.measure.base: addresses by road,
number, building, unit and room; complete dates only; enterprise names by core name; credit codes
by the organisation code inside them, so that an organisation code keyed into a credit-code column
agrees with the credit code of the same unit; phone numbers as normalized, local ones completed
with their area code), for entities whose value is held by two or more sources; per-record
attributes (registration_date) are left out.
An entity disagrees on an attribute when its records carry two or more distinct values; a pair of
sources disagrees on an entity when they share no value; a source disagrees on an entity when
it shares no value with at least one other source holding one.

Tables written:
- metric_consistency: entity_type, attribute, entities_compared, entities_disagreeing,
  disagreement_rate.
- metric_consistency_source: entity_type, attribute, source, system, entities_compared,
  entities_disagreeing, disagreement_rate.
- metric_consistency_pair: entity_type, attribute, source_l, source_r (l < r), entities_compared,
  entities_disagreeing, disagreement_rate.
- metric_consistency_example: entity_type, attribute, entity_id, source, value — the first
  `examples` disagreeing entities per attribute (by entity_id), values masked.
"""

from __future__ import annotations

import polars as pl

from linkage.engine import Engine
from linkage.measure.base import Base, values_sql
from linkage.measure.masking import mask_value


def measure_consistency(engine: Engine, base: Base, examples: int = 3) -> None:
    """Write the consistency tables listed in the module docstring (from `_m_groups`), and the
    working tables authority reads: `_m_agree_sets` (agreeing entities counted per attribute and
    set of sources) and `_m_disagree_held` (distinct entity_key, aid, sid, cmp of the
    disagreeing entities).

    Entities whose sources all agree (most of them) are counted per set of sources, so only the
    disagreeing ones go through the pairwise comparison of sources."""
    scratch, has = base.scratch, base.bits.has
    scratch.create("_m_agree_sets", """
        SELECT aid, sids, count(*) AS n FROM _m_groups WHERE compared AND NOT disagrees
        GROUP BY aid, sids""")
    # (entity_key, aid) is unique in _m_groups: the join keeps each value row at most once
    scratch.create("_m_disagree_held", """
        SELECT DISTINCT v.entity_key, v.aid, v.sid, v.cmp FROM _m_values v
        JOIN (SELECT entity_key, aid FROM _m_groups WHERE compared AND disagrees) d
          USING (entity_key, aid)
        WHERE v.cmp IS NOT NULL""")
    engine.create_table("metric_consistency", """
        SELECT a.entity_type, a.attribute, c.entities_compared, c.entities_disagreeing,
               c.entities_disagreeing / c.entities_compared AS disagreement_rate
        FROM (SELECT aid, count(*) AS entities_compared,
                     count(*) FILTER (WHERE disagrees) AS entities_disagreeing
              FROM _m_groups WHERE compared GROUP BY aid) c JOIN _m_attrs a USING (aid)
        ORDER BY a.entity_type, a.attribute""")
    scratch.create("_m_pair_agree", """
        SELECT a.entity_key, a.aid, a.sid AS sid_l, b.sid AS sid_r,
               bool_or(a.cmp = b.cmp) AS agree
        FROM _m_disagree_held a JOIN _m_disagree_held b
          ON a.entity_key = b.entity_key AND a.aid = b.aid AND a.sid < b.sid
        GROUP BY a.entity_key, a.aid, a.sid, b.sid""")
    engine.create_table("metric_consistency_pair", f"""
        WITH counts AS (
            SELECT g.aid, l.sid AS sid_l, r.sid AS sid_r, g.n AS compared, 0 AS disagreeing
            FROM _m_agree_sets g JOIN _m_sources l ON {has('g.sids', 'l.sid')}
            JOIN _m_sources r ON r.sid > l.sid AND {has('g.sids', 'r.sid')}
            UNION ALL
            SELECT aid, sid_l, sid_r, 1, CASE WHEN agree THEN 0 ELSE 1 END FROM _m_pair_agree),
        p AS (SELECT aid, sid_l, sid_r, CAST(sum(compared) AS BIGINT) AS entities_compared,
                     CAST(sum(disagreeing) AS BIGINT) AS entities_disagreeing
              FROM counts GROUP BY aid, sid_l, sid_r)
        SELECT a.entity_type, a.attribute, l.source AS source_l, r.source AS source_r,
               p.entities_compared, p.entities_disagreeing,
               p.entities_disagreeing / p.entities_compared AS disagreement_rate
        FROM p JOIN _m_attrs a USING (aid)
        JOIN _m_sources l ON l.sid = p.sid_l JOIN _m_sources r ON r.sid = p.sid_r
        ORDER BY a.entity_type, a.attribute, source_l, source_r""")
    engine.create_table("metric_consistency_source", f"""
        WITH sides AS (
            SELECT entity_key, aid, sid_l AS sid, agree FROM _m_pair_agree
            UNION ALL
            SELECT entity_key, aid, sid_r AS sid, agree FROM _m_pair_agree),
        counts AS (
            SELECT g.aid, s.sid, g.n AS compared, 0 AS disagreeing
            FROM _m_agree_sets g JOIN _m_sources s ON {has('g.sids', 's.sid')}
            UNION ALL
            SELECT aid, sid, 1, CASE WHEN bool_and(agree) THEN 0 ELSE 1 END
            FROM sides GROUP BY entity_key, aid, sid),
        per AS (SELECT aid, sid, CAST(sum(compared) AS BIGINT) AS entities_compared,
                       CAST(sum(disagreeing) AS BIGINT) AS entities_disagreeing
                FROM counts GROUP BY aid, sid)
        SELECT a.entity_type, a.attribute, s.source, s.system, p.entities_compared,
               p.entities_disagreeing, p.entities_disagreeing / p.entities_compared
                   AS disagreement_rate
        FROM per p JOIN _m_attrs a USING (aid) JOIN _m_sources s USING (sid)
        ORDER BY a.entity_type, a.attribute, disagreement_rate DESC, s.source""")
    _examples(engine, base, examples)


def _examples(engine: Engine, base: Base, examples: int) -> None:
    firsts = f"""
        SELECT entity_key, aid FROM (
            SELECT entity_key, aid,
                   row_number() OVER (PARTITION BY aid ORDER BY entity_key) AS k
            FROM _m_groups WHERE compared AND disagrees)
        WHERE k <= {int(examples)}"""
    base.scratch.create("_m_example_records", f"""
        SELECT m.record_id, m.entity_id, m.source, f.aid FROM _m_records m JOIN ({firsts}) f
        USING (entity_key)""")
    # the examples' records taken once, not once per attribute of `values_sql`
    base.scratch.create("_m_example_rows", """
        SELECT * FROM records WHERE record_id IN (SELECT record_id FROM _m_example_records)""")
    shown = values_sql(engine, base.measured, "record_id, aid, value", "_m_example_rows")
    rows = engine.sql(f"""
        SELECT DISTINCT a.entity_type, a.attribute, m.entity_id, m.source, v.value
        FROM ({shown}) v JOIN _m_example_records m USING (record_id, aid)
        JOIN _m_attrs a USING (aid)
        ORDER BY a.entity_type, a.attribute, m.entity_id, m.source, v.value""")
    masked = rows.with_columns(pl.Series("value", [
        mask_value(r["value"], r["attribute"]) for r in rows.to_dicts()],
        dtype=pl.Utf8))
    engine.load("metric_consistency_example", masked)
    base.scratch.drop("_m_example_rows", "_m_example_records")
