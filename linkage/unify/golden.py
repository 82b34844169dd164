"""Golden records: one row per entity, each unified column chosen by survivorship, in SQL.

Every candidate value of an entity (its records' normalized values; extension columns only
from that department's sources) is ranked by
1. the authority rank of its source for the attribute (linkage.unify.authority),
2. validity (the normalizer's flag is `valid` / `parsed`),
3. frequency (records of the entity carrying the same value),
4. recency (latest `registration_date` of those records),
then the smaller value (as a number in numeric columns: 9 before 10; else as text) and source,
so the choice is deterministic.  Values that do not meet the column's standard
(`ColumnType.conforms`) never survive; the entity keeps a null there.  `<address>_division_code`
columns take the GB/T 2260 code of the candidate records' parsed address
(linkage.unify.divisions), ranked the same way.

How (one scan): `_unify_base` holds one row per record with, per unified column, its
candidate value, conformity and an integer key packing (rank, validity, source); then per
column one GROUP BY (entity, value) counts carriers and keeps the best key and latest
registration, one GROUP BY entity takes the minimum of (key, count, recency, number, value),
and the winners are joined onto the entity list.  Entities and recency are numbered so those
groups and joins run on integers.  Where `Dialect.subquery_per_column` is false (Spark, where
each column's subquery is shuffles of its own) the columns are instead unpivoted to one long
table of (entity, column, value, …), grouped once for every column and pivoted back
(`_winners_long_sql`): the same winners.

Memory: one statement holds every column's winners of the entities it covers at once (DuckDB
cannot spill that many hash joins; at 5M records one statement over every entity ran out of a
10 GB limit), so when the entities × unified columns exceed what the engine's memory budget
holds at `CELL_BYTES` each, the entities are taken in ranges of their numbers: each range's
rows of `_unify_base` are copied to a working table, its golden rows built from it, and the
ranges' rows put together in order.

`golden_records(engine, schema, entity, authority)` writes table `golden_<entity>`: `entity_id`, `records`,
`systems` and `sources` (lists), then per unified column its value and `<column>_source`
(null columns when `records` lacks the attribute).
Extension columns are named `<system>__<column>` (see `golden_column`).
"""

from __future__ import annotations

import polars as pl

from linkage.attributes import ATTRIBUTES
from linkage.columns import flag as flag_of
from linkage.columns import source_of
from linkage.engine import Engine, Scratch
from linkage.engine.dialect import Dialect
from linkage.measure.base import VALID_FLAGS
from linkage.unify.divisions import TABLE as DIVISIONS
from linkage.unify.divisions import division_codes
from linkage.unify.proposal import safe_name
from linkage.unify.standards import row_type, value_column

LAST = 2_147_483_647
KEY_BITS = 16  # survivorship keys keep the source position in their low 16 bits
COUNT_BITS = 30  # and, when ranking values, the record count below the rank and validity
CELL_BYTES = 300  # working memory of one entity × unified column in the golden-record query
MIN_RANGE = 10_000  # entities of a range at the least, however small the budget


def golden_column(row: dict) -> str:
    """The golden-record column of one unified-schema row."""
    if row["placement"] in ("core", "key"):
        return row["column_name"]
    return f"{safe_name(row['system'])}__{row['column_name']}"


def _candidate(d: Dialect, row: dict, columns: set[str], system_sources: list[str],
               coded: list[str], extras: list[str]) -> tuple[str, str, str] | None:
    """(value, valid, conform) SQL over one `records` row `r` for one unified column, or None
    when records lack the column.  Division codes read `d_<address>.code`, extra columns
    `r.x[i]` (the record's extras at the `extras` paths); extension columns only take values
    from `system_sources`."""
    entity, ctype = row["entity_type"], row_type(row)
    if row["attribute"]:
        attr = ATTRIBUTES[entity][row["attribute"]]
        flag = flag_of(attr.name) if flag_of(attr.name) in columns else None
        # a value without a flag (the column is flagged for the other entity type only) is valid
        valid = (f"coalesce(r.{flag} IN ({d.in_list(VALID_FLAGS)}), r.{flag} IS NULL)" if flag
                 else "true")
        if row["derived"] == "division_code":
            if attr.name not in coded:
                return None
            value = f"d_{attr.name}.code"
            conform = ctype.conforms(d, value, None)
        else:
            if value_column(attr) not in columns:
                return None
            value = d.cast(f"r.{value_column(attr)}", "text")
            conform = ctype.conforms(d, f"r.{value_column(attr)}", f"r.{flag}" if flag else None)
    else:
        if "extras" not in columns:
            return None
        value = f"nullif(trim({d.element('r.x', extras.index(row['header']) + 1)}), '')"
        valid, conform = "true", ctype.conforms(d, value, None)
    if row["placement"] == "extension":
        value = f"CASE WHEN r.source IN ({d.in_list(system_sources)}) THEN {value} END"
    return value, valid, conform


