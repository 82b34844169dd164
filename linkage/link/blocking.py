"""Blocking: candidate pairs from equi-join rules, with a pair budget checked before any join.

A rule is a list of keys (`linkage.link.keys`: feature columns and keys derived from them);
two records form a candidate pair when they are equal (and non-null: blanks and placeholders
are null in the feature table) on every key of one rule.  Each rule becomes one 64-bit key
column of a keys table (`build_keys`: the hash of the rule's keys, null when any is null, and
for a rule with `max_block` null in blocks larger than that), so every rule joins, counts and
deduplicates on one column.  Rules run as SQL self-joins in the engine; a pair found by several
rules is one candidate, credited to the first of them, so it is compared once and "pairs" per
rule counts the new pairs it brought.  Before joining, every rule's pair count is computed
exactly from its block sizes (sum of n(n-1)/2, less the pairs of identified records for a rule
with `unidentified`; every rule in one statement on Spark); a configured rule over the budget
is refused with a tighter rule suggested.  The keys table also says which records hold a valid
identifier (`IDENTIFIED`).
"""

from __future__ import annotations

from dataclasses import dataclass

from linkage.columns import IDENTIFIER_VALUE
from linkage.engine.dialect import Dialect
from linkage.errors import BlockingBudgetError
from linkage.link.settings import BlockingRule

KEYS = "_link_keys"
IDENTIFIED = "_identified"  # keys-table column: the record holds a valid identifier


@dataclass(frozen=True)
class RuleStats:
    rule: BlockingRule
    candidate_pairs: int  # pairs the rule finds on its own
    pairs: int            # new pairs it adds after the rules before it

    @property
    def label(self) -> str:
        return self.rule.label


def _key_column(i: int) -> str:
    return f"k{i}"


def _rule_key(d: Dialect, rule: BlockingRule) -> str:
    """SQL: the rule's 64-bit key over the feature table's key columns, null if any is null."""
    cols = [d.quote(c) for c in rule.columns]
    nonnull = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    return f"CASE WHEN {nonnull} THEN {d.hash64(', '.join(cols))} END"


def build_keys(engine, features: str, rules: list[BlockingRule], out: str = KEYS) -> None:
    """Temp table `out`: record_id, one key column per rule (`k0`, `k1`, …) and whether the
    record holds a valid identifier (a non-null `ident__*` feature).  Every key is hashed once
    into a working table; a rule with `max_block` then nulls its key in the blocks a GROUP BY
    finds too large (a window count per rule over every record is several times slower)."""
    d = engine.dialect
    idents = [d.quote(c) for c in engine.columns(features) if c.startswith(IDENTIFIER_VALUE)]
    identified = " OR ".join(f"{c} IS NOT NULL" for c in idents) or "false"
    raw = f"{out}_raw"
    keys = [f"coalesce({identified}, false) AS {IDENTIFIED}",
            *(f"{_rule_key(d, rule)} AS {_key_column(i)}" for i, rule in enumerate(rules))]
    engine.create_table(raw, f"SELECT record_id, {', '.join(keys)} FROM {d.quote(features)}",
                        temp=True)
    select, joins, large = [f"r.{IDENTIFIED}"], [], []
    for i, rule in enumerate(rules):
        k = _key_column(i)
        if rule.max_block:
            table = f"{out}_large{i}"
            engine.create_table(table, f"SELECT {k} AS key FROM {raw} WHERE {k} IS NOT NULL "
                                f"GROUP BY {k} HAVING count(*) > {int(rule.max_block)}", temp=True)
            joins.append(f"LEFT JOIN {table} b{i} ON r.{k} = b{i}.key")
            select.append(f"CASE WHEN b{i}.key IS NULL THEN r.{k} END AS {k}")
            large.append(table)
        else:
            select.append(f"r.{k}")
    engine.create_table(out, f"SELECT r.record_id, {', '.join(select)} FROM {raw} r "
                        f"{' '.join(joins)}", temp=True)
    for table in (raw, *large):
        engine.drop_table(table)


