"""The second pass: records with little more than a name weighed against the known entities."""

import numpy as np
import polars as pl
import pytest

from linkage.link import run_linkage
from linkage.link.assign import (
    DECISION_COLUMNS,
    Decisions,
    decide,
    decisions_of,
    fragment_groups,
    good_turing,
    held_queries,
    hold_decisions,
    marked_candidates,
    twin_rates,
)
from linkage.link.settings import LinkageSettings
from tests.link.conftest import FAST, records

CHARS = "安柏晨德恩飞歌海嘉杰凯岚霖铭楠鹏琪瑞森涛薇翔雅逸泽昭"
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def test_good_turing_makes_single_values_rarer():
    counts = np.array([1] * 100 + [2] * 10 + [3] * 2)
    smoothed = good_turing(counts)
    assert smoothed[1] == 2 * 10 / 100 and smoothed[2] == 3 * 2 / 10
    assert 3 not in smoothed  # no value is seen four times: no estimate


def test_good_turing_without_repeats_still_makes_a_single_value_rarer():
    # registered company names: every one seen on a single entity
    assert good_turing(np.ones(2000, dtype=np.int64))[1] == 2 * 1 / 2000


def test_the_identified_records_twin_share_steadies_a_weak_mixture():
    # queries whose twins show only understated evidence (ω·BF below 1: a stale address, a
    # typo): EM alone reads most of them as people seen nowhere else; the source's identified
    # records say 95 % have a twin
    rng = np.random.default_rng(2)
    twinned = rng.random(400) < 0.9
    evidence = np.where(twinned, rng.uniform(0.1, 1.0, 400), rng.uniform(0, 0.2, 400))
    sources = np.array(["a"] * 400)
    alone, helped = twin_rates(sources, evidence)["a"], twin_rates(sources, evidence, {"a": 0.95})["a"]
    assert helped > alone + 0.1 and abs(helped - 0.9) < abs(alone - 0.9)


def test_twin_rates_recover_the_mixture():
    rng = np.random.default_rng(1)
    twinned = rng.random(2000) < 0.7
    evidence = np.where(twinned, rng.uniform(50, 500, 2000), rng.uniform(0, 0.01, 2000))
    rates = twin_rates(np.array(["a"] * 2000), evidence)
    assert abs(rates["a"] - 0.7) < 0.03


def _people(n: int, rng) -> list[dict]:
    rows = []
    for p in range(n):
        name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(rng.choice(list(CHARS), 2))
        birth = f"19{rng.integers(50, 99)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        rows.append({"name": name, "name_pinyin": name, "surname": name[0],
                     "given_name": name[1:], "id_number": f"44030{p:07d}{birth[2:4]}0001",
                     "id_number_flag": "valid", "id_number_legacy": False, "birth_date": birth})
    return rows


def test_name_only_records_join_the_one_entity_of_their_name(engine):
    rng = np.random.default_rng(3)
    people = _people(600, rng)
    twins = [dict(p) for p in people]                     # each person also in a second system
    sparse = [{"name": p["name"], "name_pinyin": p["name"], "surname": p["name"][0],
               "given_name": p["name"][1:]} for p in people[:200]]  # and by name only
    rows = [dict(r, source="a") for r in people] + [dict(r, source="b") for r in twins] + \
        [dict(r, source="c") for r in sparse]
    frame = records(rows).with_columns(pl.Series("source", [r["source"] for r in rows]))
    engine.load("records", frame)
    stats = run_linkage(engine, FAST)["person"]
    clusters = engine.sql("SELECT record_id, entity_id FROM clusters ORDER BY record_id")
    entity = clusters["entity_id"].to_list()
    names = frame["name"].to_list()
    unique = {n for n in names[:600] if names[:600].count(n) == 1}
    joined = [entity[1200 + i] == entity[i] for i in range(200) if names[i] in unique]
    assert sum(joined) >= 0.95 * len(joined)
    assert stats["assignment"]["joined"] >= 0.95 * len(joined)
    # a sparse record never joins the wrong entity of its name
    assert all(entity[1200 + i] in (entity[i], entity[1200 + i]) for i in range(200))
    pairs = engine.sql("SELECT * FROM pairs WHERE rule = 'assigned'")
    assert pairs.height and (pairs["match_probability"] >= 0.9).all()


