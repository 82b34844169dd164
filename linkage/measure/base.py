"""The working tables every measure reads, built once per run in the engine.

Heavy tables hold small integer codes, not text, so the per-value work groups and joins integers:
- `_m_sources`: sid (SMALLINT, in the order of the source keys, so `sid` compares like `source`),
  source, system, yid (SMALLINT, likewise for the system).
- `_m_attrs`: aid (SMALLINT), entity_type, attribute, per_record — the measured attributes.
- `_m_records`: one row per record — record_id, entity_type, entity_id, entity_key (an integer
  standing for entity_type + entity_id, for fast grouping, in their order), source, system, sid,
  yid, area_community (records.community, else address_community, else the community its
  entity's records give most often, ties by name), area_grid (records.grid, else its entity's
  most frequent grid).
- `_m_values`: one row per non-blank canonical value of a source that collects the attribute —
  entity_key, record_id, sid, aid, cmp (a 64-bit hash of the compare value that consistency
  compares, see `_compare_sql`; null when there is none — equal hashes stand for equal values,
  a collision within one entity's few values being vanishingly unlikely), fc (flag class of the
  normalizer's `<attribute>_flag`: 2 valid, 1 conforming, 0 not conforming, null where there is
  no flag).
  The text values themselves are read back from `records` only where they are shown
  (`values_sql`).
- `_m_groups`: one row per entity and attribute with a value (per-record attributes left out) —
  entity_key, aid, n (values keyed), compared (two or more sources hold a compare value),
  disagrees (two or more distinct compare values), sids (the set of sources holding a
  compare value, a `BitSet` over sid), keyed_sids (likewise, of the sources holding a value).
- `_m_source_attributes`: the (entity_type, source, system, attribute) a source collects, with the
  source's record count, sid and aid (null when the attribute is not measured).

Every working table, these and the measures' own, is made through the run's `Scratch` registry
(linkage.engine.scratch), which drops them all when the measures end; SQL that the engines spell
differently comes from `engine.dialect`.

Also the flag classes quality uses (see `VALID_FLAGS`, `NONCONFORMING_FLAGS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from linkage.attributes import ATTRIBUTES, ENTITY_TYPES
from linkage.columns import address_parts, derived, flag
from linkage.engine import Engine, Scratch
from linkage.engine.dialect import BitSet, Dialect

# flags that mean "value is fully valid": also an organisation code or a registration number
# keyed into a credit-code column, and a local phone number completed with its area code
VALID_FLAGS = ("valid", "parsed", "org_code", "reg_number", "area_code_added")
# flags that mean "value does not even have the expected format"; any other flag is conforming
NONCONFORMING_FLAGS = ("wrong_length", "not_an_id", "invalid_chars", "invalid", "unparsed",
                       "precision_lost")
# attributes that differ per record by nature: no re-entry, no consistency
PER_RECORD = frozenset({"registration_date"})


@dataclass
class Base:
    """What build_base made for the measures: the (entity_type, attribute) pairs measured (aid =
    position), the sets over source / system numbers, and the registry of working tables."""

    measured: list[tuple[str, str]]
    bits: BitSet
    scratch: Scratch


def _first_present(d: Dialect, columns: set[str], *names: str) -> str:
    present = [f"r.{d.quote(n)}" for n in names if n in columns]
    if not present:
        return "NULL"
    return present[0] if len(present) == 1 else f"coalesce({', '.join(present)})"


def _compare_sql(d: Dialect, entity_type: str, attr: str,
                 columns: set[str]) -> tuple[str, tuple[str, ...]]:
    """(SQL for compare_value, the columns it reads): addresses as road|number|building|unit|room
    (null when the road or number is unknown, as the district and community prefixes are often
    left out; the address key, else the text, when the parts are missing), dates only when
    complete (a year-month does not contradict a full date), enterprise names by their core name
    (字号), credit codes by the organisation code in a valid one (characters 9–17), so that an
    organisation code keyed into the column (flag org_code) agrees with the credit code holding
    it, an organisation code in a registration-number column and a registration number in a
    credit-code column not at all (one says nothing about the other), anything else as
    normalized."""
    kind = ATTRIBUTES[entity_type][attr].kind
    flag_column = flag(attr)
    if kind in ("uscc", "reg_number") and flag_column in columns:
        column, flagged = d.quote(attr), d.quote(flag_column)
        if kind == "uscc":
            return (f"CASE WHEN {flagged} = 'valid' THEN substr({column}, 9, 9) "
                    f"WHEN {flagged} = 'reg_number' THEN NULL ELSE {column} END",
                    (attr, flag_column))
        return (f"CASE WHEN {flagged} = 'org_code' THEN NULL ELSE {column} END",
                (attr, flag_column))
    parts = address_parts(attr)
    if kind == "address" and all(p in columns for p in parts):
        road, number = d.quote(parts[0]), d.quote(parts[1])
        joined = ", ".join(f"coalesce({d.quote(p)}, '')" for p in parts)
        return (f"CASE WHEN {road} IS NOT NULL AND {number} IS NOT NULL "
                f"THEN concat_ws('|', {joined}) END", parts)
    for suffix, kinds in (("key", ("address",)), ("core", ("enterprise_name",))):
        if kind in kinds and derived(attr, suffix) in columns:
            return d.quote(derived(attr, suffix)), (derived(attr, suffix),)
    column = d.quote(attr)
    if kind == "date":
        return f"CASE WHEN length({column}) = 10 THEN {column} END", (attr,)
    return column, (attr,)


def _build_records(engine: Engine, scratch: Scratch, columns: set[str]) -> None:
    """`_m_sources` and `_m_records`, with each record's community and grid (own, else its
    entity's usual one)."""
    d = engine.dialect
    scratch.create("_m_sources", """
        SELECT CAST(row_number() OVER (ORDER BY source) - 1 AS SMALLINT) AS sid, source, system,
               CAST(dense_rank() OVER (ORDER BY system) - 1 AS SMALLINT) AS yid
        FROM (SELECT source, coalesce(s.system, source) AS system
              FROM (SELECT DISTINCT source FROM records UNION SELECT source FROM sources) k
              LEFT JOIN sources s USING (source))""")
    own = {"area_community": _first_present(d, columns, "community",
                                            derived("address", "community")),
           "area_grid": _first_present(d, columns, "grid")}
    usual = "".join(f""",
        {a} AS (SELECT entity_key, area FROM (
                    SELECT entity_key, area,
                           row_number() OVER (PARTITION BY entity_key ORDER BY n DESC, area) AS k
                    FROM (SELECT entity_key, {a} AS area, count(*) AS n FROM own
                          WHERE {a} IS NOT NULL GROUP BY entity_key, {a}))
                WHERE k = 1)""" for a in own)
    scratch.create("_m_records", f"""
        WITH linked AS (
            SELECT r.record_id, r.entity_type,
                   coalesce(c.entity_id, 'R' || {d.cast('r.record_id', 'text')}) AS entity_id,
                   r.source, s.system, s.sid, s.yid
                   {''.join(f', {d.cast(sql, "text")} AS {a}' for a, sql in own.items())}
            FROM records r
            LEFT JOIN clusters c USING (record_id)
            JOIN _m_sources s ON s.source = r.source),
        keys AS (
            SELECT entity_type, entity_id,
                   CAST(row_number() OVER (ORDER BY entity_type, entity_id) AS INTEGER)
                       AS entity_key
            FROM (SELECT DISTINCT entity_type, entity_id FROM linked)),
        own AS (SELECT * FROM linked JOIN keys USING (entity_type, entity_id)){usual}
        SELECT o.record_id, o.entity_type, o.entity_id, o.entity_key, o.source, o.system, o.sid,
               o.yid
               {''.join(f', coalesce(o.{a}, {a}.area) AS {a}' for a in own)}
        FROM own o {' '.join(f'LEFT JOIN {a} USING (entity_key)' for a in own)}""")