def _pairs_of(engine, table: str, key: str, unidentified: bool = False) -> int:
    """Pairs of records sharing a non-null `key`; with `unidentified`, less the pairs of two
    identified records (`table` has the `IDENTIFIED` column)."""
    d = engine.dialect
    pairs = d.int_div("n * (n - 1)", 2) + (f" - {d.int_div('m * (m - 1)', 2)}" if unidentified
                                            else "")
    total = d.cast(f"coalesce(sum({pairs}), 0)", "bigint")
    m = (f", {d.cast(f'sum(CASE WHEN {IDENTIFIED} THEN 1 ELSE 0 END)', 'bigint')} AS m"
         if unidentified else "")
    return int(engine.scalar(
        f"SELECT {total} FROM (SELECT {d.cast('count(*)', 'bigint')} AS n{m} "
        f"FROM {d.quote(table)} WHERE {key} IS NOT NULL GROUP BY {key})"))


def unpivoted_keys(d: Dialect, keys: str, rules: list[BlockingRule]) -> str:
    """The keys table unpivoted: record_id, `IDENTIFIED`, i, k (rule i's key) for every
    record and rule with a non-null key."""
    long = d.unpivot(d.quote(keys), ["record_id", IDENTIFIED], ["i", "k"],
                     [[str(i), _key_column(i)] for i in range(len(rules))])
    return f"SELECT * FROM ({long}) WHERE k IS NOT NULL"


def _unidentified(rules: list[BlockingRule], i: str) -> str:
    """Condition: rule `i` (SQL of a rule index) has `unidentified`."""
    which = [str(n) for n, rule in enumerate(rules) if rule.unidentified]
    return f"{i} IN ({', '.join(which)})" if which else "false"


def count_pairs(engine, keys: str, rules: list[BlockingRule]) -> list[int]:
    """Exact number of pairs each rule generates, from its block sizes (less the pairs of two
    identified records for a rule with `unidentified`): one query per rule, or (where
    `Dialect.subquery_per_column` is false: one shuffle for every rule on Spark) one over the
    keys unpivoted."""
    d = engine.dialect
    if d.subquery_per_column or not rules:
        return [_pairs_of(engine, keys, _key_column(i), rule.unidentified)
                for i, rule in enumerate(rules)]
    pairs = (f"{d.int_div('n * (n - 1)', 2)} - CASE WHEN {_unidentified(rules, 'i')} "
             f"THEN {d.int_div('m * (m - 1)', 2)} ELSE 0 END")
    found = dict(engine.sql(f"""
        SELECT i, {d.cast(f'sum({pairs})', 'bigint')} AS pairs
        FROM (SELECT i, {d.cast('count(*)', 'bigint')} AS n,
                     {d.cast(f'sum(CASE WHEN {IDENTIFIED} THEN 1 ELSE 0 END)', 'bigint')} AS m
              FROM ({unpivoted_keys(d, keys, rules)}) GROUP BY i, k)
        GROUP BY i""").iter_rows())
    return [int(found.get(i) or 0) for i in range(len(rules))]


def suggest_tighter(engine, features: str, rule: BlockingRule, columns: list[str],
                    budget: int) -> tuple[BlockingRule, int] | None:
    """A one-column extension of `rule`: the least strict within budget, else the strictest."""
    options = []
    for c in columns:
        if c in rule.columns:
            continue
        tighter = rule.model_copy(update={"columns": (*rule.columns, c)})
        options.append((tighter, _pairs_of(engine, features,
                                           f"({_rule_key(engine.dialect, tighter)})")))
    options = [o for o in options if o[1] > 0]
    fitting = [o for o in options if o[1] <= budget]
    if fitting:
        return max(fitting, key=lambda o: o[1])
    return min(options, key=lambda o: o[1]) if options else None


def check_budget(engine, features: str, keys: str, rules: list[BlockingRule], budget: int,
                 columns: list[str], entity_type: str, counts: list[int] | None = None
                 ) -> list[int]:
    """Pair count per rule (`counts` where the caller has them); raises BlockingBudgetError
    naming the first rule over budget."""
    counts = count_pairs(engine, keys, rules) if counts is None else counts
    for rule, n in zip(rules, counts):
        if n > budget:
            hint = suggest_tighter(engine, features, rule, columns, budget)
            advice = (f"; try [{', '.join(hint[0].columns)}] ({hint[1]:,} pairs)" if hint
                      else "; add a column to the rule")
            raise BlockingBudgetError(
                f"{entity_type} blocking rule [{', '.join(rule.columns)}] would generate {n:,} "
                f"candidate pairs, over the budget of {budget:,} "
                f"(linkage.{entity_type}.max_pairs_per_rule){advice}")
    return counts


