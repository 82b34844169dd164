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
  disagrees (two or more distinct compare values), sids (bit string of the sources holding a
  compare value, bit = sid), keyed_sids (likewise, of the sources holding a value).
- `_m_source_attributes`: the (entity_type, source, system, attribute) a source collects, with the
  source's record count, sid and aid (null when the attribute is not measured).

Also the flag classes quality uses (see `VALID_FLAGS`, `NONCONFORMING_FLAGS`).
"""

from __future__ import annotations

import polars as pl

from linkage.attributes import ATTRIBUTES, ENTITY_TYPES
from linkage.engine import Engine
from linkage.engine.duckdb_engine import quote_ident

# flags that mean "value is fully valid": also an organisation code keyed into a credit-code
# column and a local phone number completed with its area code
VALID_FLAGS = ("valid", "parsed", "org_code", "area_code_added")
# flags that mean "value does not even have the expected format"; any other flag is conforming
NONCONFORMING_FLAGS = ("wrong_length", "not_an_id", "invalid_chars", "invalid", "unparsed",
                       "precision_lost")
# parsed address parts that identify a dwelling, compared instead of the address text
ADDRESS_PARTS = ("road", "number", "building", "unit", "room")
# attributes that differ per record by nature: no re-entry, no consistency
PER_RECORD = frozenset({"registration_date"})


def sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _first_present(columns: set[str], *names: str) -> str:
    present = [f"r.{quote_ident(n)}" for n in names if n in columns]
    if not present:
        return "NULL"
    return present[0] if len(present) == 1 else f"coalesce({', '.join(present)})"


def _compare_sql(entity_type: str, attr: str, columns: set[str]) -> tuple[str, tuple[str, ...]]:
    """(SQL for compare_value, the columns it reads): addresses as road|number|building|unit|room
    (null when the road or number is unknown, as the district and community prefixes are often
    left out; the address key, else the text, when the parts are missing), dates only when
    complete (a year-month does not contradict a full date), enterprise names by their core name
    (字号), credit codes by the organisation code in a valid one (characters 9–17), so that an
    organisation code keyed into the column (flag org_code) agrees with the credit code holding
    it, an organisation code in a registration-number column not at all (it says nothing about
    the number), anything else as normalized."""
    kind = ATTRIBUTES[entity_type][attr].kind
    flag = f"{attr}_flag"
    if kind in ("uscc", "reg_number") and flag in columns:
        column, flagged = quote_ident(attr), quote_ident(flag)
        if kind == "uscc":
            return (f"CASE WHEN {flagged} = 'valid' THEN substr({column}, 9, 9) ELSE {column} END",
                    (attr, flag))
        return f"CASE WHEN {flagged} = 'org_code' THEN NULL ELSE {column} END", (attr, flag)
    parts = tuple(f"{attr}_{p}" for p in ADDRESS_PARTS)
    if kind == "address" and all(p in columns for p in parts):
        road, number = quote_ident(parts[0]), quote_ident(parts[1])
        joined = ", ".join(f"coalesce({quote_ident(p)}, '')" for p in parts)
        return (f"CASE WHEN {road} IS NOT NULL AND {number} IS NOT NULL "
                f"THEN concat_ws('|', {joined}) END", parts)
    for suffix, kinds in (("_key", ("address",)), ("_core", ("enterprise_name",))):
        if kind in kinds and attr + suffix in columns:
            return quote_ident(attr + suffix), (attr + suffix,)
    column = quote_ident(attr)
    if kind == "date":
        return f"CASE WHEN length({column}) = 10 THEN {column} END", (attr,)
    return column, (attr,)


def _build_records(engine: Engine, columns: set[str]) -> None:
    """`_m_sources` and `_m_records`, with each record's community and grid (own, else its
    entity's usual one)."""
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _m_sources AS
        SELECT CAST(row_number() OVER (ORDER BY source) - 1 AS SMALLINT) AS sid, source, system,
               CAST(dense_rank() OVER (ORDER BY system) - 1 AS SMALLINT) AS yid
        FROM (SELECT source, coalesce(s.system, source) AS system
              FROM (SELECT DISTINCT source FROM records UNION SELECT source FROM sources) k
              LEFT JOIN sources s USING (source))""")
    own = {"area_community": _first_present(columns, "community", "address_community"),
           "area_grid": _first_present(columns, "grid")}
    usual = "".join(f""",
        {a} AS (SELECT entity_key, first(area ORDER BY n DESC, area) AS area
                FROM (SELECT entity_key, {a} AS area, count(*) AS n FROM own
                      WHERE {a} IS NOT NULL GROUP BY entity_key, {a})
                GROUP BY entity_key)""" for a in own)
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _m_records AS
        WITH linked AS (
            SELECT r.record_id, r.entity_type,
                   coalesce(c.entity_id, 'R' || CAST(r.record_id AS VARCHAR)) AS entity_id,
                   r.source, s.system, s.sid, s.yid
                   {''.join(f', CAST({sql} AS VARCHAR) AS {a}' for a, sql in own.items())}
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


def _build_source_attributes(engine: Engine, measured: list[tuple[str, str]]) -> None:
    """`_m_attrs` and `_m_source_attributes`."""
    engine.load("_m_attrs", pl.DataFrame(
        [{"aid": i, "entity_type": e, "attribute": a, "per_record": a in PER_RECORD}
         for i, (e, a) in enumerate(measured)],
        schema={"aid": pl.Int16, "entity_type": pl.Utf8, "attribute": pl.Utf8,
                "per_record": pl.Boolean}))
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _m_source_attributes AS
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
               where: str = "true") -> str:
    """One UNION ALL branch per measured attribute over `records`: the rows of its non-blank
    values in the sources collecting it.  `select` may use record_id, aid, value (text),
    compare_value and flag; `where` filters records (e.g. on record_id)."""
    columns = set(engine.columns("records"))
    collected = _collected(engine)
    branches = []
    for aid, (entity_type, attr) in enumerate(measured):
        compare, used = _compare_sql(entity_type, attr, columns)
        flag = f"{attr}_flag" if f"{attr}_flag" in columns else None
        needed = sorted({attr, *used} | ({flag} if flag else set()))
        branches.append(f"""
        SELECT {select} FROM (
            SELECT record_id, CAST({aid} AS SMALLINT) AS aid, {quote_ident(attr)} AS value,
                   {compare} AS compare_value,
                   {quote_ident(flag) if flag else 'NULL'}::VARCHAR AS flag
            FROM (SELECT record_id,
                         {', '.join(f'CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}'
                                    for c in needed)}
                  FROM records
                  WHERE entity_type = '{entity_type}' AND {quote_ident(attr)} IS NOT NULL
                    AND source IN ({sql_list(collected[entity_type, attr])}) AND {where}))""")
    return "\nUNION ALL\n".join(branches) if branches else f"""
        SELECT {select} FROM (SELECT NULL::BIGINT AS record_id, NULL::SMALLINT AS aid,
            NULL::VARCHAR AS value, NULL::VARCHAR AS compare_value, NULL::VARCHAR AS flag
            WHERE false)"""


def _build_values(engine: Engine, measured: list[tuple[str, str]]) -> None:
    """`_m_values`: the value rows with the compare value hashed and the flag classed."""
    flag_class = (f"CASE WHEN flag IN ({sql_list(VALID_FLAGS)}) THEN 2 "
                  f"WHEN flag NOT IN ({sql_list(NONCONFORMING_FLAGS)}) THEN 1 "
                  "WHEN flag IS NOT NULL THEN 0 END")
    select = ("record_id, aid, CASE WHEN compare_value IS NOT NULL THEN hash(compare_value) END "
              f"AS cmp, CAST({flag_class} AS UTINYINT) AS fc")
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _m_values AS
        SELECT m.entity_key, v.record_id, m.sid, v.aid, v.cmp, v.fc
        FROM ({values_sql(engine, measured, select)}) v JOIN _m_records m USING (record_id)""")