def _source_key(d: Dialect, attribute: str | None, ranks: dict, sources: list[str]) -> str:
    """SQL (over `r.source`) of the source part of a candidate's survivorship key:
    (authority rank × 2) << 16 | 1-based position of the source in `sources` (sorted), so that
    adding `(NOT valid) << 16` and taking the minimum orders by rank, validity, source."""
    whens = " ".join(f"WHEN {d.literal(s)} THEN {(ranks.get((attribute, s), LAST) * 2 << KEY_BITS) | i}"
                     for i, s in enumerate(sources, 1))
    return f"CASE r.source {whens} ELSE {LAST * 2 << KEY_BITS} END"


def _base_sql(d: Dialect, entity: str, candidates: dict[int, tuple], keys: dict[int, str],
              columns: set[str], coded: list[str], extras: list[str]) -> str:
    """One pass over `records` ⨝ `clusters`, one row per record: entity (number), recency (1 for the
    latest registration_date, nulls last) and, per unified column k, its candidate value v<k>,
    survivorship key k<k> and conformity c<k>."""
    where = f"entity_type = {d.literal(entity)}"
    seen = "registration_date" if "registration_date" in columns else d.null("text")
    # the extras' values in one JSON parse per record (null when no column is an extra)
    paths = d.json_strings("r.extras", extras) if extras else "NULL"
    joins = "".join(f"""
            LEFT JOIN (SELECT record_id, code FROM {DIVISIONS} WHERE attribute = {d.literal(a)}) d_{a}
                   ON d_{a}.record_id = r.record_id""" for a in coded)
    targets = "".join(f""",
               {v} AS v{k}, {keys[k]} + (CASE WHEN {ok} THEN 0 ELSE {1 << KEY_BITS} END) AS k{k}, {c} AS c{k}"""
                      for k, (v, ok, c) in candidates.items())
    return f"""
        WITH recency AS (
            SELECT seen, row_number() OVER (ORDER BY seen DESC NULLS LAST) AS recency
            FROM (SELECT DISTINCT {seen} AS seen FROM records WHERE {where}))
        SELECT e.entity, recency.recency{targets}
        FROM (SELECT *, {seen} AS seen, {paths} AS x FROM records r WHERE r.{where}) r
        JOIN clusters cl ON cl.record_id = r.record_id
        JOIN _unify_entities e ON e.entity_id = cl.entity_id
        JOIN recency ON recency.seen IS NOT DISTINCT FROM r.seen{joins}"""


def _sort_number(d: Dialect, value: str, numeric: str | None) -> str:
    """The candidate value as a number when the column is numeric (`numeric`: a condition, "TRUE"
    for a numeric column), else a null double: ties of numbers go to the smallest number (9
    before 10), not the smallest text."""
    if numeric is None:
        return d.null("double")
    return f"CASE WHEN {numeric} THEN try_cast({value} AS DOUBLE) END"


def _best(d: Dialect, number: str) -> str:
    """Aggregate over a column's candidate values (value, n, recency, key) of one entity: the
    winner (a struct of order, recency, number, value, key), by best (authority rank, validity)
    among its carriers, then most records, latest registration, smallest number, smallest value;
    `key` keeps that value's best source key."""
    order = f"{d.shift_left(d.shift_right('key', KEY_BITS), COUNT_BITS)} + ({(1 << COUNT_BITS) - 1} - n)"
    fields = {"order": order, "recency": "recency", "number": number, "value": "value", "key": "key"}
    return f"min({d.struct(fields)})"