def test_a_name_two_entities_share_is_a_possible_match_not_a_link(engine):
    rng = np.random.default_rng(4)
    people = _people(400, rng)
    people[1] = dict(people[1], name=people[0]["name"], name_pinyin=people[0]["name"],
                     surname=people[0]["name"][0], given_name=people[0]["name"][1:])
    rows = [dict(r, source="a") for r in people] + [dict(r, source="b") for r in people] + \
        [{"name": p["name"], "name_pinyin": p["name"], "surname": p["name"][0],
          "given_name": p["name"][1:], "source": "c"} for p in people[:150]]
    frame = records(rows).with_columns(pl.Series("source", [r["source"] for r in rows]))
    engine.load("records", frame)
    run_linkage(engine, FAST)
    entity = engine.sql("SELECT entity_id FROM clusters ORDER BY record_id")["entity_id"].to_list()
    sparse_twin_of_0 = 800  # the first name-only record: its name belongs to two people
    assert entity[sparse_twin_of_0] not in (entity[0], entity[1])
    possible = engine.sql("SELECT record_id_l, record_id_r FROM possible_matches").rows()
    assert any(sparse_twin_of_0 + 1 in pair for pair in possible)


def _scored(rows, sources=None):
    """scored rows (query, target, left, right, probability); query q from source "s<q>"
    unless `sources` says otherwise."""
    sources = sources or {}
    return pl.DataFrame([(q, sources.get(q, f"s{q}"), *rest) for q, *rest in rows],
                        schema=["query", "source", "target", "left", "right", "probability"],
                        orient="row")


def test_fragments_of_one_person_join_as_a_group():
    # A (identified, 1) and queries 2 and 3 all carry one rare name: each query splits its
    # probability between the other two, which between them hold all of it
    scored = _scored([(2, 1, 20, 10, 0.5), (2, 3, 20, 30, 0.49),
                      (3, 1, 30, 10, 0.5), (3, 2, 20, 30, 0.49)])
    joined = fragment_groups(scored, {2, 3}, 0.3, 0.9)
    assert set(joined.select("left", "right").rows()) == {(20, 10), (20, 30), (30, 10)}
    assert (joined["probability"] >= 0.9).all()


def test_two_identified_entities_in_a_group_join_nothing():
    # two people with identifiers share the name: the query is one of them, not both
    scored = _scored([(3, 1, 30, 10, 0.5), (3, 2, 30, 20, 0.49)])
    assert fragment_groups(scored, {3}, 0.3, 0.9).height == 0


def test_a_doubtful_member_leaves_and_takes_its_share_along():
    # query 3 is as likely someone new (0.4 in the group); without it, query 2 holds only 0.5
    scored = _scored([(2, 1, 20, 10, 0.5), (2, 3, 20, 30, 0.45), (3, 2, 30, 20, 0.4)])
    assert fragment_groups(scored, {2, 3}, 0.3, 0.9).height == 0
    # with 3 confident, both join
    scored = _scored([(2, 1, 20, 10, 0.5), (2, 3, 20, 30, 0.45), (3, 2, 30, 20, 0.95)])
    assert fragment_groups(scored, {2, 3}, 0.3, 0.9)["query"].n_unique() == 2


def test_a_group_needs_one_identified_anchor_and_queries_of_different_sources():
    rows = [(2, 1, 20, 10, 0.5), (2, 3, 20, 30, 0.49), (3, 1, 30, 10, 0.5), (3, 2, 20, 30, 0.49)]
    # two entries of one landlord's list and an identified entity, all of one name
    assert fragment_groups(_scored(rows, {2: "czw", 3: "czw"}), {2, 3}, 0.3, 0.9).height == 0
    # three name-only entries and no identified record of that name
    only_queries = [(2, 1, 20, 10, 0.5), (2, 3, 20, 30, 0.49), (3, 1, 30, 10, 0.5),
                    (3, 2, 20, 30, 0.49), (1, 2, 10, 20, 0.5), (1, 3, 10, 30, 0.49)]
    assert fragment_groups(_scored(only_queries), {1, 2, 3}, 0.3, 0.9).height == 0


def test_name_only_fragments_of_one_person_end_in_one_entity(engine):
    # each person in one system with an ID, and by name only in two others: the two name-only
    # records see each other and the identified entity as rivals, and still end together
    rng = np.random.default_rng(6)
    people = _people(500, rng)
    bare = [{"name": p["name"], "name_pinyin": p["name"], "surname": p["name"][0],
             "given_name": p["name"][1:]} for p in people[:200]]
    rows = [dict(r, source="a") for r in people] + [dict(r, source="b") for r in bare] + \
        [dict(r, source="c") for r in bare]
    frame = records(rows).with_columns(pl.Series("source", [r["source"] for r in rows]))
    engine.load("records", frame)
    run_linkage(engine, FAST)
    entity = engine.sql("SELECT entity_id FROM clusters ORDER BY record_id")["entity_id"].to_list()
    names = frame["name"].to_list()[:500]
    unique = [i for i in range(200) if names.count(names[i]) == 1]
    together = [entity[i] == entity[500 + i] == entity[700 + i] for i in unique]
    assert sum(together) >= 0.95 * len(unique)
    assert all(entity[500 + i] in (entity[i], entity[500 + i]) for i in range(200))


