"""Property tests: normalizing twice changes nothing; 15 ↔ 18 digits round-trip; the ID check
character catches every single-character change and every swap of two unequal neighbours.

About swaps: MOD 11-2 weighs position i (from the right, check = 0) by 2^i mod 11.  Swapping
neighbours a, b changes the weighted sum by (a − b)(2^(i+1) − 2^i) = (a − b)·2^i, which is
non-zero mod 11 whenever a ≠ b (11 is prime, |a − b| ≤ 10), so every swap of unequal
neighbours is caught — also a swap with the check character (X = 10 cannot move left of it).
Swapping equal neighbours leaves the number unchanged, so there is nothing to catch.  Swaps of
positions ten apart are *not* caught (2^10 ≡ 1 mod 11: equal weights); tested below as well.
"""

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_11_2

from linkage.normalize.addresses import normalize_address
from linkage.normalize.area_codes import load_area_codes
from linkage.normalize.codes import normalize_ethnicity, normalize_gender
from linkage.normalize.dates import normalize_date
from linkage.normalize.enterprise import (
    normalize_code, normalize_enterprise_name, org_code_check, org_key, uscc_check,
)
from linkage.normalize.ids import check_characters, normalize_id_number
from linkage.normalize.names import normalize_person_name
from linkage.normalize.phones import complete_local_numbers, normalize_phone
from linkage.normalize.regions import load_regions
from linkage.normalize.text import clean_text

PROPERTY = settings(max_examples=20, deadline=None)

MESS = " 　\t·•・.-/()（）[]【】,，、;；:：'"
DIGITS = "0123456789０１２３４５６７８９"
HAN = "张王李赵欧阳司马诸葛单曾解伟芳娜秀英張偉漢族男女汉回满有限责任公司股份深圳市南山区华为技术"
LATIN = "abcxyzXMFABC"


def messy(alphabet: str, max_size: int = 24):
    return st.lists(st.one_of(st.none(), st.text(alphabet + MESS, max_size=max_size)),
                    min_size=1, max_size=30)


def _twice(normalize, values: list, value_column: str, compare: tuple[str, ...]):
    once = normalize(pl.Series(value_column, values, dtype=pl.Utf8))
    twice = normalize(once[value_column])
    for column in (value_column, *compare):
        assert twice[column].to_list() == once[column].to_list(), (column, values)


@PROPERTY
@given(messy(HAN + LATIN + DIGITS))
def test_person_names_idempotent(values):
    _twice(lambda s: normalize_person_name(s, "name", split=True), values, "name",
           ("name_pinyin", "name_initials", "surname", "given_name"))


@PROPERTY
@given(messy(DIGITS + "Xx×", 20))
def test_id_numbers_idempotent(values):
    _twice(lambda s: normalize_id_number(s, "id_number", derive=True), values, "id_number",
           ("id_number_flag", "id_birth_date", "id_gender", "id_region"))


@PROPERTY
@given(messy(DIGITS + "+转或", 30))
def test_phones_idempotent(values):
    _twice(lambda s: normalize_phone(s, "phone"), values, "phone", ("phone_type", "phone_flag"))


AREA_CODES = sorted(load_area_codes()["area_code"].unique().to_list())
local_numbers = st.from_regex(r"[2-9][0-9]{6,7}", fullmatch=True)
SEPARATORS = ("", "-", " ", "—", "－", " - ", ")", "/")  # "/" only where "(" opened


def _written(area: str, local: str, separator: str, wrong_split: bool) -> str:
    """area + local with a separator, maybe in the wrong place (075-550928397) or bracketed."""
    if separator == ")":
        return f"({area}){local}"
    if separator == "/":
        return f"（{area}）{local}"
    cut = len(area) - 1 if wrong_split else len(area)
    return (area + local)[:cut] + separator + (area + local)[cut:]


@PROPERTY
@given(st.lists(st.tuples(local_numbers, st.sampled_from(AREA_CODES), st.sampled_from(SEPARATORS),
                          st.booleans()), min_size=1, max_size=20))
def test_local_number_with_its_area_code_is_the_number_written_whole(cases):
    locals_, areas = [c[0] for c in cases], [c[1] for c in cases]
    completed = complete_local_numbers(normalize_phone(pl.Series("p", locals_)),
                                       pl.Series(areas), "p")
    whole = normalize_phone(pl.Series("p", [_written(a, n, sep, wrong) for n, a, sep, wrong in cases]))
    for column in ("p", "p_all", "p_type"):
        assert completed[column].to_list() == whole[column].to_list(), (column, cases)
    assert completed["p"].to_list() == [a + n for n, a, *_ in cases]
    assert completed["p_flag"].to_list() == ["area_code_added"] * len(cases)
    assert whole["p_flag"].to_list() == ["valid"] * len(cases)
    assert completed["p_written"].to_list() == locals_


