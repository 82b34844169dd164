"""Blocking: exact pair counts, dedup across rules, blanks never block, budget refusal,
derived keys (ID segments, either-order pairs, dwellings), rules on rare values only and rules
for pairs with an unidentified record — each with the rules taken one query each and all at
once (`Dialect.subquery_per_column`)."""

import pytest

from linkage.engine import open_engine
from linkage.link.blocking import (KEYS, BlockingBudgetError, build_keys, check_budget,
                                   count_pairs, generate_pairs)
from linkage.link.comparisons import compile_comparisons
from linkage.link.features import build_features
from linkage.link.settings import BlockingRule, LinkageSettings
from tests.conftest import FORMS, in_form
from tests.link.conftest import PERSON_COLUMNS, records


@pytest.fixture(params=FORMS)
def engine(request):
    """An in-memory engine counting and joining the rules one query per rule, or over the keys
    unpivoted (`Dialect.subquery_per_column`)."""
    eng = in_form(open_engine(), request.param)
    yield eng
    eng.close()


def _rules(*rules) -> list[BlockingRule]:
    return [BlockingRule.model_validate(r) for r in rules]


def _keys(engine, rows, rules):
    extra = sorted({c for row in rows for c in row} - set(PERSON_COLUMNS))
    engine.load("records", records(rows, columns=PERSON_COLUMNS + extra))
    s = LinkageSettings(blocking_rules=rules).resolved("person")
    build_features(engine, "person", compile_comparisons(s.comparisons), s.blocking_rules,
                   s.identifiers)
    build_keys(engine, "_link_features", s.blocking_rules)
    return s.blocking_rules


def _pairs(engine) -> list[tuple]:
    return engine.sql("SELECT * FROM _link_candidates ORDER BY 1, 2").rows()


def test_rules_dedup_and_count(engine):
    rows = [{"name": "张伟", "phone": "13800000001"}, {"name": "张伟", "phone": "13800000001"},
            {"name": "张伟", "phone": "13800000002"}, {"name": "李娜", "phone": "13800000002"}]
    rules = _keys(engine, rows, [["name"], ["phone"]])
    assert count_pairs(engine, KEYS, rules) == [3, 2]
    stats = generate_pairs(engine, KEYS, rules)
    assert [(s.candidate_pairs, s.pairs) for s in stats] == [(3, 3), (2, 1)]
    # (1, 2) satisfies both rules: found once, by rule 0, with both bits set
    assert _pairs(engine) == [(1, 2, 0, 3), (1, 3, 0, 1), (2, 3, 0, 1), (3, 4, 1, 2)]


def test_blank_and_placeholder_values_never_block(engine):
    rows = [{"phone": "无"}, {"phone": "无"}, {"phone": "00000000000"}, {"phone": "00000000000"},
            {"phone": " "}, {"phone": " "}, {"phone": None}, {"phone": None}]
    rules = _keys(engine, rows, [["phone"]])
    assert count_pairs(engine, KEYS, rules)[0] == 0


def test_budget_names_the_rule_and_suggests_a_tighter_one(engine):
    rows = [{"surname": "张", "name": f"张{i % 3}", "phone": str(i)} for i in range(30)]
    rules = _keys(engine, rows, [["phone"], ["surname"]])
    with pytest.raises(BlockingBudgetError) as err:
        check_budget(engine, "_link_features", KEYS, rules, 200, ["surname", "name", "phone"],
                     "person")
    message = str(err.value)
    assert "[surname]" in message and "435" in message and "max_pairs_per_rule" in message
    assert "try [surname, name] (135 pairs)" in message