def _with_address(row: dict, address: str) -> dict:
    road, number = address.split("#")
    return dict(row, address=address, address_key=address, address_road=road,
                address_number=number)


def test_a_source_of_stale_addresses_gets_its_own_m(engine, monkeypatch):
    """People keyed in two identified systems with their current address, and again in a
    landlord's list whose addresses are mostly stale: the pairwise model learns from the
    identified pairs that an address almost never disagrees, which would weigh every stale
    address against its person; the second pass learns the list's own disagreement rate."""
    rng = np.random.default_rng(5)
    people = _people(600, rng)
    current = [_with_address(p, f"路{i % 97}#{i}") for i, p in enumerate(people)]
    stale = [_with_address({"name": p["name"], "name_pinyin": p["name"], "surname": p["name"][0],
                            "given_name": p["name"][1:]},
                           f"旧路{i % 89}#{i + 7}" if i % 10 else f"路{i % 97}#{i}")
             for i, p in enumerate(people[:300])]
    rows = [dict(r, source="a") for r in current] + [dict(r, source="b") for r in current] + \
        [dict(r, source="c") for r in stale]
    frame = records(rows).with_columns(pl.Series("source", [r["source"] for r in rows]))
    names = frame["name"].to_list()
    unique = [i for i in range(300) if names[:600].count(names[i]) == 1]

    def joined_share() -> float:
        engine.load("records", frame)
        run_linkage(engine, FAST)
        entity = engine.sql("SELECT entity_id FROM clusters ORDER BY record_id")["entity_id"]
        return sum(entity[1200 + i] == entity[i] for i in unique) / len(unique)

    learnt = joined_share()
    monkeypatch.setattr("linkage.link.assign.Weigher.fit_source_m", lambda *a: None)
    assert learnt >= 0.95 and learnt > joined_share() + 0.1


def test_without_identifiers_name_only_records_are_weighed_not_left_out(engine):
    # no system carries an ID number: the second pass learns value counts and how often each
    # source's records have twins from the pairwise model's clusters instead of identifiers'
    # (without them its twin rates collapse to nothing and every name-only record is left out
    # silently); a name-only record with a name only its person carries joins that person or
    # waits as a possible match, and never joins anyone else
    rng = np.random.default_rng(6)
    people = [{k: v for k, v in p.items() if not k.startswith("id_")}
              for p in _people(600, rng)]
    sparse = [{"name": p["name"], "name_pinyin": p["name"], "surname": p["name"][0],
               "given_name": p["name"][1:]} for p in people[:200]]
    rows = [dict(r, source="a") for r in people] + [dict(r, source="b") for r in people] + \
        [dict(r, source="c") for r in sparse]
    frame = records(rows).with_columns(pl.Series("source", [r["source"] for r in rows]))
    engine.load("records", frame)
    stats = run_linkage(engine, FAST)["person"]
    assert stats["assignment"]["twin_rate"]["c"] > 0.3
    entity = engine.sql("SELECT entity_id FROM clusters ORDER BY record_id")["entity_id"].to_list()
    possible = {tuple(p) for p in engine.sql(
        "SELECT record_id_l, record_id_r FROM possible_matches").rows()}
    names = [p["name"] for p in people]
    unique = [i for i in range(200) if names.count(names[i]) == 1]
    weighed = [entity[1200 + i] == entity[i]
               or any(1201 + i in pair and ({i + 1, 601 + i} & set(pair)) for pair in possible)
               for i in unique]
    assert sum(weighed) >= 0.95 * len(unique)
    assert all(entity[1200 + i] in (entity[i], entity[1200 + i]) for i in range(200))


def test_a_source_whose_silver_records_all_have_twins_gets_a_rate_not_nan():
    # every identified record of the source has a twin (prior 1): queries without evidence
    # must not divide 0 by 0
    rates = twin_rates(np.array(["a"] * 50), np.zeros(50), {"a": 1.0})
    assert 0 < rates["a"] < 1


