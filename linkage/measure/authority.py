"""Authority (一数一源): rank the sources of each attribute and recommend one.

For each attribute and each source collecting it:
- completeness = its fill rate (metric_quality.fill_rate);
- validity = its validity rate (null where the attribute is not flagged);
- agreement = over entities whose value is held by two or more sources and has a strict
  majority (one value held by more sources than any other), the share where this source holds
  the majority value (null when it holds no such entity).
score = weighted mean of the components present (weights in `burden.authority_weights`, rescaled
over the non-null ones); rank 1 = highest score, ties by completeness then source key.

Table written: metric_authority: entity_type, attribute, source, system, completeness, validity,
agreement, agreement_entities, score, rank (INTEGER), recommended (rank = 1).
"""

from __future__ import annotations

from linkage.engine import Engine
from linkage.measure.settings import AuthorityWeights


def measure_authority(engine: Engine, weights: AuthorityWeights) -> None:
    """Write metric_authority (needs metric_quality, and _m_held / _m_compared from consistency)."""
    w_c, w_v, w_a = (float(weights.completeness), float(weights.validity), float(weights.agreement))
    engine.execute(f"""
        CREATE OR REPLACE TABLE metric_authority AS
        WITH votes AS (
            SELECT entity_type, entity_key, attribute, compare_value, count(*) AS n
            FROM _m_held JOIN _m_compared USING (entity_type, entity_key, attribute)
            GROUP BY entity_type, entity_key, attribute, compare_value),
        tops AS (
            SELECT entity_type, entity_key, attribute, max(n) AS top
            FROM votes GROUP BY entity_type, entity_key, attribute),
        majority AS (
            SELECT v.entity_type, v.entity_key, v.attribute,
                   any_value(v.compare_value) AS compare_value
            FROM votes v JOIN tops t USING (entity_type, entity_key, attribute)
            WHERE v.n = t.top
            GROUP BY v.entity_type, v.entity_key, v.attribute HAVING count(*) = 1),
        holds AS (
            SELECT h.entity_type, h.entity_key, h.attribute, h.source,
                   bool_or(h.compare_value = m.compare_value) AS holds_majority
            FROM _m_held h JOIN majority m USING (entity_type, entity_key, attribute)
            GROUP BY h.entity_type, h.entity_key, h.attribute, h.source),
        agree AS (
            SELECT entity_type, attribute, source, count(*) AS entities,
                   count(*) FILTER (WHERE holds_majority) AS agreeing
            FROM holds GROUP BY entity_type, attribute, source),
        parts AS (
            SELECT q.entity_type, q.attribute, q.source, q.system,
                   CAST(q.fill_rate AS DOUBLE) AS completeness,
                   CAST(q.validity_rate AS DOUBLE) AS validity,
                   CAST(a.agreeing AS DOUBLE) / a.entities AS agreement,
                   coalesce(a.entities, 0) AS agreement_entities
            FROM metric_quality q LEFT JOIN agree a USING (entity_type, attribute, source)),
        scored AS (
            SELECT *,
                   (coalesce(completeness, 0) * {w_c}
                    + coalesce(validity * {w_v}, 0) + coalesce(agreement * {w_a}, 0))
                   / nullif({w_c}
                            + CASE WHEN validity IS NULL THEN 0 ELSE {w_v} END
                            + CASE WHEN agreement IS NULL THEN 0 ELSE {w_a} END, 0) AS score
            FROM parts)
        SELECT *, rank = 1 AS recommended FROM (
            SELECT entity_type, attribute, source, system, completeness, validity, agreement,
                   agreement_entities, CAST(coalesce(score, 0) AS DOUBLE) AS score,
                   CAST(row_number() OVER (PARTITION BY entity_type, attribute
                                           ORDER BY score DESC NULLS LAST,
                                                    completeness DESC NULLS LAST, source)
                        AS INTEGER) AS rank
            FROM scored)
        ORDER BY entity_type, attribute, rank""")
