"""Redundancy: records versus distinct entities, per source and system, per pair and combination.

Every count is per entity type (a system can hold persons in one file and enterprises in another).
`level` is "source" (one configured file) or "system" (sources grouped by `sources.system`).

Tables written:
- metric_source / metric_system: entity_type, <level>, records, entities,
  within_duplicates (= records − entities), shared_entities (its entities also held by another
  source / system), shared_share (= shared_entities / entities); metric_source adds system, title.
- metric_source_pair / metric_system_pair: entity_type, <level>_l, <level>_r (l < r, every pair of
  the same entity type, zeros included), entities_l, entities_r, shared_entities,
  share_of_l (= shared / entities_l), share_of_r.
- metric_combination: level, entity_type, members ("a+b", sorted), degree, entities, records —
  the exact combination of sources / systems holding each entity (an UpSet chart).
- metric_entity_distribution: entity_type, measure ("systems" | "sources" | "records"), n, entities —
  how many entities are held by n systems, n sources, or n records.
- metric_overview: entity_type, records, entities, redundant_records (= records − entities),
  within_source_duplicates (sum over sources), cross_source_redundant (= redundant − within),
  multi_source_entities, multi_system_entities.
"""

from __future__ import annotations

from linkage.engine import Engine

LEVELS = ("source", "system")


def _per_level(engine: Engine, level: str) -> None:
    described = ("coalesce(s.system, p.source) AS system, coalesce(s.title, p.source) AS title,"
                 if level == "source" else "")
    join = "LEFT JOIN sources s ON s.source = p.source" if level == "source" else ""
    engine.execute(f"""
        CREATE OR REPLACE TABLE metric_{level} AS
        WITH held AS (SELECT entity_type, entity_key, count(DISTINCT {level}) AS holders
                      FROM _m_records GROUP BY entity_type, entity_key),
        per AS (
            SELECT m.entity_type, m.{level}, count(*) AS records,
                   count(DISTINCT m.entity_key) AS entities,
                   count(DISTINCT m.entity_key) FILTER (WHERE h.holders > 1) AS shared_entities
            FROM _m_records m JOIN held h USING (entity_type, entity_key)
            GROUP BY m.entity_type, m.{level})
        SELECT p.entity_type, p.{level}, {described} p.records, p.entities,
               p.records - p.entities AS within_duplicates, p.shared_entities,
               p.shared_entities / p.entities AS shared_share
        FROM per p {join}
        ORDER BY p.entity_type, p.{level}""")


def _pairs(engine: Engine, level: str) -> None:
    engine.execute(f"""
        CREATE OR REPLACE TABLE metric_{level}_pair AS
        WITH held AS (SELECT DISTINCT entity_type, entity_key, {level} AS k FROM _m_records),
        shared AS (
            SELECT a.entity_type, a.k AS l, b.k AS r, count(*) AS shared_entities
            FROM held a JOIN held b
              ON a.entity_type = b.entity_type AND a.entity_key = b.entity_key AND a.k < b.k
            GROUP BY a.entity_type, a.k, b.k)
        SELECT a.entity_type, a.{level} AS {level}_l, b.{level} AS {level}_r,
               a.entities AS entities_l, b.entities AS entities_r,
               coalesce(s.shared_entities, 0) AS shared_entities,
               coalesce(s.shared_entities, 0) / a.entities AS share_of_l,
               coalesce(s.shared_entities, 0) / b.entities AS share_of_r
        FROM metric_{level} a
        JOIN metric_{level} b ON a.entity_type = b.entity_type AND a.{level} < b.{level}
        LEFT JOIN shared s ON s.entity_type = a.entity_type AND s.l = a.{level} AND s.r = b.{level}
        ORDER BY a.entity_type, {level}_l, {level}_r""")


def _combinations(engine: Engine) -> None:
    selects = [f"""
        SELECT '{level}' AS level, entity_type, members, degree, count(*) AS entities,
               CAST(sum(records) AS BIGINT) AS records
        FROM (SELECT entity_type, entity_key,
                     string_agg(DISTINCT {level}, '+' ORDER BY {level}) AS members,
                     count(DISTINCT {level}) AS degree, count(*) AS records
              FROM _m_records GROUP BY entity_type, entity_key)
        GROUP BY entity_type, members, degree""" for level in LEVELS]
    engine.execute(f"""
        CREATE OR REPLACE TABLE metric_combination AS
        SELECT * FROM ({' UNION ALL '.join(selects)})
        ORDER BY level, entity_type, entities DESC, members""")


def _distribution(engine: Engine) -> None:
    engine.execute("""
        CREATE OR REPLACE TABLE metric_entity_distribution AS
        WITH per AS (
            SELECT entity_type, entity_key, count(DISTINCT system) AS systems,
                   count(DISTINCT source) AS sources, count(*) AS records
            FROM _m_records GROUP BY entity_type, entity_key)
        SELECT entity_type, measure, n, count(*) AS entities
        FROM (UNPIVOT per ON systems, sources, records INTO NAME measure VALUE n)
        GROUP BY entity_type, measure, n
        ORDER BY entity_type, measure, n""")


def _overview(engine: Engine) -> None:
    engine.execute("""
        CREATE OR REPLACE TABLE metric_overview AS
        WITH per AS (
            SELECT entity_type, entity_key, count(*) AS records, count(DISTINCT source) AS sources,
                   count(DISTINCT system) AS systems
            FROM _m_records GROUP BY entity_type, entity_key),
        within AS (SELECT entity_type, sum(within_duplicates) AS within_source_duplicates
                   FROM metric_source GROUP BY entity_type)
        SELECT p.entity_type, CAST(sum(p.records) AS BIGINT) AS records, count(*) AS entities,
               CAST(sum(p.records) - count(*) AS BIGINT) AS redundant_records,
               CAST(any_value(w.within_source_duplicates) AS BIGINT) AS within_source_duplicates,
               CAST(sum(p.records) - count(*) - any_value(w.within_source_duplicates) AS BIGINT)
                   AS cross_source_redundant,
               count(*) FILTER (WHERE p.sources > 1) AS multi_source_entities,
               count(*) FILTER (WHERE p.systems > 1) AS multi_system_entities
        FROM per p JOIN within w USING (entity_type)
        GROUP BY p.entity_type ORDER BY p.entity_type""")


def measure_redundancy(engine: Engine) -> None:
    """Write the redundancy tables listed in the module docstring."""
    for level in LEVELS:
        _per_level(engine, level)
        _pairs(engine, level)
    _combinations(engine)
    _distribution(engine)
    _overview(engine)
