"""Area codes to region names, lenient about codes renamed or abolished since issue."""

import polars as pl

from linkage.normalize.regions import load_regions, region_names


def test_region_names_at_every_level():
    codes = pl.Series(["440305", "440321", "110101", "440300", "440000", "990101", None, "710000"])
    assert region_names(codes).to_list() == [
        "广东省深圳市南山区", "广东省深圳市", "北京市东城区", "广东省深圳市", "广东省", None, None,
        "台湾省",
    ]


def test_packaged_list_has_provinces_prefectures_and_counties():
    regions = load_regions()
    counts = dict(regions.group_by("level").len().iter_rows())
    assert counts["province"] >= 34 and counts["city"] > 300 and counts["county"] > 2900
    assert regions["code"].is_unique().all()