def test_id_segments_survive_one_typo_anywhere_in_the_number(engine):
    true = "110105199001010012"
    typos = ["110195199001010012",   # wrong digit in the area code
             "110105199010010012",   # month and day digits swapped
             "110105199001010021",   # swapped at the sequence / check digit
             "110105900101001"]      # a 15-digit legacy form has the same segments
    rows = [{"name_pinyin": "zhangwei", "id_number": true}] + \
        [{"name_pinyin": "zhangwei", "id_number": t} for t in typos]
    rules = _keys(engine, rows, [["name_pinyin", "id_number__area6"],
                                 ["name_pinyin", "id_number__birth8"],
                                 ["name_pinyin", "id_number__seq3"]])
    generate_pairs(engine, KEYS, rules)
    found = {(a, b) for a, b, *_ in _pairs(engine)}
    assert {(1, 2), (1, 3), (1, 4), (1, 5)} <= found
    keys = engine.sql('SELECT "id_number__birth8", "id_number__seq3" FROM _link_features '
                      "ORDER BY record_id").rows()
    assert keys[0] == ("19900101", "001") and keys[4] == ("19900101", "001")


def test_either_order_keys_block_swapped_name_parts(engine):
    rows = [{"name": "john", "former_name": "smith"}, {"name": "smith", "former_name": "john"},
            {"name": "john", "former_name": None}]
    rules = _keys(engine, rows, [["name+former_name"]])
    generate_pairs(engine, KEYS, rules)
    assert [p[:2] for p in _pairs(engine)] == [(1, 2)]


def test_a_rule_on_rare_values_skips_large_blocks(engine):
    rows = [{"name_pinyin": "zhangwei"}] * 5 + [{"name_pinyin": "ouyangxiu"}] * 2
    rules = _keys(engine, rows, [{"columns": ["name_pinyin"], "max_block": 3}])
    assert count_pairs(engine, KEYS, rules)[0] == 1
    generate_pairs(engine, KEYS, rules)
    assert [p[:2] for p in _pairs(engine)] == [(6, 7)]
    assert rules[0].label == "name_pinyin (≤3)"


def test_planned_rules_keep_only_blocks_that_fit_the_budget(engine):
    from linkage.link.blocking import fit_to_budget

    rows = [{"phone": "13800000000"}] * 10 + [{"phone": "13900000000"}] * 3 + \
        [{"phone": "13700000000"}] * 2
    rules = _keys(engine, rows, [["phone"]])
    assert count_pairs(engine, KEYS, rules)[0] == 45 + 3 + 1
    fitted = fit_to_budget(engine, "_link_features", rules[0], 10)
    assert fitted.max_block == 3  # the block of ten (45 pairs) is left out
    assert fit_to_budget(engine, "_link_features", rules[0], 0) is None


def test_a_dwelling_key_ignores_how_district_and_community_were_written(engine):
    flat = {"address_road": "凤凰路", "address_number": "129号", "address_building": "15栋",
            "address_unit": "6单元", "address_room": "108"}
    rows = [{"name": "于琛申", "address_key": "龙华区|红山社区|凤凰路|129号|15栋", **flat},
            {"name": "于琛坤", "address_key": "龙华区||凤凰路|129号|15栋", **flat},
            {"name": "于琛", **flat, "address_room": "109"},          # the flat next door
            {"name": "王红", **flat, "address_room": None},           # no room: no dwelling
            {"name": "王公", **flat, "address_room": None}]
    rules = _keys(engine, rows, [["address__house"]])
    generate_pairs(engine, KEYS, rules)
    assert [p[:2] for p in _pairs(engine)] == [(1, 2)]


def test_an_unidentified_rule_skips_pairs_of_two_identified_records(engine):
    ids = ["110105199001010010", "110105199203040023", None, "11010519900101001X"]  # last invalid
    flags = ["valid", "valid", None, "invalid"]
    rows = [{"name": "张伟", "phone": "13800000001", "id_number": i, "id_number_flag": f}
            for i, f in zip(ids, flags)]
    rules = _keys(engine, rows, [{"columns": ["phone"], "unidentified": True}])
    # 6 pairs share the phone; (1, 2) holds two valid ID numbers and is left to them
    assert count_pairs(engine, KEYS, rules)[0] == 5
    stats = generate_pairs(engine, KEYS, rules)
    assert [p[:2] for p in _pairs(engine)] == [(1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]
    assert stats[0].candidate_pairs == 5 and rules[0].label == "phone (unidentified)"
