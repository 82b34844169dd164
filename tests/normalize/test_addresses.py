"""Address parsing: conventions on hand-made cases, and accuracy on the hand-checked gold set."""

from pathlib import Path

import polars as pl
import pytest

from linkage.normalize.address.numerals import numeral_value
from linkage.normalize.addresses import normalize_address

GOLD = Path(__file__).parent / "data" / "addresses_gold.csv"
# written after the rules were settled on GOLD, to estimate accuracy on unseen addresses
HOLDOUT = Path(__file__).parent / "data" / "addresses_holdout.csv"
PARTS = ("province", "city", "district", "street", "community", "road", "number", "building", "unit", "room")
ACCEPTANCE = ("district", "street", "community", "building", "room")


def parse(addresses: list[str | None], hint: str | None = None) -> list[dict]:
    out = normalize_address(pl.Series("address", addresses, dtype=pl.Utf8), "addr", hint)
    out = out.rename({"addr": "text"})
    return [{k.removeprefix("addr_"): v for k, v in row.items()} for row in out.iter_rows(named=True)]


def test_columns_row_aligned_and_named_by_prefix():
    out = normalize_address(pl.Series(["南山区科技园路18号", None, "南山区科技园路18号"]), "address")
    assert out.columns == ["address", *(f"address_{p}" for p in PARTS), "address_old_name", "address_key",
                           "address_flag"]
    assert out.height == 3
    assert out.row(0) == out.row(2)
    assert out.row(1) == (None,) * 14


def test_mostly_distinct_column_parsed_once_per_value_in_row_order():
    numbers = [*range(1, 1500), *range(1, 1500, 7)]
    values = [f"南山区科技园路{n}号" if n % 100 else None for n in numbers]
    out = normalize_address(pl.Series(values), "address", "深圳市")
    expected = [f"{n}号" if n % 100 else None for n in numbers]
    assert out["address_number"].to_list() == expected
    assert out["address_district"].drop_nulls().unique().to_list() == ["南山区"]


def test_full_address_every_component():
    (row,) = parse(["广东省深圳市南山区桃源街道桃源社区科技园路18号16栋2单元1203室"])
    assert row == {
        "text": "广东省深圳市南山区桃源街道桃源社区科技园路18号16栋2单元1203",
        "province": "广东省", "city": "深圳市", "district": "南山区", "street": "桃源街道",
        "community": "桃源社区", "road": "科技园路", "number": "18号", "building": "16栋",
        "unit": "2单元", "room": "1203", "old_name": None, "key": "南山区|桃源社区|科技园路|18号|16栋",
        "flag": "parsed",
    }


def test_upper_levels_filled_and_spellings_canonical():
    a, b = parse(["南山区桃源社区居委会科技园路十八号十六幢二单元1203房",
                  "深圳 南山 桃源街道办事处 桃源社区 科技园路１８号 16号楼 2单元 1203号"])
    for row in (a, b):
        assert row["text"] == "广东省深圳市南山区桃源街道桃源社区科技园路18号16栋2单元1203"
        assert row["key"] == "南山区|桃源社区|科技园路|18号|16栋"


@pytest.mark.parametrize("raw, building, unit, room", [
    ("阳光花园3栋2单元502", "3栋", "2单元", "502"),
    ("阳光花园3-2-502", "3栋", "2单元", "502"),
    ("阳光花园三座二单元五零二室", "3栋", "2单元", "502"),
    ("阳光花园C座1805", "C栋", None, "1805"),
    ("阳光花园3#502房", "3栋", None, "502"),
    ("阳光花园3栋5楼502", "3栋", None, "502"),
    ("阳光花园03栋0502", "3栋", None, "502"),
    ("阳光花园第十二栋", "12栋", None, None),
])
def test_building_unit_room_forms(raw, building, unit, room):
    (row,) = parse([raw])
    assert (row["building"], row["unit"], row["room"]) == (building, unit, room)


def test_region_hint_disambiguates_and_fills():
    without, with_hint, elsewhere = parse(["鼓楼区中山路321号"]), parse(["鼓楼区中山路321号"], "南京市"), \
        parse(["湖南省长沙市岳麓区望月湖街道12栋301"], "深圳市")
    assert without[0]["district"] == "鼓楼区" and without[0]["city"] is None
    assert (with_hint[0]["province"], with_hint[0]["city"]) == ("江苏省", "南京市")
    assert elsewhere[0]["city"] == "长沙市"
    (bare,) = parse(["科技园路18号"], "深圳市")
    assert (bare["province"], bare["city"], bare["district"]) == ("广东省", "深圳市", None)


