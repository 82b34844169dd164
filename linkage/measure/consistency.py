"""Consistency: where the copies of one entity disagree, per attribute, source and pair of sources.

Compared: the normalized value as `compare_value` (linkage.measure.base: addresses by road, number,
building, unit and room; complete dates only; enterprise names by core name), for entities whose
value is held by two or more sources; per-record attributes (registration_date) are left out.
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
from linkage.measure.base import PER_RECORD, sql_list
from linkage.measure.masking import mask_value


def measure_consistency(engine: Engine, examples: int = 3) -> None:
    """Write the consistency tables listed in the module docstring, and the working tables
    `_m_held` (distinct entity, attribute, source, compare_value) and `_m_compared` (entity and
    attribute held by two or more sources → disagrees) that authority reads."""
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _m_held AS
        SELECT DISTINCT entity_type, entity_key, attribute, source, compare_value
        FROM _m_values
        WHERE compare_value IS NOT NULL AND attribute NOT IN ({sql_list(PER_RECORD)})""")
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _m_compared AS
        SELECT entity_type, entity_key, attribute,
               min(compare_value) <> max(compare_value) AS disagrees
        FROM _m_held GROUP BY entity_type, entity_key, attribute
        HAVING min(source) <> max(source)""")
    engine.execute("""
        CREATE OR REPLACE TABLE metric_consistency AS
        SELECT entity_type, attribute, count(*) AS entities_compared,
               count(*) FILTER (WHERE disagrees) AS entities_disagreeing,
               count(*) FILTER (WHERE disagrees) / count(*) AS disagreement_rate
        FROM _m_compared GROUP BY entity_type, attribute ORDER BY entity_type, attribute""")
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _m_pair_agree AS
        SELECT a.entity_type, a.entity_key, a.attribute, a.source AS source_l, b.source AS source_r,
               bool_or(a.compare_value = b.compare_value) AS agree
        FROM _m_held a JOIN _m_held b
          ON a.entity_key = b.entity_key AND a.attribute = b.attribute AND a.source < b.source
        GROUP BY a.entity_type, a.entity_key, a.attribute, a.source, b.source""")
    engine.execute("""
        CREATE OR REPLACE TABLE metric_consistency_pair AS
        SELECT entity_type, attribute, source_l, source_r, count(*) AS entities_compared,
               count(*) FILTER (WHERE NOT agree) AS entities_disagreeing,
               count(*) FILTER (WHERE NOT agree) / count(*) AS disagreement_rate
        FROM _m_pair_agree GROUP BY entity_type, attribute, source_l, source_r
        ORDER BY entity_type, attribute, source_l, source_r""")
    engine.execute("""
        CREATE OR REPLACE TABLE metric_consistency_source AS
        WITH sides AS (
            SELECT entity_type, entity_key, attribute, source_l AS source, agree FROM _m_pair_agree
            UNION ALL
            SELECT entity_type, entity_key, attribute, source_r AS source, agree FROM _m_pair_agree),
        per AS (SELECT entity_type, entity_key, attribute, source, bool_and(agree) AS agrees
                FROM sides GROUP BY entity_type, entity_key, attribute, source)
        SELECT p.entity_type, p.attribute, p.source,
               any_value(coalesce(s.system, p.source)) AS system,
               count(*) AS entities_compared,
               count(*) FILTER (WHERE NOT p.agrees) AS entities_disagreeing,
               count(*) FILTER (WHERE NOT p.agrees) / count(*) AS disagreement_rate
        FROM per p LEFT JOIN sources s ON s.source = p.source
        GROUP BY p.entity_type, p.attribute, p.source
        ORDER BY p.entity_type, p.attribute, disagreement_rate DESC, p.source""")
    _examples(engine, examples)


def _examples(engine: Engine, examples: int) -> None:
    rows = engine.sql(f"""
        WITH firsts AS (
            SELECT entity_type, attribute, entity_key,
                   row_number() OVER (PARTITION BY entity_type, attribute ORDER BY entity_key) AS k
            FROM _m_compared WHERE disagrees)
        SELECT DISTINCT v.entity_type, v.attribute, v.entity_id, v.source, v.value
        FROM _m_values v JOIN firsts f USING (entity_type, attribute, entity_key)
        WHERE f.k <= {int(examples)}
        ORDER BY v.entity_type, v.attribute, v.entity_id, v.source, v.value""")
    masked = rows.with_columns(pl.Series("value", [
        mask_value(r["value"], r["attribute"]) for r in rows.to_dicts()],
        dtype=pl.Utf8))
    engine.load("metric_consistency_example", masked)
