"""Addresses in the city's real communities: a street layout, address components and their styles.

An address is a set of integer components (community, road, number, building, unit, floor,
room) so that every system can write the same place its own way: with or without the upper
levels (province … community), Arabic or Chinese numerals, 栋 / 座 / 号楼 / 幢, 室 or 房.
Roads are invented per community (from the community's own name and common road stems),
since the reference data stops at communities.

Some records (the `address_messy` rate) write the head the messy ways people do (`MESSY`):
the district under a former name of the place (龙华区 written 宝安区, which held it until 2016;
from the packaged code history), separators between levels (广东省-深圳市-南山区), a level
written twice (深圳深圳市), or every level short (深圳南山桃源).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np
import polars as pl

from linkage.synth.reference import reference

PROVINCE, CITY = "广东省", "深圳市"
ROAD_STEMS = (
    "人民 建设 解放 和平 新华 中山 工业 创业 科技 文化 学府 青年 光明 幸福 育才 兴华 南海 滨海 "
    "福华 红荔 深南 北环 宝安 布吉 东门 华强 振兴 泰然 福民 香蜜 莲花 梅林 景田 八卦 笋岗 翠竹 "
    "沙河 桃园 前进 新安 松白 石岩 观澜 民治 坂田 横岗 平湖 坪山 葵涌 公明 凤凰 福永 怡景 "
    "爱国 东晓 太白 宝岗 罗沙 洪湖 布心 安托山 侨香 白石 沙湾 吉华 龙翔 如意 友谊 嘉宾 春风").split()
ROAD_SUFFIXES = np.array(["路", "街", "大道", "一路", "二路", "巷"])
ROAD_SUFFIX_P = np.array([0.55, 0.15, 0.08, 0.08, 0.07, 0.07])
ROADS_PER_COMMUNITY = (3, 7)
GRIDS_PER_COMMUNITY = (3, 12)

# address levels written before the road, by style level code
LEVELS = ("full", "city", "district", "street", "road")
BUILDING_SUFFIXES = ("栋", "座", "号楼", "幢")
ROOM_SUFFIXES = ("", "室", "房")
# messy heads (code 0: none): a former district name, separators, a level twice, short names
MESSY = ("former", "separated", "twice", "short")
SEPARATORS = ("-", "_", "/", " ", "－")
TRANSFERS_SINCE = 2000  # a district is written under the one it was carved from since then


def chinese_numeral(n: int) -> str:
    """0..9999 in Chinese numerals as written in addresses (十五, 一百零三)."""
    units = "零一二三四五六七八九"
    if n < 10:
        return units[n]
    if n < 20:
        return "十" + (units[n % 10] if n % 10 else "")
    out, zero = "", False
    for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = (n // value) % 10
        if d:
            out += ("零" if zero and out else "") + units[d] + name
            zero = False
        elif out:
            zero = True
    return out


NUMERALS = pl.Series([chinese_numeral(i) for i in range(1000)], dtype=pl.Utf8)
# 0..999 as written in addresses, by value + 1000 × (Chinese numerals): numbers, buildings with each
# suffix (0 = no building: empty), units (0 = none: empty)
_NUMBER_TEXTS = pl.Series([str(i) for i in range(1000)] + NUMERALS.to_list(), dtype=pl.Utf8)
_BUILDING_TEXTS = pl.Series([n + suffix if i % 1000 else "" for i, n in enumerate(_NUMBER_TEXTS)
                             for suffix in BUILDING_SUFFIXES], dtype=pl.Utf8)
_UNIT_TEXTS = pl.Series([n + "单元" if i % 1000 else "" for i, n in enumerate(_NUMBER_TEXTS)], dtype=pl.Utf8)


@dataclass(frozen=True)
class Layout:
    """The city's invented streets and grids, fixed for a seed."""

    communities: pl.DataFrame    # reference communities + weight, grids, first_road, roads
    roads: pl.Series             # road names, grouped by community
    community_p: np.ndarray      # where people live (some communities are much bigger)
    heads: pl.Series             # per style level and road: the address up to the road name

    def head(self, level: np.ndarray, road: np.ndarray) -> pl.Series:
        return self.heads.gather(np.asarray(level, np.int64) * len(self.roads) + road)

    def grid_code(self, comm: np.ndarray, grid: np.ndarray) -> pl.Series:
        codes = self.communities["community_code"].gather(comm)
        return codes + pl.Series(grid + 1).cast(pl.Utf8).str.zfill(3)

    def grid_name(self, comm: np.ndarray, grid: np.ndarray) -> pl.Series:
        names = self.communities["community"].gather(comm)
        return names + "第" + NUMERALS.gather(grid + 1) + "网格"