def test_roads_named_like_regions_are_roads():
    a, b = parse(["江西南路18号", "北京东路5号"])
    assert (a["province"], a["road"], a["number"]) == (None, "江西南路", "18号")
    assert (b["province"], b["road"]) == (None, "北京东路")


def test_municipality_and_county_level_city():
    bj, dg = parse(["北京朝阳区麦子店街道农展馆北路5号院3号楼2单元301", "东莞虎门镇北栅社区"])
    assert (bj["province"], bj["city"], bj["district"], bj["street"]) == ("北京市", "北京市", "朝阳区", "麦子店街道")
    assert bj["text"].startswith("北京市朝阳区麦子店街道")
    assert (dg["city"], dg["district"], dg["street"], dg["community"]) == ("东莞市", "东莞市", "虎门镇", "北栅社区")
    assert dg["key"] is None and dg["flag"] == "partial"


def test_blank_and_unparsed():
    blank, placeholder, junk = parse(["   ", "不详", "见附件"])
    assert blank["flag"] is None and placeholder["flag"] is None
    assert junk["flag"] == "unparsed" and junk["text"] == "见附件"


@pytest.mark.parametrize("numeral, value", [
    ("十", 10), ("十六", 16), ("二十", 20), ("二十一", 21), ("一百零三", 103), ("两千零五", 2005),
    ("一二零三", 1203), ("五零二", 502), ("〇三", 3),
])
def test_numeral_value(numeral, value):
    assert numeral_value(numeral) == value


def gold_accuracy(path: Path) -> dict[str, float]:
    """Share of rows whose parsed component equals the hand-written one (blank = null)."""
    gold = pl.read_csv(path, infer_schema=False).with_columns(pl.col(PARTS).replace("", None)).with_row_index()
    groups = list(gold.group_by("region_hint", maintain_order=True))
    parsed = pl.concat([
        normalize_address(group["address"], "addr", hint or None).with_columns(group["index"])
        for (hint,), group in groups
    ]).sort("index")
    return {part: float(parsed[f"addr_{part}"].eq_missing(gold[part]).mean()) for part in PARTS}


@pytest.mark.parametrize("path, rows", [(GOLD, 300), (HOLDOUT, 50)])
def test_gold_accuracy(path, rows):
    assert pl.read_csv(path, infer_schema=False).height >= rows
    accuracy = gold_accuracy(path)
    for part in ACCEPTANCE:
        assert accuracy[part] >= 0.95, (part, accuracy)


def test_division_names_keep_their_numerals():
    sanmenxia, = parse(["河南省三门峡市渑池县碧波村五组57号"])
    assert (sanmenxia["city"], sanmenxia["district"], sanmenxia["number"]) == ("三门峡市", "渑池县", "57号")
    assert sanmenxia["text"] == "河南省三门峡市渑池县碧波村5组57号"


if __name__ == "__main__":  # the accuracy table of benchmarks/RESULTS.md
    for path in (GOLD, HOLDOUT):
        rows = pl.read_csv(path, infer_schema=False).height
        print(f"{path.name} ({rows} rows): " + ", ".join(f"{k} {v:.1%}" for k, v in gold_accuracy(path).items()))


def test_blocking_key_needs_a_place_or_a_road_number():
    estate, road, place = parse(["阳光花园3栋2单元502", "科技园路18号", "南山区桃源社区阳光花园3栋"], "深圳市")
    assert estate["key"] is None
    assert road["key"] == "||科技园路|18号|"
    assert place["key"] == "南山区|桃源社区|||3栋"


def test_short_township_needs_its_community_and_latin_keeps_spaces():
    road, township = parse(["赤坎区中山二路10号", "南山区西丽白芒社区百旺信工业区5栋"], None)
    assert (road["street"], road["road"]) == (None, "中山二路")
    assert (township["street"], township["community"]) == ("西丽街道", "白芒社区")
    (latin,) = parse(["No. 5  Main Street"])
    assert latin["text"] == "NO. 5 MAIN STREET" and latin["flag"] == "unparsed"
