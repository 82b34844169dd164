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
from linkage.measure.base import Base

LEVELS = ("source", "system")
# per level: the set column of _m_entity_sets, and the member number → name of each member
_BITS = {"source": "source_bits", "system": "system_bits"}
_MEMBERS = {"source": "SELECT sid AS bit, source AS name FROM _m_sources",
            "system": "SELECT DISTINCT yid AS bit, system AS name FROM _m_sources"}


def _entity_sets(base: Base) -> None:
    """`_m_entity_sets`: entities counted per entity_type, set of sources, set of systems (sets
    over sid / yid) and number of records — the few rows every redundancy figure needs."""
    bits = base.bits
    base.scratch.create("_m_entity_sets", f"""
        SELECT entity_type, source_bits, system_bits, records,
               {bits.count('source_bits')} AS sources,
               {bits.count('system_bits')} AS systems, count(*) AS entities
        FROM (SELECT entity_type, entity_key, count(*) AS records,
                     {bits.agg('sid')} AS source_bits, {bits.agg('yid')} AS system_bits
              FROM _m_records GROUP BY entity_type, entity_key)
        GROUP BY entity_type, source_bits, system_bits, records""")


def _per_level(engine: Engine, base: Base, level: str) -> None:
    described = ("coalesce(s.system, p.source) AS system, coalesce(s.title, p.source) AS title,"
                 if level == "source" else "")
    join = "LEFT JOIN sources s ON s.source = p.source" if level == "source" else ""
    engine.create_table(f"metric_{level}", f"""
        WITH held AS (
            SELECT e.entity_type, k.name AS {level}, CAST(sum(e.entities) AS BIGINT) AS entities,
                   CAST(sum(e.entities) FILTER (WHERE e.{level}s > 1) AS BIGINT)
                       AS shared_entities
            FROM _m_entity_sets e
            JOIN ({_MEMBERS[level]}) k ON {base.bits.has(f'e.{_BITS[level]}', 'k.bit')}
            GROUP BY e.entity_type, k.name),
        per AS (
            SELECT entity_type, {level}, n.records, h.entities,
                   coalesce(h.shared_entities, 0) AS shared_entities
            FROM (SELECT entity_type, {level}, count(*) AS records FROM _m_records
                  GROUP BY entity_type, {level}) n
            JOIN held h USING (entity_type, {level}))
        SELECT p.entity_type, p.{level}, {described} p.records, p.entities,
               p.records - p.entities AS within_duplicates, p.shared_entities,
               p.shared_entities / p.entities AS shared_share
        FROM per p {join}
        ORDER BY p.entity_type, p.{level}""")


def _pairs(engine: Engine, base: Base, level: str) -> None:
    has = base.bits.has
    engine.create_table(f"metric_{level}_pair", f"""
        WITH shared AS (
            SELECT e.entity_type, l.name AS l, r.name AS r,
                   CAST(sum(e.entities) AS BIGINT) AS shared_entities
            FROM _m_entity_sets e
            JOIN ({_MEMBERS[level]}) l ON {has(f'e.{_BITS[level]}', 'l.bit')}
            JOIN ({_MEMBERS[level]}) r ON l.name < r.name AND {has(f'e.{_BITS[level]}', 'r.bit')}
            GROUP BY e.entity_type, l.name, r.name)
        SELECT a.entity_type, a.{level} AS {level}_l, b.{level} AS {level}_r,
               a.entities AS entities_l, b.entities AS entities_r,
               coalesce(s.shared_entities, 0) AS shared_entities,
               coalesce(s.shared_entities, 0) / a.entities AS share_of_l,
               coalesce(s.shared_entities, 0) / b.entities AS share_of_r
        FROM metric_{level} a
        JOIN metric_{level} b ON a.entity_type = b.entity_type AND a.{level} < b.{level}
        LEFT JOIN shared s ON s.entity_type = a.entity_type AND s.l = a.{level} AND s.r = b.{level}
        ORDER BY a.entity_type, {level}_l, {level}_r""")


def _combinations(engine: Engine, base: Base) -> None:
    selects = [f"""
        SELECT '{level}' AS level, entity_type, members, degree, entities, records
        FROM (SELECT e.entity_type,
                     {engine.dialect.sorted_string_agg('k.name', '+')} AS members,
                     any_value(e.degree) AS degree, any_value(e.entities) AS entities,
                     any_value(e.records) AS records
              FROM (SELECT entity_type, {_BITS[level]} AS bits, any_value({level}s) AS degree,
                           CAST(sum(entities) AS BIGINT) AS entities,
                           CAST(sum(entities * records) AS BIGINT) AS records
                    FROM _m_entity_sets GROUP BY entity_type, {_BITS[level]}) e
              JOIN ({_MEMBERS[level]}) k ON {base.bits.has('e.bits', 'k.bit')}
              GROUP BY e.entity_type, e.bits)""" for level in LEVELS]
    engine.create_table("metric_combination", f"""
        SELECT * FROM ({' UNION ALL '.join(selects)})
        ORDER BY level, entity_type, entities DESC, members""")


def _distribution(engine: Engine) -> None:
    unpivoted = " UNION ALL ".join(
        f"SELECT entity_type, '{measure}' AS measure, {measure} AS n, entities FROM _m_entity_sets"
        for measure in ("systems", "sources", "records"))
    engine.create_table("metric_entity_distribution", f"""
        SELECT entity_type, measure, n, CAST(sum(entities) AS BIGINT) AS entities
        FROM ({unpivoted})
        GROUP BY entity_type, measure, n
        ORDER BY entity_type, measure, n""")


def _overview(engine: Engine) -> None:
    engine.create_table("metric_overview", """
        WITH per AS (
            SELECT entity_type, CAST(sum(entities * records) AS BIGINT) AS records,
                   CAST(sum(entities) AS BIGINT) AS entities,
                   CAST(coalesce(sum(entities) FILTER (WHERE sources > 1), 0) AS BIGINT)
                       AS multi_source_entities,
                   CAST(coalesce(sum(entities) FILTER (WHERE systems > 1), 0) AS BIGINT)
                       AS multi_system_entities
            FROM _m_entity_sets GROUP BY entity_type),
        within AS (SELECT entity_type, sum(within_duplicates) AS within_source_duplicates
                   FROM metric_source GROUP BY entity_type)
        SELECT p.entity_type, p.records, p.entities,
               CAST(p.records - p.entities AS BIGINT) AS redundant_records,
               CAST(w.within_source_duplicates AS BIGINT) AS within_source_duplicates,
               CAST(p.records - p.entities - w.within_source_duplicates AS BIGINT)
                   AS cross_source_redundant,
               p.multi_source_entities, p.multi_system_entities
        FROM per p JOIN within w USING (entity_type)
        ORDER BY p.entity_type""")


def measure_redundancy(engine: Engine, base: Base) -> None:
    """Write the redundancy tables listed in the module docstring."""
    _entity_sets(base)
    for level in LEVELS:
        _per_level(engine, base, level)
        _pairs(engine, base, level)
    _combinations(engine, base)
    _distribution(engine)
    _overview(engine)