@PROPERTY
@given(messy(DIGITS + "+转或", 30), st.lists(st.sampled_from([None, *AREA_CODES]), min_size=30,
                                              max_size=30))
def test_completed_phones_idempotent(values, areas):
    area = pl.Series(areas[:len(values)], dtype=pl.Utf8)
    _twice(lambda s: complete_local_numbers(normalize_phone(s, "phone"), area, "phone"), values,
           "phone", ("phone_type",))


# the organisation code inside a credit code uses the credit code's alphabet (no I O S V Z);
# all zeros is the placeholder 00000000-0
org_bodies = st.from_regex(r"[0-9A-HJ-NPQRTUWXY]{8}", fullmatch=True).filter(lambda b: b != "0" * 8)


@PROPERTY
@given(st.lists(st.tuples(org_bodies, st.sampled_from(["91440300", "92110105", "12100000"])),
                min_size=1, max_size=20))
def test_organisation_code_in_a_credit_code_column_keys_like_the_credit_code(cases):
    bodies = pl.DataFrame({"b": [b for b, _ in cases]})
    orgs = bodies.select(pl.col("b") + org_code_check(pl.col("b"))).to_series().to_list()
    usccs = pl.DataFrame({"u": [p + o for o, (_, p) in zip(orgs, cases)]}).select(
        pl.col("u") + uscc_check(pl.col("u"))).to_series().to_list()
    full = normalize_code(pl.Series("uscc", usccs), "uscc")
    short = normalize_code(pl.Series("uscc", [f"{o[:8]}-{o[8]}" for o in orgs]), "uscc")
    assert full["uscc_flag"].to_list() == ["valid"] * len(cases)
    assert short["uscc_flag"].to_list() == ["org_code"] * len(cases)
    assert org_key({"uscc": full}).to_list() == org_key({"uscc": short}).to_list() == orgs


@PROPERTY
@given(messy(DIGITS + "年月日号〇一二三四五六七八九十T:", 20))
def test_dates_idempotent(values):
    _twice(lambda s: normalize_date(s, "d"), values, "d", ("d_flag",))


@PROPERTY
@given(messy("男女性MFmf012风", 4))
def test_gender_idempotent(values):
    _twice(lambda s: normalize_gender(s, "g"), values, "g", ("g_flag",))


@PROPERTY
@given(messy("汉漢族回满维吾尔土家蒙古HAha0125", 6))
def test_ethnicity_idempotent(values):
    _twice(lambda s: normalize_ethnicity(s, "e"), values, "e", ("e_code", "e_flag"))


@PROPERTY
@given(messy(HAN + LATIN + DIGITS, 30))
def test_enterprise_names_idempotent(values):
    _twice(lambda s: normalize_enterprise_name(s, "n"), values, "n",
           ("n_core", "n_legal_form", "n_region", "n_flag"))


@PROPERTY
@given(messy(DIGITS + "ABCDXYIOZ-", 20))
def test_codes_and_text_idempotent(values):
    for kind in ("uscc", "org_code", "reg_number"):
        _twice(lambda s: normalize_code(s, kind, "c"), values, "c", ("c_flag",))
    _twice(lambda s: clean_text(s).to_frame("t"), values, "t", ())


# compounds named like counties elsewhere in China (嘉禾县, 东方市, 滨湖区, 天水市 …), like districts
# and townships of Hangzhou (钱塘区, 望江街道, 翠苑街道) or like nothing
COMPOUND_STEMS = ("嘉禾", "望江", "东方", "滨湖", "钱塘", "江南", "城东", "运河", "天水", "丽水", "紫金", "清水", "龙井",
                  "时代", "金都", "阳光", "翠苑", "香樟", "明珠")
COMPOUND_WORDS = ("小区", "花园", "苑", "家园", "公寓", "新村", "嘉园", "府", "公馆", "雅苑")
CN_DIGITS = "〇一二三四五六七八九"


@st.composite
def hangzhou_flats(draw):
    """(upper levels as written, district written or None, compound, building number, the
    flat's tail written one way, the same flat with the road and number first)."""
    head, district = draw(st.sampled_from([("", None), ("杭州市", None), ("浙江省杭州市", None), ("上城区", "上城区"),
                                           ("杭州市西湖区", "西湖区"), ("余杭区闲林街道", "余杭区")]))
    compound = (draw(st.sampled_from(COMPOUND_STEMS)) + draw(st.sampled_from(COMPOUND_WORDS))
                + draw(st.sampled_from(["", "", "一区", "东区"])))
    building, unit = draw(st.integers(1, 30)), draw(st.integers(1, 4))
    room = draw(st.integers(1, 28)) * 100 + draw(st.integers(1, 4))
    tens, ones = divmod(building, 10)
    cn = CN_DIGITS[ones] if not tens else ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")
    flat = draw(st.sampled_from([f"{building}幢{unit}单元{room}室", f"{building}号楼{unit}单元{room}",
                                 f"{building}-{unit}-{room}", f"{cn}幢{CN_DIGITS[unit]}单元{room}室"]))
    road = draw(st.sampled_from(["解放路12号", "文三路268号", "天城路5号"]))
    return head, district, compound, building, f"{head}{compound}{flat}", f"{head}{road}{compound}{flat}"


