"""The working tables every measure reads, built once per run in the engine.

- `_m_records`: one row per record — record_id, entity_type, entity_id, entity_key (an integer
  standing for entity_type + entity_id, for fast grouping), source, system, area_community
  (records.community, else address_community, else the community its entity's records give
  most often, ties by name), area_grid (records.grid, else its entity's most frequent grid).
- `_m_values`: one row per non-blank canonical value of a source that collects the attribute —
  entity_type, entity_key, entity_id, record_id, source, system, attribute, value (normalized text),
  compare_value (what consistency compares, see `_compare_sql`), flag
  (the normalizer's `<attribute>_flag`, null where the attribute has none).
- `_m_source_attributes`: the (entity_type, source, system, attribute) a source collects, with the
  source's record count.

Also the flag classes quality and authority use (see `VALID_FLAGS`, `NONCONFORMING_FLAGS`).
"""

from __future__ import annotations

from linkage.attributes import ATTRIBUTES, ENTITY_TYPES
from linkage.engine import Engine
from linkage.engine.duckdb_engine import quote_ident

# flags that mean "value is fully valid"
VALID_FLAGS = ("valid", "parsed")
# flags that mean "value does not even have the expected format"; any other flag is conforming
NONCONFORMING_FLAGS = ("wrong_length", "not_an_id", "invalid_chars", "invalid", "unparsed")
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
    (字号), anything else as normalized."""
    kind = ATTRIBUTES[entity_type][attr].kind
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
    """`_m_records`, with each record's community and grid (own, else its entity's usual one)."""
    own = {"area_community": _first_present(columns, "community", "address_community"),
           "area_grid": _first_present(columns, "grid")}
    usual = "".join(f""",
        {a} AS (SELECT entity_key, first(area ORDER BY n DESC, area) AS area
                FROM (SELECT entity_key, {a} AS area, count(*) AS n FROM own
                      WHERE {a} IS NOT NULL GROUP BY entity_key, {a})
                GROUP BY entity_key)""" for a in own)
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _m_records AS
        WITH own AS (
            SELECT *, dense_rank() OVER (ORDER BY entity_type, entity_id) AS entity_key FROM (
                SELECT r.record_id, r.entity_type,
                       coalesce(c.entity_id, 'R' || CAST(r.record_id AS VARCHAR)) AS entity_id,
                       r.source, coalesce(s.system, r.source) AS system
                       {''.join(f', CAST({sql} AS VARCHAR) AS {a}' for a, sql in own.items())}
                FROM records r
                LEFT JOIN clusters c USING (record_id)
                LEFT JOIN sources s ON s.source = r.source)){usual}
        SELECT o.record_id, o.entity_type, o.entity_id, o.entity_key, o.source, o.system
               {''.join(f', coalesce(o.{a}, {a}.area) AS {a}' for a in own)}
        FROM own o {' '.join(f'LEFT JOIN {a} USING (entity_key)' for a in own)}""")


def _build_source_attributes(engine: Engine) -> dict[tuple[str, str], list[str]]:
    """`_m_source_attributes`; returns the sources collecting each (entity_type, attribute)."""
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _m_source_attributes AS
        SELECT s.entity_type, s.source, coalesce(s.system, s.source) AS system, sc.attribute,
               coalesce(n.records, 0) AS records
        FROM (SELECT DISTINCT source, attribute FROM source_columns WHERE attribute IS NOT NULL) sc
        JOIN sources s USING (source)
        LEFT JOIN (SELECT source, count(*) AS records FROM records GROUP BY source) n
          USING (source)""")
    collected: dict[tuple[str, str], list[str]] = {}
    for r in engine.sql("SELECT DISTINCT entity_type, attribute, source FROM _m_source_attributes "
                        "ORDER BY source").to_dicts():
        collected.setdefault((r["entity_type"], r["attribute"]), []).append(r["source"])
    return collected


def _build_values(engine: Engine, columns: set[str], measured: list[tuple[str, str]],
                  collected: dict[tuple[str, str], list[str]]) -> None:
    """`_m_values`: one UNION ALL branch per measured attribute over a narrow copy of records."""
    compare = {key: _compare_sql(*key, columns) for key in measured}
    flags = {key: f"{key[1]}_flag" if f"{key[1]}_flag" in columns else None for key in measured}
    needed = ({a for _, a in measured} | {f for f in flags.values() if f}
              | {c for _, used in compare.values() for c in used})
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _m_wide AS
        SELECT m.entity_type, m.entity_key, m.entity_id, m.record_id, m.source, m.system
               {''.join(f', CAST(r.{quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}'
                        for c in sorted(needed))}
        FROM records r JOIN _m_records m USING (record_id)""")
    selects = [f"""
        SELECT entity_type, entity_key, entity_id, record_id, source, system,
               '{attr}' AS attribute, {quote_ident(attr)} AS value,
               {compare[entity_type, attr][0]} AS compare_value,
               {quote_ident(flags[entity_type, attr]) if flags[entity_type, attr] else 'NULL'}
                   ::VARCHAR AS flag
        FROM _m_wide
        WHERE entity_type = '{entity_type}' AND {quote_ident(attr)} IS NOT NULL
          AND source IN ({sql_list(collected[entity_type, attr])})"""
               for entity_type, attr in measured]
    body = "\nUNION ALL\n".join(selects) if selects else """
        SELECT entity_type, entity_key, entity_id, record_id, source, system,
               NULL::VARCHAR AS attribute, NULL::VARCHAR AS value, NULL::VARCHAR AS compare_value,
               NULL::VARCHAR AS flag FROM _m_records WHERE false"""
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _m_values AS {body}")
    engine.execute("DROP TABLE _m_wide")


def build_base(engine: Engine) -> list[tuple[str, str]]:
    """Create the working tables; returns the (entity_type, attribute) pairs measured: the
    canonical attributes some source collects that the records table carries."""
    columns = set(engine.columns("records"))
    _build_records(engine, columns)
    collected = _build_source_attributes(engine)
    measured = [(e, a) for e in ENTITY_TYPES for a in ATTRIBUTES[e]
                if a in columns and (e, a) in collected]
    _build_values(engine, columns, measured, collected)
    return measured


def drop_base(engine: Engine) -> None:
    """Drop the working tables of every measure (base and intermediate)."""
    for name in ("_m_records", "_m_values", "_m_source_attributes", "_m_seconds", "_m_updates",
                 "_m_reentry", "_m_held", "_m_compared", "_m_pair_agree"):
        engine.execute(f"DROP TABLE IF EXISTS {name}")


def table_rows(engine: Engine, query: str) -> list[dict]:
    """A query's rows as JSON-ready dicts (floats rounded to 6 places for stable output)."""
    rows = engine.sql(query).to_dicts()
    return [{k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()} for row in rows]