def _build_source_attributes(scratch: Scratch, measured: list[tuple[str, str]]) -> None:
    """`_m_attrs` and `_m_source_attributes`."""
    scratch.load("_m_attrs", pl.DataFrame(
        [{"aid": i, "entity_type": e, "attribute": a, "per_record": a in PER_RECORD}
         for i, (e, a) in enumerate(measured)],
        schema={"aid": pl.Int16, "entity_type": pl.Utf8, "attribute": pl.Utf8,
                "per_record": pl.Boolean}))
    scratch.create("_m_source_attributes", """
        SELECT s.entity_type, s.source, coalesce(s.system, s.source) AS system, sc.attribute,
               coalesce(n.records, 0) AS records, k.sid, a.aid
        FROM (SELECT DISTINCT source, attribute FROM source_columns WHERE attribute IS NOT NULL) sc
        JOIN sources s USING (source)
        JOIN _m_sources k USING (source)
        LEFT JOIN _m_attrs a ON a.entity_type = s.entity_type AND a.attribute = sc.attribute
        LEFT JOIN (SELECT source, count(*) AS records FROM records GROUP BY source) n
          USING (source)""")


def _collected(engine: Engine) -> dict[tuple[str, str], list[str]]:
    """The sources collecting each (entity_type, attribute), from source_columns."""
    collected: dict[tuple[str, str], list[str]] = {}
    for r in engine.sql("""
            SELECT DISTINCT s.entity_type, sc.attribute, sc.source
            FROM source_columns sc JOIN sources s USING (source)
            WHERE sc.attribute IS NOT NULL ORDER BY sc.source""").to_dicts():
        collected.setdefault((r["entity_type"], r["attribute"]), []).append(r["source"])
    return collected


