"""Addresses in real 深圳 communities, written in each system's style."""

import numpy as np
import polars as pl

from linkage.synth import address
from linkage.synth.reference import reference

LAYOUT = address.city_layout(np.random.default_rng([1, 2]))
PARTS = pl.DataFrame({"comm": [0, 0], "road": [LAYOUT.communities["first_road"][0]] * 2, "number": [103, 15],
                      "building": [12, 0], "unit": [2, 0], "room": [1503, 602], "grid": [0, 1]})


def test_chinese_numerals():
    assert [address.chinese_numeral(n) for n in (0, 7, 10, 15, 20, 103, 110, 999)] == [
        "零", "七", "十", "十五", "二十", "一百零三", "一百一十", "九百九十九"]


def test_styles_of_one_dwelling():
    c = reference().communities.row(0, named=True)
    road = LAYOUT.roads[int(PARTS["road"][0])]
    full = address.AddressStyle(level="full", building="号楼", room="室").codes(2)
    assert address.render(LAYOUT, PARTS, full).to_list() == [
        f"广东省深圳市{c['district']}{c['street']}{c['community']}{road}103号12号楼2单元1503室",
        f"广东省深圳市{c['district']}{c['street']}{c['community']}{road}15号602室"]
    short = address.AddressStyle(level="road", numerals="chinese", unit=False).codes(2)
    assert address.render(LAYOUT, PARTS, short).to_list() == [f"{road}一百零三号十二栋1503", f"{road}十五号602"]


def test_restyle_changes_only_masked_rows():
    codes = address.AddressStyle().codes(1000)
    mask = np.arange(1000) < 500
    restyled = address.restyle(codes, mask, np.random.default_rng(0))
    assert (restyled["level"][:500] != codes["level"][:500]).all()
    for key in codes:
        assert (restyled[key][500:] == codes[key][500:]).all()


def test_draws_stay_in_real_communities_and_house_codes_are_stable():
    parts = address.draw_addresses(LAYOUT, np.random.default_rng(0), 5000)
    comm = parts["comm"].to_numpy()
    first = LAYOUT.communities["first_road"].to_numpy()[comm]
    assert ((parts["road"].to_numpy() >= first)
            & (parts["road"].to_numpy() < first + LAYOUT.communities["roads"].to_numpy()[comm])).all()
    codes = address.house_codes(LAYOUT, parts)
    assert (codes.str.len_chars() == 20).all()
    assert (codes.str.slice(0, 12) == LAYOUT.communities["community_code"].gather(comm)).all()
    assert address.house_codes(LAYOUT, parts).equals(codes)


def test_messy_heads_name_the_same_place():
    # the normalizer reads every messy head back to the dwelling's own district and street
    from linkage.normalize.addresses import normalize_address

    parts = address.draw_addresses(LAYOUT, np.random.default_rng(3), 400)
    plain = address.AddressStyle(level="full").codes(400)
    messy = address.restyle(plain, np.zeros(400, bool), np.random.default_rng(4), np.ones(400, bool))
    assert set(messy["messy"]) == set(range(1, len(address.MESSY) + 1))
    texts = address.render(LAYOUT, parts, messy)
    assert not texts.equals(address.render(LAYOUT, parts, plain))
    out = normalize_address(texts, "a")
    truth = LAYOUT.communities.select("district", "street").gather(parts["comm"].to_numpy())
    assert (out["a_district"] == truth["district"]).mean() > 0.97
    assert (out["a_street"] == truth["street"]).mean() > 0.97
    former = messy["messy"] == address.MESSY.index("former") + 1
    assert out["a_old_name"].filter(pl.Series(former)).is_not_null().any()
