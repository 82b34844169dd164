"""Area codes to region names, lenient about codes renamed or abolished since issue."""

import polars as pl

from linkage.normalize.regions import load_regions, region_names


def test_region_names_at_every_level():
    codes = pl.Series(["440305", "440321", "110101", "440300", "440000", "990101", None, "710000"])
    assert region_names(codes).to_list() == [
        "广东省深圳市南山区", "广东省深圳市宝安县", "北京市东城区", "广东省深圳市", "广东省", None, None,
        "台湾省",
    ]


def test_retired_codes_named_as_they_were_from_the_history():
    # 江干区 (retired 2021), 富阳市 (a district since 2014), 昌平县 (1999), 乾县 in use
    codes = pl.Series(["330104", "330183", "110221", "610424"])
    assert region_names(codes).to_list() == ["浙江省杭州市江干区", "浙江省杭州市富阳市", "北京市昌平县", "陕西省咸阳市乾县"]


def test_packaged_list_has_provinces_prefectures_and_counties():
    regions = load_regions()
    counts = dict(regions.group_by("level").len().iter_rows())
    assert counts["province"] >= 34 and counts["city"] > 300 and counts["county"] > 2900
    assert regions["code"].is_unique().all()
