"""The per-entity feature table the linkage stages read: one row per record, only needed columns.

`build_features` selects, from `records`, every column the blocking rules, comparisons and
identifiers read (and computes the rules' derived keys, `linkage.link.keys`), cleaned so that blank and placeholder values are null (a column the run does
not have becomes all-null), with a comparison's `fallback` filled in where its column is blank
(the birth date written in the ID number) and its `ignore_values` nulled.  It adds `tf__<col>`,
the share of the entity's non-null values equal to the record's value, for frequency-weighted
levels, and `ident__<col>`, the value of an identifier column where its `<col>_flag` says
valid and `<col>_legacy` does not say it was converted from 15 digits (null otherwise; without a
flag column the identifier rules are off).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import Hamming

from linkage.columns import SIDES, identifier_value, identifier_written, side, term_frequency
from linkage.engine.base import read_compact
from linkage.engine.dialect import Dialect
from linkage.link.comparisons import Comparison, tf_columns
from linkage.link.idfix import LENGTH, MAX_INVALID_SHARE, correct
from linkage.link.keys import columns_read, fixed_key, is_derived, is_fixed, key_sql
from linkage.link.settings import BlockingRule

# values that mean "blank" in departmental exports, on top of the normalizer's own cleaning
PLACEHOLDERS = ("", "无", "不详", "未知", "暂无", "其他", "空", "-", "--", "/", "\\", "null", "NULL",
                "none", "None", "n/a", "N/A", "nan", "NaN", "?", "？")


def _clean(d: Dialect, t: str) -> str:
    """SQL: null for blank and placeholder text (`t` trimmed), and for a run of one character
    5+ long (00000, 11111111111)."""
    return (f"CASE WHEN {t} IN ({d.in_list(PLACEHOLDERS)}) OR (length({t}) >= 5 "
            f"AND {t} = repeat(left({t}, 1), length({t}))) THEN NULL ELSE {t} END")


def _ignore(d: Dialect, expr: str, values: tuple[str, ...]) -> str:
    if not values:
        return expr
    return f"CASE WHEN {expr} IN ({d.in_list(values)}) THEN NULL ELSE {expr} END"


def feature_columns(comparisons: list[Comparison], blocking_rules: list[BlockingRule]) -> list[str]:
    """The feature table's columns: what the comparisons read and the rules' keys."""
    cols = [c for comp in comparisons for c in comp.columns]
    cols += [key for rule in blocking_rules for key in rule.columns]
    return list(dict.fromkeys(cols))


def source_columns(comparisons: list[Comparison], blocking_rules: list[BlockingRule],
                   identifiers: list[str]) -> list[str]:
    """Every column of the records `build_features` may read, besides record_id and entity_type."""
    cols = [c for key in feature_columns(comparisons, blocking_rules) for c in columns_read(key)]
    cols += [c.fallback for c in comparisons if c.fallback]
    cols += [c for i in identifiers for c in (i, f"{i}_flag", f"{i}_legacy")]
    return list(dict.fromkeys(cols))


def build_features(engine, entity_type: str, comparisons: list[Comparison],
                   blocking_rules: list[BlockingRule], identifiers: list[str],
                   table: str = "_link_features", source: str = "records",
                   lookup: str | None = None) -> list[str]:
    """Create temp table `table` for one entity type; returns its comparison/blocking columns.
    Corrected ID numbers (`<column>__fixed` keys) are looked up among the valid numbers of
    table `lookup` (default: `source`)."""
    d = engine.dialect
    q = d.quote
    # the source's columns, and which of them are text
    types = engine.sql(f"SELECT * FROM {q(source)} LIMIT 0").schema
    text = {c for c, t in types.items() if t == pl.Utf8}

    def base(col: str) -> str:
        if col not in types:
            return d.null("text")
        return _clean(d, q(col)) if col in text else q(col)

    wanted = feature_columns(comparisons, blocking_rules)
    exprs: dict[str, str] = {c: key_sql(c, base) if is_derived(c) else base(c)
                             for c in wanted if not is_fixed(c)}
    for comp in comparisons:
        expr = base(comp.column)
        if comp.fallback:
            expr = f"coalesce({expr}, {base(comp.fallback)})"
        exprs[comp.column] = _ignore(d, expr, comp.ignore_values)
    idents = []
    for col in identifiers:
        flag, legacy = f"{col}_flag", f"{col}_legacy"
        # a number converted from the 15-digit form got its check digit computed, not checked:
        # a typo in it still looks valid, so it tells no one apart (`identifier_value` leaves
        # it out); but one equal to another record's number agrees in all 15 digits typed, as
        # strong as two valid numbers agreeing (`identifier_written` keeps it)
        original = f" AND NOT coalesce({q(legacy)}, false)" if legacy in types else ""
        for name, condition in ((identifier_value(col), original), (identifier_written(col), "")):
            if written_in(types, col):
                idents.append(f"CASE WHEN {q(flag)} = 'valid'{condition} THEN {base(col)} END "
                              f"AS {q(name)}")
            else:
                idents.append(f"{d.null('text')} AS {q(name)}")
    select = ", ".join([f"{e} AS {q(c)}" for c, e in exprs.items()] + idents)
    trimmed = ", ".join(f"trim({q(c)}) AS {q(c)}"
                        if c in text and c not in ("source", "entity_type", "extras") else q(c)
                        for c in types)
    engine.create_table("_link_base", f"SELECT record_id, {select} FROM (SELECT {trimmed} "
                        f"FROM {q(source)} WHERE entity_type = {d.literal(entity_type)})", temp=True)
    shares = _term_frequencies(engine, tf_columns(comparisons))
    joins = "".join(f" LEFT JOIN {t} t{i} ON {on}" for i, (t, on) in enumerate(shares))
    tf_select = "".join(f", t{i}.tf AS {q(term_frequency(col))}"
                        for i, col in enumerate(tf_columns(comparisons)))
    fixed = [c for c in wanted if is_fixed(c)]
    corrected = []  # tables of corrected numbers, only for identifiers the records flag
    for key in fixed:
        column = columns_read(key)[0]
        if column not in identifiers or not written_in(types, column):
            tf_select += f", {d.null('text')} AS {q(key)}"
            continue
        name = f"_link_fix{len(corrected)}"
        _corrections(engine, name, entity_type, column, source, lookup or source, base)
        corrected.append(name)
        joins += f" LEFT JOIN {name} ON {name}.record_id = b.record_id"
        tf_select += f", coalesce(b.{q(identifier_written(column))}, {name}.fixed) AS {q(key)}"
    engine.create_table(table, f"SELECT b.*{tf_select} FROM _link_base b{joins}", temp=True)
    for name in [*dict.fromkeys(t for t, _ in shares), *corrected]:
        engine.drop_table(name)
    engine.drop_table("_link_base")
    return [*exprs, *fixed]


def written_in(types: dict, column: str) -> bool:
    """Whether the records hold `column` with its validity flag (identifiers are read only then)."""
    return column in types and f"{column}_flag" in types


def _corrections(engine, table: str, entity_type: str, column: str, source: str, lookup: str,
                 base) -> None:
    """Temp table `table` (record_id, fixed): the invalid 18-character numbers of identifier
    `column` in `source` with the one valid number of `lookup` they can be
    (`linkage.link.idfix`)."""
    d, q = engine.dialect, engine.dialect.quote
    flag, kind = q(f"{column}_flag"), d.literal(entity_type)
    bad = f"{flag} IN ('bad_check_digit', 'bad_date')"
    # a source whose numbers are mostly invalid holds some other code, not typed IDs
    shares = (f"SELECT source, avg(CASE WHEN {bad} THEN 1.0 ELSE 0.0 END) AS bad_share "
              f"FROM {q(lookup)} WHERE entity_type = {kind} AND {flag} IS NOT NULL "
              "GROUP BY source")
    typed = (f"SELECT record_id, source, {base(column)} AS number FROM {q(source)} "
             f"WHERE entity_type = {kind} AND {bad}")
    invalid = engine.sql(f"SELECT s.record_id, s.number FROM ({typed}) s JOIN ({shares}) b "
                         f"ON b.source = s.source WHERE b.bad_share <= {MAX_INVALID_SHARE} "
                         f"AND length(s.number) = {LENGTH}")
    correct(engine, invalid, f"SELECT {base(column)} AS number FROM {q(lookup)} "
            f"WHERE entity_type = {kind} AND {flag} = 'valid'", table)


def _term_frequencies(engine, columns: list[str]) -> list[tuple[str, str]]:
    """Tables of the term frequencies of `columns` of `_link_base` (value → share of the
    column's non-null values; small tables joined back, faster than window functions): per
    column, the table and the join condition on its alias `t<i>` and `_link_base b`.  One table
    per column, or (`Dialect.subquery_per_column` false) one over the columns unpivoted."""
    d, q = engine.dialect, engine.dialect.quote
    if d.subquery_per_column or not columns:
        share = d.cast("count(*) / sum(count(*)) OVER ()", "float")
        for i, col in enumerate(columns):
            engine.create_table(f"_link_tf{i}", f"SELECT {q(col)} AS v, {share} AS tf "
                                f"FROM _link_base WHERE {q(col)} IS NOT NULL GROUP BY 1", temp=True)
        return [(f"_link_tf{i}", f"b.{q(col)} = t{i}.v") for i, col in enumerate(columns)]
    share = d.cast("count(*) / sum(count(*)) OVER (PARTITION BY i)", "float")
    long = d.unpivot("_link_base", [], ["i", "v"],
                     [[str(i), d.cast(q(col), "text")] for i, col in enumerate(columns)])
    engine.create_table("_link_tf", f"SELECT i, v, {share} AS tf FROM ({long}) "
                        "WHERE v IS NOT NULL GROUP BY i, v", temp=True)
    return [("_link_tf", f"t{i}.i = {i} AND {d.cast(f'b.{q(col)}', 'text')} = t{i}.v")
            for i, col in enumerate(columns)]


def feature_frame(engine, comparisons: list[Comparison], identifiers: list[str],
                  features: str = "_link_features") -> pl.DataFrame:
    """The feature table as a polars frame in record_id order: record_id, the comparison
    columns, their `tf__` and the identifiers' `ident__` and `ident_any__` columns, and
    `<identifier>__fixed` where the table has it (corrected numbers)."""
    present = set(engine.columns(features))
    cols = ["record_id", *dict.fromkeys(c for comp in comparisons for c in comp.columns),
            *(term_frequency(c) for c in tf_columns(comparisons)),
            *(identifier_value(c) for c in identifiers),
            *(identifier_written(c) for c in identifiers),
            *(fixed_key(c) for c in identifiers if fixed_key(c) in present)]
    q = engine.dialect.quote
    # one chunk per column: gathering rows from a chunked column is several times slower
    return read_compact(engine, f"SELECT {', '.join(q(c) for c in cols)} FROM {q(features)}",
                        order_by="record_id")


def pair_frame(features: pl.DataFrame, pairs: pl.DataFrame, identifiers: list[str]) -> pl.DataFrame:
    """`pairs` (record_id_l, record_id_r, …) with both records' features beside them
    (`<column>_l`, `<column>_r`; gathered by row, string data is not copied) and, from the
    identifiers, `cannot_link` (two different valid values) and `same_identifier` (equal valid
    values, a number converted from the 15-digit form counting, and a number read as the one
    valid number it can be: `<identifier>__fixed`, `linkage.link.idfix`)."""
    ids = features.get_column("record_id").to_numpy()
    sides = {}
    for which in SIDES:
        rows = np.searchsorted(ids, pairs.get_column(side("record_id", which)).to_numpy())
        sides[which] = features.drop("record_id").gather(rows).rename(
            lambda c, which=which: side(c, which))
    frame = pl.concat([pairs, sides["l"], sides["r"]], how="horizontal")
    idents = [(pl.col(side(name, "l")), pl.col(side(name, "r")))
              for c in identifiers for name in (identifier_written(c), fixed_key(c))
              if side(name, "l") in frame.columns]
    apart = np.zeros(frame.height, dtype=bool)
    for c in identifiers:
        apart |= _apart(frame.get_column(side(identifier_value(c), "l")),
                        frame.get_column(side(identifier_value(c), "r")))
    return frame.with_columns(
        pl.Series("cannot_link", apart),
        pl.any_horizontal([(a == b).fill_null(False) for a, b in idents] or [pl.lit(False)])
        .alias("same_identifier"))


def _apart(left: pl.Series, right: pl.Series) -> np.ndarray:
    """Where two valid identifiers differ in more than one character.  One character apart
    they may be one code mistyped: the organisation code's check (mod 11 over character
    values up to 35) lets a letter through for a digit it is congruent to (8 → U, 0 → B); the
    ID number's and credit code's checks catch every single substitution, so there two valid
    values are never one character apart."""
    differ = (left != right).fill_null(False).to_numpy()
    rows = np.flatnonzero(differ)
    if len(rows):
        a, b = left.gather(rows), right.gather(rows)
        near = (a.str.len_chars() == b.str.len_chars()).to_numpy() & (
            process.cpdist(a.to_list(), b.to_list(), scorer=Hamming.distance, workers=-1) <= 1)
        differ[rows[near]] = False
    return differ