def test_a_family_registers_siblings_do_not_teach_it_that_names_or_birth_dates_differ(engine):
    """People keyed with their IDs in two systems; a family register lists each again without
    an ID, and a sibling: same surname and generation character, phone and address, another
    birth date.  Left out of the weighing, the name (or the birth date) is all that tells the
    siblings apart: learnt on the register's queries without the other agreeing as one
    person's, its own m would say that its matches' names (birth dates) differ, and siblings
    would join."""
    rng = np.random.default_rng(8)
    parents = _people(400, rng)
    home = [dict(p, phone=f"138{i:08d}", address=f"路{i % 53}#{i}", address_key=f"路{i % 53}#{i}",
                 address_road=f"路{i % 53}", address_number=str(i)) for i, p in enumerate(parents)]
    register = []
    for p in home:
        bare = {k: p[k] for k in ("name", "name_pinyin", "surname", "given_name", "birth_date",
                                  "phone", "address", "address_key", "address_road",
                                  "address_number")}
        # a sibling: one generation character shared, the other not
        given = p["given_name"][0] + rng.choice([c for c in CHARS if c not in p["given_name"]])
        born = f"20{rng.integers(10, 20)}-0{rng.integers(1, 9)}-1{rng.integers(0, 9)}"
        sibling = dict(bare, name=p["surname"] + given, name_pinyin=p["surname"] + given,
                       given_name=given, birth_date=born)
        register += [bare, sibling]
    rows = [dict(r, source="a") for r in home] + [dict(r, source="b") for r in home] + \
        [dict(r, source="c") for r in register]
    frame = records(rows).with_columns(pl.Series("source", [r["source"] for r in rows]))
    engine.load("records", frame)
    run_linkage(engine, FAST)
    entity = engine.sql("SELECT entity_id FROM clusters ORDER BY record_id")["entity_id"]
    own_joined = sum(entity[800 + 2 * i] == entity[i] for i in range(400))
    sibling_joined = sum(entity[801 + 2 * i] == entity[i] for i in range(400))
    assert own_joined >= 390 and sibling_joined == 0


def _candidates(rows):
    """candidate rows (query, target, left, right, side) of queries from source "s"."""
    return pl.DataFrame([(q, "s", t, a, b, i, side) for i, (q, t, a, b, side) in enumerate(rows)],
                        schema=["query", "source", "target", "left", "right", "row", "side"],
                        orient="row")


def _decisions(rows, lost=()):
    """last run's decisions (left, right, assign_l, assign_r, joined_l, joined_r)."""
    schema = {"record_id_l": pl.Int64, "record_id_r": pl.Int64,
              **{c: pl.Float32 for c in DECISION_COLUMNS}}
    return Decisions(pl.DataFrame(rows, schema=schema, orient="row"), np.array(lost, dtype=np.int64))


def test_a_query_with_last_months_candidates_keeps_last_months_decision():
    # query 10 (record 100) reaches entities 1 and 2 through the same pairs as last month,
    # when it joined neither; query 20 (record 200) had one more candidate then (record 1003,
    # now linked to it or gone), so it is weighed afresh
    record_ids, rep = np.array([100, 200, 1001, 1002, 1003]), np.array([10, 20, 1, 2, 20])
    candidates = _candidates([(10, 1, 100, 1001, "l"), (10, 2, 100, 1002, "l"),
                              (20, 1, 200, 1001, "l")])
    last = _decisions([(100, 1001, 0.6, None, None, None), (100, 1002, 0.3, None, None, None),
                       (200, 1001, 0.95, None, 0.95, None), (200, 1003, float("nan"), None, None, None)])
    held = held_queries(marked_candidates(candidates, last), last, record_ids, rep)
    assert held.tolist() == [10]
    scored = _scored([(10, 1, 100, 1001, 0.95), (10, 2, 100, 1002, 0.03), (20, 1, 200, 1001, 0.85)])
    fresh = decide(scored, {10, 20}, 0.9, 0.5)
    assert fresh.select("query", "left", "right").rows() == [(10, 100, 1001)]
    scored, join, changed = hold_decisions(marked_candidates(candidates, last), scored, fresh, held, {10, 20}, 0.9, 0.5)
    assert join.height == 0                    # 10 keeps "joined nothing"; 20 stays below 0.9
    # listed: the pair a fresh weighing would have joined 10 by
    assert changed.rows() == [(10, 100, 1001, None, pytest.approx(0.95))]
    kept = scored.filter(pl.col("query") == 10).sort("target")
    assert np.allclose(kept["probability"].to_numpy(), [0.6, 0.3])
    # and the decisions the store keeps for next month are the held ones
    stored = decisions_of(candidates, scored, join).sort("record_id_l", "record_id_r")
    assert np.allclose(stored["assign_l"].to_numpy(), [0.6, 0.3, 0.85])
    assert stored["joined_l"].null_count() == 3


