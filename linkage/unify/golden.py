"""Golden records: one row per entity, each unified column chosen by survivorship, in SQL.

Every candidate value of an entity (its records' normalized values; extension columns only
from that department's sources) is ranked by
1. the authority rank of its source for the attribute (linkage.unify.authority),
2. validity (the normalizer's flag is `valid` / `parsed`),
3. frequency (records of the entity carrying the same value),
4. recency (latest `registration_date` of those records),
then value and source text, so the choice is deterministic.  Values that do not meet the
column's standard (`ColumnType.conforms`) never survive; the entity keeps a null there.
`<address>_division_code` columns take the GB/T 2260 code of the candidate records' parsed
address (linkage.unify.divisions), ranked the same way.

`golden_records(engine, schema, entity, authority)` writes table `golden_<entity>`: `entity_id`, `records`,
`systems` and `sources` (lists), then per unified column its value and `<column>_source`
(null columns when `records` lacks the attribute).
Extension columns are named `<system>__<column>` (see `golden_column`).
"""

from __future__ import annotations

import polars as pl

from linkage.attributes import ATTRIBUTES
from linkage.engine import Engine
from linkage.measure.base import VALID_FLAGS
from linkage.unify.divisions import TABLE as DIVISIONS
from linkage.unify.divisions import division_codes, drop_division_codes
from linkage.unify.proposal import safe_name
from linkage.unify.standards import row_type, value_column

LAST = 2_147_483_647


def golden_column(row: dict) -> str:
    """The golden-record column of one unified-schema row."""
    if row["placement"] in ("core", "key"):
        return row["column_name"]
    return f"{safe_name(row['system'])}__{row['column_name']}"


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _candidate_select(row: dict, target: int, columns: set[str], system_sources: list[str],
                      coded: list[str]) -> str | None:
    """SELECT of one unified column's candidate values (`target`: the column's number), or None
    when records lack the column.  `coded`: address attributes with `_unify_division_codes`."""
    entity, ctype, join = row["entity_type"], row_type(row), ""
    if row["attribute"]:
        attr = ATTRIBUTES[entity][row["attribute"]]
        flag = f"{attr.name}_flag" if f"{attr.name}_flag" in columns else None
        # a value without a flag (the column is flagged for the other entity type only) is valid
        valid = f"coalesce(r.{flag} IN {VALID_FLAGS}, r.{flag} IS NULL)" if flag else "true"
        if row["derived"] == "division_code":
            if attr.name not in coded:
                return None
            join = (f"JOIN {DIVISIONS} d ON d.record_id = r.record_id "
                    f"AND d.attribute = {_sql_text(attr.name)}")
            value_sql, conform = "d.code", ctype.conforms("r.value", None)
        else:
            if value_column(attr) not in columns:
                return None
            value_sql = f"CAST(r.{value_column(attr)} AS VARCHAR)"
            conform = ctype.conforms(f"r.{value_column(attr)}", f"r.{flag}" if flag else None)
    else:
        if "extras" not in columns:
            return None
        path = '$."' + row["header"].replace("\\", "\\\\").replace('"', '\\"') + '"'
        value_sql = f"nullif(trim(json_extract_string(r.extras, {_sql_text(path)})), '')"
        valid, conform = "true", ctype.conforms("r.value", None)
    seen = "r.registration_date" if "registration_date" in columns else "NULL::VARCHAR"
    where = [f"r.entity_type = {_sql_text(entity)}"]
    if row["placement"] == "extension":
        where.append(f"r.source IN ({', '.join(_sql_text(s) for s in system_sources)})")
    attribute = _sql_text(row["attribute"]) if row["attribute"] else "NULL::VARCHAR"
    return f"""
        SELECT c.entity_id, {target}::SMALLINT AS target, {attribute} AS attribute,
               value, r.source, r.record_id, {valid} AS valid, {conform} AS conform, {seen} AS seen
        FROM (SELECT r.*, {value_sql} AS value FROM records r {join} WHERE {' AND '.join(where)}) r
        JOIN clusters c USING (record_id)
        WHERE value IS NOT NULL"""