def city_layout(rng: np.random.Generator) -> Layout:
    comm = reference().communities
    n = comm.height
    roads_per = rng.integers(*ROADS_PER_COMMUNITY, n, endpoint=True)
    first = np.r_[0, np.cumsum(roads_per)[:-1]]
    total = int(roads_per.sum())
    # "杨美社区嘉丽园" is a sub-unit of 杨美社区: its road takes the sub-unit's name
    own_stem = (comm["community"].str.replace(r"^.*社区(.+)$", "${1}").str.replace(r"社区$", "")
                .str.slice(0, 3).to_numpy().astype(str))
    owner = np.repeat(np.arange(n), roads_per)
    position = np.arange(total) - first[owner]
    stems = np.where(position == 0, own_stem[owner],
                     np.array(ROAD_STEMS)[rng.integers(0, len(ROAD_STEMS), total)])
    suffix = ROAD_SUFFIXES[rng.choice(len(ROAD_SUFFIXES), total, p=ROAD_SUFFIX_P)]
    roads = pl.Series(np.char.add(stems, suffix), dtype=pl.Utf8)
    communities = comm.with_columns(
        pl.Series("first_road", first), pl.Series("roads", roads_per),
        pl.Series("grids", rng.integers(*GRIDS_PER_COMMUNITY, n, endpoint=True)))
    weight = rng.gamma(1.5, 1.0, n)
    return Layout(communities, roads, weight / weight.sum(), _heads(comm[owner.tolist()], roads))


def _heads(owners: pl.DataFrame, roads: pl.Series) -> pl.Series:
    """Address heads per level of LEVELS (full, city, district, street, road), then per road."""
    d, s, c = owners["district"], owners["street"], owners["community"]
    return pl.concat([PROVINCE + CITY + d + s + c + roads, CITY + d + s + roads, d + s + roads,
                      s + c + roads, roads])


def draw_addresses(layout: Layout, rng: np.random.Generator, n: int, prefix: str = "") -> pl.DataFrame:
    """n random dwellings: community, road, number, building (0 = none), unit (0 = none), floor, room."""
    comm = rng.choice(len(layout.community_p), n, p=layout.community_p)
    c = layout.communities
    road = c["first_road"].to_numpy()[comm] + np.floor(rng.random(n) * c["roads"].to_numpy()[comm]).astype(np.int64)
    number = rng.integers(1, 400, n)
    building = np.where(rng.random(n) < 0.8, rng.integers(1, 40, n), 0)
    unit = np.where((building > 0) & (rng.random(n) < 0.4), rng.integers(1, 6, n, endpoint=True), 0)
    floor = np.minimum(rng.geometric(0.15, n), 33)
    room = floor * 100 + rng.integers(1, 9, n)
    grid = (number * 7 + road) % c["grids"].to_numpy()[comm]
    return pl.DataFrame({f"{prefix}{k}": v for k, v in dict(
        comm=comm, road=road, number=number, building=building, unit=unit, room=room, grid=grid).items()})