def fit_to_budget(engine, features: str, rule: BlockingRule, budget: int) -> BlockingRule | None:
    """The rule with `max_block` set so its pairs fit the budget (the largest blocks dropped),
    or None when not even blocks of two records fit."""
    d = engine.dialect
    key, count = _rule_key(d, rule), d.cast("count(*)", "bigint")
    sizes = engine.sql(
        f"SELECT n, {count} AS blocks FROM (SELECT {count} AS n FROM {d.quote(features)} "
        f"WHERE ({key}) IS NOT NULL GROUP BY ({key})) WHERE n > 1 GROUP BY n ORDER BY n")
    largest, total = None, 0
    for n, blocks in sizes.iter_rows():
        total += blocks * n * (n - 1) // 2
        if total > budget:
            break
        largest = n
    if largest is None:
        return None
    cap = min(largest, rule.max_block) if rule.max_block else largest
    return rule.model_copy(update={"max_block": cap})


def generate_pairs(engine, keys: str, rules: list[BlockingRule], out: str = "_link_candidates",
                   candidate_counts: list[int] | None = None) -> list[RuleStats]:
    """Create table `out` from the rules: record_id_l < record_id_r, `rule` (index of the first
    rule that found the pair) and `rules` (bit i set when the pair satisfies rule i).  Each
    rule's self-join yields its pairs with its index (or, where `Dialect.subquery_per_column` is
    false, one self-join of the keys unpivoted yields them all); one GROUP BY over them all makes
    each pair one row (carrying every rule's key through the joins to test the earlier rules is
    slower)."""
    if len(rules) > 62:
        raise BlockingBudgetError(f"{len(rules)} blocking rules: at most 62 are supported")
    d = engine.dialect

    def pairs_of(i: int) -> str:
        """SQL: rule i's pairs (l, r) with the rule's index."""
        both = f" AND NOT (l.{IDENTIFIED} AND r.{IDENTIFIED})" if rules[i].unidentified else ""
        return (f"SELECT l.record_id AS record_id_l, r.record_id AS record_id_r, {i} AS rule "
                f"FROM {d.quote(keys)} l JOIN {d.quote(keys)} r "
                f"ON l.{_key_column(i)} = r.{_key_column(i)} AND l.record_id < r.record_id{both}")

    if rules:
        if d.subquery_per_column:
            indexed = " UNION ALL ".join(pairs_of(i) for i in range(len(rules)))
        else:  # every rule's pairs from one join over the keys unpivoted (one shuffle on Spark)
            long = unpivoted_keys(d, keys, rules)
            indexed = (f"SELECT l.record_id AS record_id_l, r.record_id AS record_id_r, l.i AS rule "
                       f"FROM ({long}) l JOIN ({long}) r "
                       f"ON l.i = r.i AND l.k = r.k AND l.record_id < r.record_id AND NOT "
                       f"({_unidentified(rules, 'l.i')} AND l.{IDENTIFIED} AND r.{IDENTIFIED})")
        # a pair comes once from each rule that finds it, so the sum of the bits is their union
        bits = d.shift_left(d.cast("1", "bigint"), "rule")
        query = (f"SELECT {d.cast('record_id_l', 'bigint')} AS record_id_l, "
                 f"{d.cast('record_id_r', 'bigint')} AS record_id_r, "
                 f"{d.cast('min(rule)', 'smallint')} AS rule, {d.cast(f'sum({bits})', 'bigint')} AS rules "
                 f"FROM ({indexed}) GROUP BY 1, 2")
    else:
        query = (f"SELECT {d.null('bigint')} AS record_id_l, {d.null('bigint')} AS record_id_r, "
                 f"{d.null('smallint')} AS rule, {d.null('bigint')} AS rules LIMIT 0")
    engine.create_table(out, query, temp=True)
    added = dict(engine.sql(f"SELECT rule, count(*) FROM {d.quote(out)} GROUP BY rule").iter_rows())
    found = candidate_counts or count_pairs(engine, keys, rules)
    return [RuleStats(rule, found[i], int(added.get(i, 0))) for i, rule in enumerate(rules)]