def test_a_query_that_joined_last_month_joins_again_and_a_lost_record_unholds():
    record_ids, rep = np.array([100, 1001]), np.array([10, 1])
    candidates = _candidates([(10, 1, 1001, 100, "r")])   # the query holds the right record
    last = _decisions([(1001, 100, None, 0.97, None, 0.97)])
    scored = _scored([(10, 1, 1001, 100, 0.4)])           # this month's rates would not join
    held = held_queries(marked_candidates(candidates, last), last, record_ids, rep)
    _, join, changed = hold_decisions(marked_candidates(candidates, last), scored, decide(scored, {10}, 0.9, 0.5),
                                      held, {10}, 0.9, 0.5)
    assert join.select("query", "left", "right", "probability").rows() == [(10, 1001, 100, pytest.approx(0.97))]
    assert changed.rows() == [(10, 1001, 100, pytest.approx(0.97), None)]
    lost = _decisions([(1001, 100, None, 0.97, None, 0.97)], lost=[100])
    assert held_queries(marked_candidates(candidates, lost), lost, record_ids, rep).size == 0
    other_side = _decisions([(1001, 100, 0.97, None, 0.97, None)])  # last month the other way
    assert held_queries(marked_candidates(candidates, other_side), other_side, record_ids, rep).size == 0


def test_without_a_birth_date_no_source_learns_its_own_m(engine, monkeypatch):
    """Companies keyed with their organisation codes in two systems; a shop survey lists them
    again without a code, and sister companies: the same 字号, legal representative and phone,
    another industry and address.  Enterprises have no birth date to anchor what a source's own
    m is learnt on: with the name (or the industry) left out, sister companies look like one
    company (on exports made another way, learnt m took them for one: enterprise precision
    0.989).  So every source keeps the pairwise model's m, and the survey's companies still
    join their own entities, their sisters none."""
    import linkage.link.assign as assign

    rng = np.random.default_rng(9)
    industries = ["餐饮管理", "人力资源", "信息技术", "建筑工程", "物流", "五金"]
    companies = [{"core": "".join(rng.choice(list(CHARS), 2)) + str(i),
                  "rep": SURNAMES[i % len(SURNAMES)] + "".join(rng.choice(list(CHARS), 2)),
                  "phone": f"139{i:08d}", "industry": industries[i % 6],
                  "sister": industries[(i + 1) % 6]} for i in range(300)]

    def row(c: dict, industry: str, address: str, code: str | None) -> dict:
        return {"name": f"杭州{c['core']}{industry}有限公司", "name_core": c["core"],
                "name_core_pinyin": c["core"], "name_industry": industry, "uscc": code,
                "uscc_flag": "valid" if code else None, "org_key": code,
                "legal_rep": c["rep"], "legal_rep_pinyin": c["rep"], "phone": c["phone"],
                "address": address, "address_key": address}

    coded = [row(c, c["industry"], f"路{i % 41}#{i}", f"{i:08d}X") for i, c in enumerate(companies)]
    survey = [row(c, c["industry"], f"路{i % 41}#{i}", None) for i, c in enumerate(companies)]
    survey += [row(c, c["sister"], f"街{i % 37}#{i + 500}", None)
               for i, c in enumerate(companies[:150])]
    rows = [dict(r, source="a") for r in coded] + [dict(r, source="b") for r in coded] + \
        [dict(r, source="c") for r in survey]
    columns = ["name", "name_core", "name_core_pinyin", "name_industry", "uscc", "uscc_flag",
               "org_key", "reg_number", "legal_rep", "legal_rep_pinyin", "phone", "phone_all",
               "address", "address_key"]
    frame = records(rows, "enterprise", columns).with_columns(
        pl.Series("source", [r["source"] for r in rows]))
    learnt, fit = [], assign.Weigher.fit_source_m

    def recording(weigher, *args):
        fit(weigher, *args)
        learnt.append(weigher.m_of)

    monkeypatch.setattr(assign.Weigher, "fit_source_m", recording)
    engine.load("records", frame)
    run_linkage(engine, {"enterprise": LinkageSettings(u_sample_pairs=20_000)})
    entity = engine.sql("SELECT entity_id FROM clusters ORDER BY record_id")["entity_id"]
    assert learnt and all(m_of == {} for m_of in learnt)
    assert sum(entity[600 + i] == entity[i] for i in range(300)) >= 290
    assert not any(entity[900 + i] == entity[i] for i in range(150))
