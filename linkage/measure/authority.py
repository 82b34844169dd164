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
from linkage.measure.base import Base
from linkage.measure.settings import AuthorityWeights


def measure_authority(engine: Engine, base: Base, weights: AuthorityWeights) -> None:
    """Write metric_authority (needs metric_quality, and _m_agree_sets / _m_disagree_held from
    consistency: where every source agrees, each holds the majority value)."""
    w_c, w_v, w_a = (float(weights.completeness), float(weights.validity), float(weights.agreement))
    engine.create_table("metric_authority", f"""
        WITH votes AS (
            SELECT entity_key, aid, cmp, count(*) AS n
            FROM _m_disagree_held GROUP BY entity_key, aid, cmp),
        tops AS (
            SELECT entity_key, aid, max(n) AS top FROM votes GROUP BY entity_key, aid),
        majority AS (
            SELECT v.entity_key, v.aid, any_value(v.cmp) AS cmp
            FROM votes v JOIN tops t USING (entity_key, aid)
            WHERE v.n = t.top
            GROUP BY v.entity_key, v.aid HAVING count(*) = 1),
        holds AS (
            SELECT g.aid, s.sid, g.n AS entities, g.n AS agreeing
            FROM _m_agree_sets g JOIN _m_sources s ON {base.bits.has('g.sids', 's.sid')}
            UNION ALL
            SELECT h.aid, h.sid, 1, CASE WHEN bool_or(h.cmp = m.cmp) THEN 1 ELSE 0 END
            FROM _m_disagree_held h JOIN majority m USING (entity_key, aid)
            GROUP BY h.entity_key, h.aid, h.sid),
        agree AS (
            SELECT a.entity_type, a.attribute, s.source,
                   CAST(sum(g.entities) AS BIGINT) AS entities,
                   CAST(sum(g.agreeing) AS BIGINT) AS agreeing
            FROM holds g JOIN _m_attrs a USING (aid) JOIN _m_sources s USING (sid)
            GROUP BY a.entity_type, a.attribute, s.source),
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