def _build_groups(engine: Engine) -> None:
    """`_m_groups`: one row per entity and attribute (per-record attributes left out)."""
    top = int(engine.scalar("SELECT count(*) FROM _m_sources"))
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _m_groups AS
        SELECT *, coalesce(bit_count(sids) > 1, false) AS compared FROM (
            SELECT entity_key, aid, count(*) AS n, min(cmp) <> max(cmp) AS disagrees,
                   bitstring_agg(CAST(sid AS INTEGER), 0, {top}) FILTER (WHERE cmp IS NOT NULL)
                       AS sids,
                   bitstring_agg(CAST(sid AS INTEGER), 0, {top}) AS keyed_sids
            FROM _m_values
            WHERE aid IN (SELECT aid FROM _m_attrs WHERE NOT per_record)
            GROUP BY entity_key, aid)""")


def build_base(engine: Engine) -> list[tuple[str, str]]:
    """Create the working tables; returns the (entity_type, attribute) pairs measured: the
    canonical attributes some source collects that the records table carries (aid = position)."""
    columns = set(engine.columns("records"))
    _build_records(engine, columns)
    collected = _collected(engine)
    measured = [(e, a) for e in ENTITY_TYPES for a in ATTRIBUTES[e]
                if a in columns and (e, a) in collected]
    _build_source_attributes(engine, measured)
    _build_values(engine, measured)
    _build_groups(engine)
    return measured


def drop_base(engine: Engine) -> None:
    """Drop the working tables of every measure (base and intermediate)."""
    for name in ("_m_records", "_m_values", "_m_source_attributes", "_m_sources", "_m_attrs",
                 "_m_entity_sets", "_m_seconds", "_m_updates", "_m_reentry", "_m_groups",
                 "_m_agree_sets", "_m_disagree_held", "_m_pair_agree"):
        engine.execute(f"DROP TABLE IF EXISTS {name}")


def table_rows(engine: Engine, query: str) -> list[dict]:
    """A query's rows as JSON-ready dicts (floats rounded to 6 places for stable output)."""
    rows = engine.sql(query).to_dicts()
    return [{k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()} for row in rows]