def values_sql(engine: Engine, measured: list[tuple[str, str]], select: str,
               table: str = "records") -> str:
    """One UNION ALL branch per measured attribute over `table` (`records`, or a table of some
    of its rows): the rows of its non-blank values in the sources collecting it.  `select` may
    use record_id, aid, value (text), compare_value and flag."""
    d = engine.dialect
    columns = set(engine.columns(table))
    collected = _collected(engine)
    branches = []
    for aid, (entity_type, attr) in enumerate(measured):
        compare, used = _compare_sql(d, entity_type, attr, columns)
        flagged = flag(attr) if flag(attr) in columns else None
        needed = sorted({attr, *used} | ({flagged} if flagged else set()))
        branches.append(f"""
        SELECT {select} FROM (
            SELECT record_id, CAST({aid} AS SMALLINT) AS aid, {d.quote(attr)} AS value,
                   {compare} AS compare_value,
                   {d.cast(d.quote(flagged) if flagged else 'NULL', 'text')} AS flag
            FROM (SELECT record_id,
                         {', '.join(f'{d.cast(d.quote(c), "text")} AS {d.quote(c)}'
                                    for c in needed)}
                  FROM {d.quote(table)}
                  WHERE entity_type = {d.literal(entity_type)} AND {d.quote(attr)} IS NOT NULL
                    AND source IN ({d.in_list(collected[entity_type, attr])})))""")
    return "\nUNION ALL\n".join(branches) if branches else f"""
        SELECT {select} FROM (SELECT {d.null('bigint')} AS record_id, {d.null('smallint')} AS aid,
            {d.null('text')} AS value, {d.null('text')} AS compare_value,
            {d.null('text')} AS flag WHERE false)"""


def _build_values(engine: Engine, scratch: Scratch, measured: list[tuple[str, str]]) -> None:
    """`_m_values`: the value rows with the compare value hashed and the flag classed."""
    d = engine.dialect
    flag_class = (f"CASE WHEN flag IN ({d.in_list(VALID_FLAGS)}) THEN 2 "
                  f"WHEN flag NOT IN ({d.in_list(NONCONFORMING_FLAGS)}) THEN 1 "
                  "WHEN flag IS NOT NULL THEN 0 END")
    select = (f"record_id, aid, CASE WHEN compare_value IS NOT NULL THEN "
              f"{d.hash64('compare_value')} END AS cmp, {d.cast(flag_class, 'tinyint')} AS fc")
    scratch.create("_m_values", f"""
        SELECT m.entity_key, v.record_id, m.sid, v.aid, v.cmp, v.fc
        FROM ({values_sql(engine, measured, select)}) v JOIN _m_records m USING (record_id)""")


def _build_groups(scratch: Scratch, bits: BitSet) -> None:
    """`_m_groups`: one row per entity and attribute (per-record attributes left out)."""
    scratch.create("_m_groups", f"""
        SELECT *, coalesce({bits.count('sids')} > 1, false) AS compared FROM (
            SELECT entity_key, aid, count(*) AS n, min(cmp) <> max(cmp) AS disagrees,
                   {bits.agg('sid')} FILTER (WHERE cmp IS NOT NULL) AS sids,
                   {bits.agg('sid')} AS keyed_sids
            FROM _m_values
            WHERE aid IN (SELECT aid FROM _m_attrs WHERE NOT per_record)
            GROUP BY entity_key, aid)""")


def build_base(engine: Engine, scratch: Scratch) -> Base:
    """Create the working tables in `scratch`; the measured (entity_type, attribute) pairs are
    the canonical attributes some source collects that the records table carries."""
    columns = set(engine.columns("records"))
    _build_records(engine, scratch, columns)
    collected = _collected(engine)
    measured = [(e, a) for e in ENTITY_TYPES for a in ATTRIBUTES[e]
                if a in columns and (e, a) in collected]
    bits = engine.dialect.bit_set(int(engine.scalar("SELECT count(*) FROM _m_sources")))
    _build_source_attributes(scratch, measured)
    _build_values(engine, scratch, measured)
    _build_groups(scratch, bits)
    return Base(measured, bits, scratch)


def table_rows(engine: Engine, query: str) -> list[dict]:
    """A query's rows as JSON-ready dicts (floats rounded to 6 places for stable output)."""
    rows = engine.sql(query).to_dicts()
    return [{k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()} for row in rows]
