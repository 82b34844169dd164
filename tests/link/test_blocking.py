"""Blocking: exact pair counts, dedup across rules, blanks never block, budget refusal."""

import pytest

from linkage.link.blocking import BlockingBudgetError, check_budget, count_pairs, generate_pairs
from linkage.link.comparisons import compile_comparisons
from linkage.link.features import build_features
from linkage.link.settings import LinkageSettings
from tests.link.conftest import records


def _features(engine, rows, rules):
    engine.load("records", records(rows))
    s = LinkageSettings(blocking_rules=rules).resolved("person")
    return build_features(engine, "person", compile_comparisons(s.comparisons), rules,
                          s.identifiers)


def test_rules_dedup_and_count(engine):
    rows = [{"name": "张伟", "phone": "13800000001"}, {"name": "张伟", "phone": "13800000001"},
            {"name": "张伟", "phone": "13800000002"}, {"name": "李娜", "phone": "13800000002"}]
    rules = [["name"], ["phone"]]
    _features(engine, rows, rules)
    assert count_pairs(engine, "_link_features", ["name"]) == 3
    stats = generate_pairs(engine, "_link_features", rules)
    assert [(s.candidate_pairs, s.pairs) for s in stats] == [(3, 3), (2, 1)]
    pairs = engine.sql("SELECT * FROM _link_candidates ORDER BY 1, 2").rows()
    # (1, 2) satisfies both rules: found once, by rule 0, with both bits set
    assert pairs == [(1, 2, 0, 3), (1, 3, 0, 1), (2, 3, 0, 1), (3, 4, 1, 2)]


def test_blank_and_placeholder_values_never_block(engine):
    rows = [{"phone": "无"}, {"phone": "无"}, {"phone": "00000000000"}, {"phone": "00000000000"},
            {"phone": " "}, {"phone": " "}, {"phone": None}, {"phone": None}]
    _features(engine, rows, [["phone"]])
    assert count_pairs(engine, "_link_features", ["phone"]) == 0


def test_budget_names_the_rule_and_suggests_a_tighter_one(engine):
    rows = [{"surname": "张", "name": f"张{i % 3}", "phone": str(i)} for i in range(30)]
    _features(engine, rows, [["surname"], ["phone"]])
    with pytest.raises(BlockingBudgetError) as err:
        check_budget(engine, "_link_features", [["phone"], ["surname"]], 200,
                     ["surname", "name", "phone"], "person")
    message = str(err.value)
    assert "[surname]" in message and "435" in message and "max_pairs_per_rule" in message
    assert "try [surname, name] (135 pairs)" in message