@settings(max_examples=10, deadline=None)
@given(st.lists(hangzhou_flats(), min_size=1, max_size=8))
def test_hangzhou_compounds_kept_keyed_and_never_elsewhere(flats):
    """With the hint 杭州市, a flat written by its compound (嘉禾花园3幢…, 望江家园…) stays in 浙江省
    杭州市 and keeps its compound's name; its key holds the compound and the building whether or not
    the road and number are written too (with the district written, the same key); normalizing the
    canonical text again gives the same key."""
    written = [f[4] for f in flats] + [f[5] for f in flats]  # without the road and number, with them
    out = normalize_address(pl.Series(written, dtype=pl.Utf8), "a", "杭州市")
    again = normalize_address(out["a"], "a", "杭州市")
    assert out["a_key"].to_list() == again["a_key"].to_list()
    for (head, district, compound, building, *_), row in zip(flats + flats, out.iter_rows(named=True)):
        assert (row["a_province"], row["a_city"], row["a_compound"]) == ("浙江省", "杭州市", compound), row
        assert row["a_key"].endswith(f"|{compound}||{building}栋"), row
        if district:
            assert row["a_district"] == district and row["a_key"].startswith(f"{district}||"), row


AREAS = load_regions().filter(pl.col("level") == "county")["code"].to_list()


@st.composite
def id_bodies(draw, first=dt.date(1900, 1, 1), last=dt.date(1999, 12, 31)):
    area = draw(st.sampled_from(AREAS))
    born = draw(st.dates(first, last))
    return f"{area}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"


def _valid_id(body: str) -> str:
    return body + mod_11_2.calc_check_digit(body)


@PROPERTY
@given(st.lists(id_bodies(), min_size=1, max_size=20))
def test_legacy_15_to_18_round_trip(bodies):
    ids18 = [_valid_id(b) for b in bodies]
    ids15 = [i[:6] + i[8:17] for i in ids18]
    out = normalize_id_number(pl.Series("id", ids15), derive=True)
    assert out["id"].to_list() == ids18
    assert out["id_flag"].to_list() == ["valid"] * len(ids18)
    assert out["id_legacy"].to_list() == [True] * len(ids18)
    assert [i[:6] + i[8:17] for i in out["id"]] == ids15
    again = normalize_id_number(out["id"])
    assert again["id"].to_list() == ids18 and not any(again["id_legacy"])


@PROPERTY
@given(st.lists(st.tuples(id_bodies(last=dt.date(2020, 12, 31)), st.integers(0, 17),
                          st.integers(1, 10)), min_size=1, max_size=20))
def test_one_changed_character_never_passes(changes):
    changed = []
    for body, position, offset in changes:
        number = _valid_id(body)
        alphabet = "0123456789X" if position == 17 else "0123456789"
        char = alphabet[(alphabet.index(number[position]) + offset) % len(alphabet)]
        if char != number[position]:
            changed.append(number[:position] + char + number[position + 1:])
    flags = normalize_id_number(pl.Series("id", changed, dtype=pl.Utf8))["id_flag"].to_list()
    assert "valid" not in flags, [c for c, f in zip(changed, flags) if f == "valid"]


@PROPERTY
@given(st.lists(st.tuples(id_bodies(last=dt.date(2020, 12, 31)), st.integers(0, 16)),
                min_size=1, max_size=20))
def test_swapped_neighbours_never_pass_unless_equal(swaps):
    unequal, equal = [], []
    for body, i in swaps:
        number = _valid_id(body)
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:]
        (equal if number[i] == number[i + 1] else unequal).append((number, swapped))
    if unequal:
        flags = normalize_id_number(pl.Series("id", [s for _, s in unequal]))["id_flag"]
        assert "valid" not in flags.to_list()
    assert all(n == s for n, s in equal)


@PROPERTY
@given(st.lists(st.tuples(id_bodies(), st.integers(0, 6)), min_size=1, max_size=20))
def test_swaps_ten_apart_keep_the_check_character(swaps):
    """The blind spot of MOD 11-2: positions i and i + 10 carry the same weight."""
    originals, swapped = [], []
    for body, i in swaps:
        originals.append(body)
        swapped.append(body[:i] + body[i + 10] + body[i + 1:i + 10] + body[i] + body[i + 11:])
    assert check_characters(pl.Series(swapped)).to_list() == \
        check_characters(pl.Series(originals)).to_list()
