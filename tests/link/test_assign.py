"""The second pass: records with little more than a name weighed against the known entities."""

import numpy as np
import polars as pl

from linkage.link import run_linkage
from linkage.link.assign import good_turing, twin_rates
from tests.link.conftest import FAST, records

CHARS = "安柏晨德恩飞歌海嘉杰凯岚霖铭楠鹏琪瑞森涛薇翔雅逸泽昭"
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def test_good_turing_makes_single_values_rarer():
    counts = np.array([1] * 100 + [2] * 10 + [3] * 2)
    smoothed = good_turing(counts)
    assert smoothed[1] == 2 * 10 / 100 and smoothed[2] == 3 * 2 / 10
    assert 3 not in smoothed  # no value is seen four times: no estimate


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