def _winner_sql(d: Dialect, k: int, numeric: bool, base: str) -> str:
    """Survivorship of unified column k over `base` (`_unify_base` or a range of it): per entity
    its winner `w` (see `_best`)."""
    best = _best(d, _sort_number(d, "value", "TRUE" if numeric else None))
    return f"""
        SELECT entity, {best} AS w
        FROM (SELECT entity, v{k} AS value, count(*) AS n, min(recency) AS recency, min(k{k}) AS key
              FROM {base} WHERE v{k} IS NOT NULL AND c{k} GROUP BY entity, v{k})
        GROUP BY entity"""


def _winners_long_sql(d: Dialect, candidates: dict, numeric: list[int], base: str) -> str:
    """Survivorship of every unified column at once (`Dialect.subquery_per_column` false): the
    candidates of `base` unpivoted to one row per (record, column i), grouped by (entity, i,
    value) and (entity, i) as `_winner_sql` does per column, and pivoted back to one row per
    entity with column k's winner in `w<k>`."""
    rows = [[str(k), d.cast(f"v{k}", "text"), d.cast(f"k{k}", "bigint"), f"c{k}"]
            for k in candidates]
    long = d.unpivot(base, ["entity", "recency"], ["i", "value", "key", "ok"], rows)
    number = _sort_number(d, "value", f"i IN ({d.in_list(numeric)})" if numeric else None)
    pivot = "".join(f", max(CASE WHEN i = {k} THEN w END) AS w{k}" for k in candidates)
    return f"""
        SELECT entity{pivot} FROM (
            SELECT entity, i, {_best(d, number)} AS w
            FROM (SELECT entity, i, value, count(*) AS n, min(recency) AS recency, min(key) AS key
                  FROM ({long}) WHERE value IS NOT NULL AND ok GROUP BY entity, i, value)
            GROUP BY entity, i)
        GROUP BY entity"""


