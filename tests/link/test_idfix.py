"""Invalid ID numbers read back as the one valid number of the run they can be."""

import functools

import polars as pl
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linkage.engine import open_engine
from linkage.link import run_linkage
from linkage.link.idfix import correct
from linkage.normalize.ids import check_characters
from tests.link.conftest import FAST, people


@functools.cache
def _engine():
    return open_engine()  # one for the module: an engine per hypothesis example is most of its time


def corrections(invalid: pl.DataFrame, valid: pl.Series) -> pl.DataFrame:
    """`idfix.correct` against the numbers `valid`: (record_id, fixed) in record order."""
    engine = _engine()
    engine.load("valid", pl.DataFrame({"number": valid}))
    correct(engine, invalid, "SELECT number FROM valid", "fixed")
    return engine.sql("SELECT * FROM fixed ORDER BY record_id")


def _valid(body: str) -> str:
    return body + check_characters(pl.Series([body]))[0]


bodies = st.text("0123456789", min_size=17, max_size=17)


def _typo(number: str, position: int, digit: str, swap: bool) -> str:
    chars = list(number)
    if swap:
        i = min(position, 16)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        chars[position] = digit
    return "".join(chars)


@settings(max_examples=100, deadline=None)
@given(bodies, st.lists(bodies, max_size=5), st.integers(0, 17), st.sampled_from("0123456789"),
       st.booleans())
def test_one_wrong_digit_or_swap_is_read_back(body, others, position, digit, swap):
    number = _valid(body)
    typo = _typo(number, position, digit, swap)
    valid = pl.Series([number, *(_valid(o) for o in others)])
    fixed = corrections(pl.DataFrame({"record_id": [1], "number": [typo]}), valid)
    assume(typo not in set(valid))  # no error after all (equal neighbours, or the same digit)
    # MOD 11-2 catches the error, so the number is not valid; unless another valid number is
    # also one error away, it is read back as the original
    rivals = {v for v in valid if v != number and _one_error(typo, v)}
    if rivals:
        assert fixed.height == 0
    else:
        assert fixed.to_dicts() == [{"record_id": 1, "fixed": number}]


def _one_error(a: str, b: str) -> bool:
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                              and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])


def test_two_possible_numbers_correct_nothing():
    a, b = _valid("11010519900101001"), _valid("11010519900101002")
    typo = b[:17] + a[17]  # a's check character on b's body: one error from each
    assert _one_error(typo, a) and _one_error(typo, b)
    fixed = corrections(pl.DataFrame({"record_id": [1], "number": [typo]}), pl.Series([a, b]))
    assert fixed.height == 0
    alone = corrections(pl.DataFrame({"record_id": [1], "number": [typo]}), pl.Series([a]))
    assert alone["fixed"].to_list() == [a]


def _roster(frame: pl.DataFrame, typos: int, valid: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A source "roster" keyed by ID number alone (no name, no date): `valid` people's numbers
    as they are and then `typos` more with one digit mistyped; and those people's first records."""
    people = frame.filter(pl.col("id_number").is_not_null()).unique("id_number", keep="first") \
        .sort("record_id").head(valid + typos)
    numbers = people["id_number"].to_list()
    numbers[valid:] = [n[:9] + str((int(n[9]) + 3) % 10) + n[10:] for n in numbers[valid:]]
    start = int(frame["record_id"].max()) + 1
    roster = pl.DataFrame({"record_id": range(start, start + len(numbers)), "source": "roster",
                           "source_row": range(1, len(numbers) + 1), "entity_type": "person",
                           "id_number": numbers,
                           "id_number_flag": ["valid"] * valid + ["bad_check_digit"] * typos,
                           "id_number_legacy": False})
    return roster, people


def _people_with_real_numbers() -> pl.DataFrame:
    frame, _ = people(200)
    numbers = frame["id_number"].drop_nulls().unique(maintain_order=True)
    real = {n: _valid(f"440305{k:011d}") for k, n in enumerate(numbers)}  # 18 digits, checked
    return frame.with_columns(pl.col("id_number").replace_strict(real, default=None))


def test_a_roster_keyed_by_id_alone_links_its_mistyped_numbers(engine):
    """A source with the ID number only (no name, no date): a mistyped number has no other
    path to its twin than the corrected-number rule, and links through it."""
    frame = _people_with_real_numbers()
    roster, first = _roster(frame, typos=8, valid=40)
    engine.load("records", pl.concat([frame, roster], how="diagonal_relaxed"))
    stats = run_linkage(engine, FAST)
    assert stats["person"]["pairs_per_rule"]["id_number__fixed (unidentified)"] >= 8
    entity = dict(engine.sql("SELECT record_id, entity_id FROM clusters").iter_rows())
    for original, added in zip(first["record_id"], roster["record_id"]):
        assert entity[added] == entity[original]
    typo = int(roster["record_id"][-1])
    pair = engine.sql(f"SELECT rule FROM pairs WHERE record_id_r = {typo}")
    assert pair["rule"].to_list() and set(pair["rule"]) == {"same_identifier"}


def test_a_column_of_mostly_invalid_numbers_is_not_corrected(engine):
    """Numbers invalid in most rows of a source are some other code, not typos: left alone
    (no rule pairs, no lookups)."""
    frame = _people_with_real_numbers()
    roster, _ = _roster(frame, typos=30, valid=10)
    engine.load("records", pl.concat([frame, roster], how="diagonal_relaxed"))
    stats = run_linkage(engine, FAST)
    assert stats["person"]["pairs_per_rule"]["id_number__fixed (unidentified)"] == 0