@dataclass(frozen=True)
class AddressStyle:
    """How a system writes addresses; `address_style` errors redraw these per record."""

    level: str = "city"          # one of LEVELS: where the address starts
    numerals: str = "arabic"     # arabic | chinese (number, building, unit)
    building: str = "栋"         # one of BUILDING_SUFFIXES
    room: str = ""               # one of ROOM_SUFFIXES
    unit: bool = True            # write the unit (单元) when the building has one

    def codes(self, n: int) -> dict[str, np.ndarray]:
        return {"level": np.full(n, LEVELS.index(self.level)),
                "chinese": np.full(n, self.numerals == "chinese"),
                "building": np.full(n, BUILDING_SUFFIXES.index(self.building)),
                "room": np.full(n, ROOM_SUFFIXES.index(self.room)),
                "unit": np.full(n, self.unit),
                "messy": np.zeros(n, np.int64)}


def restyle(codes: dict[str, np.ndarray], mask: np.ndarray, rng: np.random.Generator,
            messy: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Another style for the masked rows: each of level, numerals and building suffix redrawn;
    the rows of `messy` get one of the messy heads of `MESSY`."""
    n = len(mask)
    out = {k: v.copy() for k, v in codes.items()}
    if messy is not None:
        out["messy"] = np.where(messy, rng.integers(1, len(MESSY) + 1, n), codes["messy"])
    out["level"] = np.where(mask, (codes["level"] + rng.integers(1, len(LEVELS), n)) % len(LEVELS), codes["level"])
    out["chinese"] = np.where(mask & (rng.random(n) < 0.4), ~codes["chinese"], codes["chinese"])
    out["building"] = np.where(mask & (rng.random(n) < 0.6), rng.integers(0, len(BUILDING_SUFFIXES), n),
                               codes["building"])
    out["room"] = np.where(mask & (rng.random(n) < 0.5), rng.integers(0, len(ROOM_SUFFIXES), n), codes["room"])
    out["unit"] = np.where(mask & (rng.random(n) < 0.3), ~codes["unit"], codes["unit"])
    return out


def render(layout: Layout, parts: pl.DataFrame, codes: dict[str, np.ndarray], prefix: str = "") -> pl.Series:
    """Address text of each row of `parts` (components named `<prefix>comm` …) in per-row styles:
    number, building and unit texts are gathered from tables of every style's spelling."""
    p = {k: parts[f"{prefix}{k}"].to_numpy() for k in ("comm", "road", "number", "building", "unit", "room")}
    chinese = np.asarray(codes["chinese"], dtype=np.int64) * 1000
    unit = np.where(np.asarray(codes["unit"], dtype=bool), p["unit"], 0)
    head = layout.head(codes["level"], p["road"])
    messy = np.asarray(codes.get("messy", np.zeros(len(head), np.int64)))
    if messy.any():
        rows = np.flatnonzero(messy)
        head = head.scatter(rows, messy_heads(layout, p["comm"][rows], p["road"][rows], messy[rows],
                                              p["number"][rows]))
    frame = pl.DataFrame({
        "head": head,
        "number": _NUMBER_TEXTS.gather(p["number"] % 1000 + chinese),
        "building": _BUILDING_TEXTS.gather((p["building"] % 1000 + chinese) * len(BUILDING_SUFFIXES)
                                           + codes["building"]),
        "unit": _UNIT_TEXTS.gather(unit % 1000 + chinese),
        "room": pl.Series(p["room"]).cast(pl.Utf8),
        "rsuffix": pl.Series(ROOM_SUFFIXES).gather(codes["room"]),
    })
    return frame.select(pl.concat_str("head", "number", pl.lit("号"), "building", "unit", "room", "rsuffix")).to_series()


def messy_heads(layout: Layout, comm: np.ndarray, road: np.ndarray, kind: np.ndarray,
                number: np.ndarray) -> pl.Series:
    """The head up to the road name written the messy way `kind` (1-based in `MESSY`) says;
    the separator follows from the house number, so a dwelling is always written alike."""
    c = layout.communities
    district, street = c["district"].gather(comm), c["street"].gather(comm)
    community, road_name = c["community"].gather(comm), layout.roads.gather(road)
    former = c["district_code"].gather(comm).replace_strict(_former_district_names(), default=None)
    sep = pl.Series(SEPARATORS).gather(number % len(SEPARATORS))
    frame = pl.DataFrame({"kind": kind, "d": district, "s": street, "c": community, "r": road_name,
                          "old": former.fill_null(district), "sep": sep})
    city_short, province_short = _short(CITY), _short(PROVINCE)
    heads = (
        pl.when(pl.col("kind") == MESSY.index("former") + 1)
        .then(pl.concat_str(pl.lit(PROVINCE + CITY), "old", "s", "c", "r"))
        .when(pl.col("kind") == MESSY.index("separated") + 1)
        .then(pl.concat_str(pl.lit(PROVINCE), "sep", pl.lit(CITY), "sep", "d", "sep", "s", "r"))
        .when(pl.col("kind") == MESSY.index("twice") + 1)
        .then(pl.concat_str(pl.lit(province_short + PROVINCE + city_short + CITY), "d", "s", "r"))
        .otherwise(pl.concat_str(pl.lit(city_short), pl.col("d").str.replace(r"(?:区|县|市)$", ""),
                                 pl.col("s").str.replace(r"(?:街道|镇|乡)$", ""), "c", "r"))
    )
    return frame.select(heads).to_series()


def _short(name: str) -> str:
    """A province or city without its type word (广东, 深圳)."""
    return re.sub(r"(?:省|市|自治区)$", "", name)


@functools.cache
def _former_district_names() -> dict[str, str]:
    """County code → a name its places were written under: a retired county it took over
    (宝安县 → 宝安区) or the county it was carved from since 2000 (龙华区 ← 宝安区), from the
    packaged code history linkage/data/admin/history.csv (CC0)."""
    path = resources.files("linkage") / "data" / "admin" / "history.csv"
    with resources.as_file(path) as csv:
        history = pl.read_csv(csv, infer_schema=False, encoding="utf8")
    history.columns = ["code", "province", "prefecture", "name", "rank", "status", "start", "end", "successors"]
    names: dict[str, str] = {}
    for code, name, status, successors in history.select("code", "name", "status", "successors").iter_rows():
        for target, year in re.findall(r"(\d{6})(?:\[(\d{4})\])?", successors or ""):
            carved = year and int(year) >= TRANSFERS_SINCE and status != "弃用"
            if (status == "弃用" and not year) or carved:
                names.setdefault(target, name)
    return names


def house_codes(layout: Layout, parts: pl.DataFrame, prefix: str = "") -> pl.Series:
    """房屋编码: community code + building number (4 digits) + room (4 digits)."""
    p = {k: parts[f"{prefix}{k}"].to_numpy() for k in ("comm", "road", "number", "building", "room")}
    building_id = (p["road"] * 7919 + p["number"] * 41 + p["building"]) % 10_000
    return (layout.communities["community_code"].gather(p["comm"])
            + pl.Series(building_id).cast(pl.Utf8).str.zfill(4)
            + pl.Series(p["room"]).cast(pl.Utf8).str.zfill(4))


def hometown_addresses(rng: np.random.Generator, area_rows: np.ndarray, household: np.ndarray) -> pl.Series:
    """Household-registration addresses in the areas of `area_rows`: county + village + group
    (one village, group and number per household)."""
    areas = reference().areas
    n = int(household.max()) + 1 if len(household) else 0
    villages = _village_stems()
    village = villages.gather(rng.integers(0, len(villages), n)).gather(household)
    group = pl.Series(rng.integers(1, 13, n)).cast(pl.Utf8).gather(household)
    number = pl.Series(rng.integers(1, 120, n)).cast(pl.Utf8).gather(household)
    return (areas["province"].gather(area_rows) + areas["city"].gather(area_rows) + areas["area"].gather(area_rows)
            + village + "村" + group + "组" + number + "号")


@functools.cache
def _village_stems() -> pl.Series:
    """Village stems for hometown addresses: community names without 社区 (real place names)."""
    return reference().communities["community"].str.replace(r"(社区|村)$", "").unique(maintain_order=True)