def _entity_ranges(engine: Engine, columns: int) -> list[tuple[int, int]]:
    """Ranges of entity numbers (first, last) whose golden rows one statement builds: all in one
    when the engine's memory budget holds every entity's `columns` cells (or it sets none)."""
    count = engine.scalar("SELECT count(*) FROM _unify_entities")
    budget = engine.memory_budget()
    if budget is None or count * max(columns, 1) * CELL_BYTES <= budget:
        return [(1, count)]
    step = max(MIN_RANGE, budget // (CELL_BYTES * columns))
    return [(first, min(first + step - 1, count)) for first in range(1, count + 1, step)]


def _golden_sql(d: Dialect, candidates: dict, numeric: list[int], pivot: str, entities: str,
                base: str) -> str:
    """The golden rows of the `entities` relation, each column's winner taken over `base`: one
    subquery per column (`t<k>.w`), or all of them from the long form (`t.w<k>`)."""
    if d.subquery_per_column:
        joins = "".join(f"\n        LEFT JOIN ({_winner_sql(d, k, k in numeric, base)}) t{k} "
                        f"ON t{k}.entity = e.entity" for k in candidates)
    else:
        joins = (f"\n        LEFT JOIN ({_winners_long_sql(d, candidates, numeric, base)}) t "
                 "ON t.entity = e.entity") if candidates else ""
    return f"""
        SELECT e.entity_id, e.records, e.systems, e.sources{pivot}
        FROM {entities} e{joins}
        ORDER BY e.entity"""


def _pivot(d: Dialect, row: dict, target: int, filled: bool, sources: str) -> str:
    """The golden value and source columns of one unified column (typed nulls when unfilled)."""
    name, cast = golden_column(row), row_type(row).cast or "text"
    if not filled:
        return f"{d.null(cast)} AS {name}, {d.null('text')} AS {source_of(name)}"
    w = f"t{target}.w" if d.subquery_per_column else f"t.w{target}"
    source = d.element(sources, f"{w}.key & {(1 << KEY_BITS) - 1}")
    return f"{d.cast(f'{w}.value', cast)} AS {name}, {source} AS {source_of(name)}"


def golden_records(engine: Engine, schema: pl.DataFrame, entity: str, authority: str) -> dict:
    """Build table `golden_<entity>`, ranking sources by `authority` (a relation with
    entity_type, attribute, source, rank); returns its survivorship figures."""
    d = engine.dialect
    rows = schema.filter((pl.col("entity_type") == entity) & (pl.col("placement") != "key")).to_dicts()
    sources = engine.sql(f"SELECT system, source FROM sources WHERE entity_type = {d.literal(entity)}")
    by_system = {s: sources.filter(pl.col("system") == s)["source"].to_list()
                 for s in sources["system"].unique()}
    ordered = sorted(sources["source"].to_list())
    ranks = {(r["attribute"], r["source"]): r["rank"] for r in engine.sql(
        f"SELECT attribute, source, min(rank) AS rank FROM {authority} "
        f"WHERE entity_type = {d.literal(entity)} GROUP BY ALL").iter_rows(named=True)}
    with Scratch(engine) as scratch:
        return _golden_table(engine, scratch, entity, rows, ranks, ordered, by_system)


def _golden_table(engine: Engine, scratch: Scratch, entity: str, rows: list[dict], ranks: dict,
                  ordered: list[str], by_system: dict[str, list[str]]) -> dict:
    """Build `golden_<entity>` with the working tables in `scratch`; returns its figures."""
    d = engine.dialect
    columns = set(engine.columns("records"))
    coded = division_codes(engine, scratch, entity)
    extras = list(dict.fromkeys(r["header"] for r in rows if not r["attribute"]))
    candidates = {k: c for k, row in enumerate(rows)
                  if (c := _candidate(d, row, columns, by_system.get(row["system"], []), coded, extras))}
    keys = {k: _source_key(d, rows[k]["attribute"], ranks, ordered) for k in candidates}
    # entities numbered in entity_id order: the survivorship groups and joins on integers
    scratch.create("_unify_entities", f"""
        SELECT row_number() OVER (ORDER BY entity_id) AS entity, * FROM (
            SELECT c.entity_id, count(*) AS records, {d.sorted_list('s.system', distinct=True)} AS systems,
                   {d.sorted_list('c.source', distinct=True)} AS sources
            FROM clusters c JOIN sources s USING (source)
            WHERE c.entity_type = {d.literal(entity)} GROUP BY c.entity_id)""")
    scratch.create("_unify_base", _base_sql(d, entity, candidates, keys, columns, coded, extras))
    scratch.drop(DIVISIONS)
    source_list = d.list_of(ordered)
    numeric = [k for k in candidates if row_type(rows[k]).cast == "double"]
    pivot = "".join(f",\n{_pivot(d, row, k, k in candidates, source_list)}" for k, row in enumerate(rows))
    table = f"golden_{entity}"
    ranges = _entity_ranges(engine, len(candidates))
    if len(ranges) == 1:
        engine.create_table(table, _golden_sql(d, candidates, numeric, pivot, "_unify_entities",
                                               "_unify_base"))
    else:
        parts = []
        for first, last in ranges:
            within = f"entity BETWEEN {first} AND {last}"
            base = scratch.create("_unify_range", f"SELECT * FROM _unify_base WHERE {within}")
            parts.append(scratch.create(f"_unify_golden_{len(parts)}", _golden_sql(
                d, candidates, numeric, pivot, f"(SELECT * FROM _unify_entities WHERE {within})", base)))
            scratch.drop(base)
        # the ranges in order: the table is in entity_id order (the engine keeps a union's order)
        engine.create_table(table, " UNION ALL ".join(f"SELECT * FROM {part}" for part in parts))
        scratch.drop(*parts)
    # a chosen value's authority rank is that of its source for the column's attribute
    chosen, from_authority = [], []
    for k in candidates:
        column = source_of(golden_column(rows[k]))
        chosen.append(f"count({column})")
        first = [s for s in ordered if ranks.get((rows[k]["attribute"], s)) == 1]
        if first:
            from_authority.append(f"count_if({column} IN ({d.in_list(first)}))")
    not_conforming = " + ".join(f"count_if(v{k} IS NOT NULL AND NOT c{k})" for k in candidates) or "0"
    figures = engine.sql(f"""
        SELECT (SELECT count(*) FROM {table}) AS entities,
               (SELECT {d.cast(' + '.join(chosen) or '0', 'bigint')} FROM {table}) AS values_chosen,
               (SELECT {d.cast(' + '.join(from_authority) or '0', 'bigint')} FROM {table})
                   AS values_from_authority,
               (SELECT {d.cast(not_conforming, 'bigint')} FROM _unify_base)
                   AS candidates_not_conforming""").to_dicts()[0]
    figures["columns"] = len(candidates)
    return figures
