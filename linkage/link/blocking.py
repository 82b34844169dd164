"""Blocking: candidate pairs from equi-join rules, with a pair budget checked before any join.

A rule is a list of feature columns; two records form a candidate pair when they are equal
(and non-null: blanks and placeholders are null in the feature table) on every column of one
rule.  Rules run as SQL self-joins in the engine; rule i skips pairs an earlier rule already
found, so a pair found by several rules is compared once and "pairs" per rule counts the new
pairs it brought.  Before joining, every rule's pair count is computed exactly from its block
sizes (sum of n(n-1)/2); a rule over the budget is refused with a tighter rule suggested.
"""

from __future__ import annotations

from dataclasses import dataclass

from linkage.engine.duckdb_engine import quote_ident as q
from linkage.errors import BlockingBudgetError


@dataclass(frozen=True)
class RuleStats:
    rule: tuple[str, ...]
    candidate_pairs: int  # pairs the rule finds on its own
    pairs: int            # new pairs it adds after the rules before it

    @property
    def label(self) -> str:
        return " + ".join(self.rule)


def _equal(rule, left="l", right="r") -> str:
    return " AND ".join(f"{left}.{q(c)} = {right}.{q(c)}" for c in rule)


def count_pairs(engine, table: str, rule: list[str] | tuple[str, ...]) -> int:
    """Exact number of pairs a rule generates, from its block sizes."""
    cols = ", ".join(q(c) for c in rule)
    nonnull = " AND ".join(f"{q(c)} IS NOT NULL" for c in rule)
    return int(engine.sql(
        f"SELECT coalesce(sum(n * (n - 1) // 2), 0)::BIGINT FROM "
        f"(SELECT count(*)::BIGINT AS n FROM {q(table)} WHERE {nonnull} GROUP BY {cols})").item())


def suggest_tighter(engine, table: str, rule: list[str], columns: list[str],
                    budget: int) -> tuple[list[str], int] | None:
    """A one-column extension of `rule`: the least strict within budget, else the strictest."""
    options = [([*rule, c], count_pairs(engine, table, [*rule, c])) for c in columns
               if c not in rule]
    options = [o for o in options if o[1] > 0]
    fitting = [o for o in options if o[1] <= budget]
    if fitting:
        return max(fitting, key=lambda o: o[1])
    return min(options, key=lambda o: o[1]) if options else None


def check_budget(engine, table: str, rules: list[list[str]], budget: int,
                 columns: list[str], entity_type: str) -> list[int]:
    """Pair count per rule; raises BlockingBudgetError naming the first rule over budget."""
    counts = [count_pairs(engine, table, rule) for rule in rules]
    for rule, n in zip(rules, counts):
        if n > budget:
            hint = suggest_tighter(engine, table, rule, columns, budget)
            advice = (f"; try [{', '.join(hint[0])}] ({hint[1]:,} pairs)" if hint
                      else "; add a column to the rule")
            raise BlockingBudgetError(
                f"{entity_type} blocking rule [{', '.join(rule)}] would generate {n:,} candidate "
                f"pairs, over the budget of {budget:,} (linkage.{entity_type}.max_pairs_per_rule)"
                f"{advice}")
    return counts


def generate_pairs(engine, table: str, rules: list[list[str]], out: str = "_link_candidates",
                   candidate_counts: list[int] | None = None) -> list[RuleStats]:
    """Create table `out` from the rules: record_id_l < record_id_r, `rule` (index of the first
    rule that found the pair) and `rules` (bit i set when the pair satisfies rule i)."""
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {q(out)} "
                   "(record_id_l BIGINT, record_id_r BIGINT, rule SMALLINT, rules BIGINT)")
    bits = " + ".join(f"(coalesce({_equal(rule)}, false)::BIGINT << {i})"
                      for i, rule in enumerate(rules))
    stats = []
    for i, rule in enumerate(rules):
        seen = "".join(f" AND NOT coalesce({_equal(prev)}, false)" for prev in rules[:i])
        before = engine.sql(f"SELECT count(*) FROM {q(out)}").item()
        engine.execute(
            f"INSERT INTO {q(out)} SELECT l.record_id, r.record_id, {i}, {bits} FROM {q(table)} l "
            f"JOIN {q(table)} r ON {_equal(rule)} AND l.record_id < r.record_id WHERE true{seen}")
        added = engine.sql(f"SELECT count(*) FROM {q(out)}").item() - before
        found = candidate_counts[i] if candidate_counts else count_pairs(engine, table, rule)
        stats.append(RuleStats(tuple(rule), found, int(added)))
    return stats