def _pivot(row: dict, target: int, filled: bool) -> str:
    """The golden value and source columns of one unified column (typed nulls when unfilled)."""
    name, cast = golden_column(row), row_type(row).cast or "VARCHAR"
    if not filled:
        return f"NULL::{cast} AS {name}, NULL::VARCHAR AS {name}_source"
    where = f"WHERE target = {target}"
    return (f"CAST(max(value) FILTER ({where}) AS {cast}) AS {name}, "
            f"max(source) FILTER ({where}) AS {name}_source")


def golden_records(engine: Engine, schema: pl.DataFrame, entity: str, authority: str) -> dict:
    """Build table `golden_<entity>`, ranking sources by `authority` (a relation with
    entity_type, attribute, source, rank); returns its survivorship figures."""
    rows = schema.filter((pl.col("entity_type") == entity) & (pl.col("placement") != "key")).to_dicts()
    columns = set(engine.columns("records"))
    sources = engine.sql(f"SELECT system, source FROM sources WHERE entity_type = {_sql_text(entity)}")
    by_system = {s: sources.filter(pl.col("system") == s)["source"].to_list()
                 for s in sources["system"].unique()}
    coded = division_codes(engine, entity)
    selects = [(row, _candidate_select(row, k, columns, by_system.get(row["system"], []), coded))
               for k, row in enumerate(rows)]
    candidates = "_unify_candidates"
    body = " UNION ALL ".join(s for _, s in selects if s) or (
        "SELECT NULL::VARCHAR entity_id, NULL::SMALLINT target, NULL::VARCHAR attribute, "
        "NULL::VARCHAR value, NULL::VARCHAR source, NULL::BIGINT record_id, true valid, "
        "true conform, NULL::VARCHAR seen WHERE false")
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {candidates} AS {body}")
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _unify_chosen AS
        WITH ok AS (SELECT * FROM {candidates} WHERE conform),
        freq AS (SELECT entity_id, target, value, count(*) AS n, max(seen) AS last_seen
                 FROM ok GROUP BY entity_id, target, value),
        ranked AS (
            SELECT ok.entity_id, ok.target, ok.value, ok.source, a.rank AS authority_rank,
                   row_number() OVER (
                       PARTITION BY ok.entity_id, ok.target
                       ORDER BY coalesce(a.rank, {LAST}), ok.valid DESC, freq.n DESC,
                                freq.last_seen DESC NULLS LAST, ok.value, ok.source, ok.record_id) AS rn
            FROM ok JOIN freq USING (entity_id, target, value)
            LEFT JOIN {authority} a
                   ON a.entity_type = {_sql_text(entity)} AND a.attribute = ok.attribute AND a.source = ok.source)
        SELECT entity_id, target, value, source, authority_rank FROM ranked WHERE rn = 1""")
    pivot = ",\n".join(_pivot(row, k, select is not None) for k, (row, select) in enumerate(selects))
    table = f"golden_{entity}"
    engine.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH entities AS (
            SELECT c.entity_id, count(*) AS records, list(DISTINCT s.system ORDER BY s.system) AS systems,
                   list(DISTINCT c.source ORDER BY c.source) AS sources
            FROM clusters c JOIN sources s USING (source)
            WHERE c.entity_type = {_sql_text(entity)} GROUP BY c.entity_id),
        chosen AS (SELECT entity_id{',' if pivot else ''} {pivot} FROM _unify_chosen GROUP BY entity_id)
        SELECT * FROM entities LEFT JOIN chosen USING (entity_id) ORDER BY entity_id""")
    figures = engine.sql(f"""
        SELECT (SELECT count(*) FROM {table}) AS entities,
               (SELECT count(*) FROM _unify_chosen) AS values_chosen,
               (SELECT count(*) FROM _unify_chosen WHERE authority_rank = 1) AS values_from_authority,
               (SELECT count(*) FROM {candidates} WHERE NOT conform) AS candidates_not_conforming""").to_dicts()[0]
    for name in (candidates, "_unify_chosen"):
        engine.execute(f"DROP TABLE IF EXISTS {name}")
    drop_division_codes(engine)
    figures["columns"] = sum(1 for _, select in selects if select)
    return figures

