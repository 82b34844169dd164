"""Chinese addresses: parse into administrative levels and house components, canonicalise.

`normalize_address(series, prefix, region_hint)` returns, row-aligned with the input:

| column | content | example |
|---|---|---|
| `<prefix>` | canonical address text | 广东省深圳市南山区桃源街道桃源社区科技园路18号16栋2单元1203 |
| `<prefix>_province` | NBS full name | 广东省 |
| `<prefix>_city` | NBS full name; a municipality's is its own name | 深圳市, 北京市 |
| `<prefix>_district` | full county-level name | 南山区 |
| `<prefix>_street` | township as in NBS | 桃源街道, 虎门镇 |
| `<prefix>_community` | community / village without 居委会 / 村委会 | 桃源社区, 白石村 |
| `<prefix>_road` | road name | 科技园路 |
| `<prefix>_number` | house number with 号 (in a 弄: the 弄) | 18号, 100弄 |
| `<prefix>_compound` | the compound (小区, 花园, 公寓, 大厦 …) with its part (一区, 2期) | 阳光花园, 翠苑一区 |
| `<prefix>_building` | building number with 栋 | 16栋, A栋 |
| `<prefix>_unit` | unit with 单元 | 2单元, B单元 |
| `<prefix>_room` | room without 室 / 房 / 号 | 1203, 15A, 7-2 (floor-room) |
| `<prefix>_old_name` | prefecture / county as written where it differs from today's (renamed, merged, moved); null otherwise | 江干区, 富阳市 |
| `<prefix>_key` | district|community|road|number|building, for blocking; a compound in place of road and number | 南山区|桃源社区|科技园路|18号|16栋 |
| `<prefix>_flag` | parsed / partial / unparsed; null when the input is blank | parsed |

Conventions:
- Width and script are folded (full-width digits and letters, traditional characters),
  spaces and punctuation dropped, Latin letters upper-cased.
- Chinese numerals after the administrative head, before a counting word or ending the
  address as a room, become digits (十六栋 → 16栋, 一二零三室 → 1203, 三单元六零一 → 3单元601);
  numerals inside names stay (三门峡市, 第三社区, 中山一路).  Leading zeros go (03栋 → 3栋).
- Buildings: 栋 / 幢 / 座 / 号楼 / 栋楼 / # → 栋 (a bare 5楼 is a floor unless a unit follows).
  Units: 单元, and the Beijing / Tianjin 3门 → 3单元.  Rooms: 室 / 房 / 户 / 号 after the
  building or unit are dropped (1203室 → 1203); a floor before the room is dropped
  (5楼502 → 502); a trailing number of three or more digits is a room (国际商会中心2501).
  Dashed forms: 3-2-502 → 3栋2单元502, 3栋2-502 → 3栋2单元502, 阳光花园3-502 → 3栋502,
  while 2栋8-3 keeps room 8-3 (floor 8, door 3).  Shanghai lanes: 100弄5号 → number 100弄,
  building 5栋.
- Committees: 桃源社区居委会 → 桃源社区, 城关居委会 → 城关社区, 白石村村委会 → 白石村;
  街道办事处 / 街道办 → 街道.
- Compounds: the name before the building (or after the road and number) ending in a compound
  word — 小区 花园 公寓 家园 嘉园 新村 山庄 公馆 别墅 大厦 大楼 广场 中心 商城 …, or 苑 府 庭 园 城 里
  坊 湾 邸 墅 right before the house part — with its part (翠苑一区, 香樟新村西区, 万家星城2期):
  钱塘公寓20栋 → 钱塘公寓, 解放大道34号钱塘公寓20栋 → road 解放大道, number 34号, compound 钱塘公寓.
  A …新村 with buildings (朝晖新村20栋) is a compound, not a village.  A division's short form
  starting a compound's name is not read as the division (钱塘公寓 is no 钱塘区, 嘉禾花园 no 湖南
  嘉禾县), except a township's after a division holding it or inside the region hint, which is
  read without taking the name (上城区望江家园 → 望江街道, compound 望江家园).  With a hint, a
  county's short form far from it (outside its province) with nothing before it is not read
  where a compound's or road's name follows (嘉禾明珠苑, 江南春城, 新安江路 with the hint 杭州市),
  nor a village named alone outside that province (时代新村); written after their province or
  prefecture they are (湖南嘉禾珠泉镇).  A township's spelling before a house number is a road
  (富春街303号: road 富春街, not 富春街道).
- Old names: a prefecture or county renamed, merged or abolished since 1980 (`address.history`)
  is read as the division that holds the place today — 杭州市富阳市 → 富阳区, 江干区下沙街道 →
  钱塘区 (江干区 was split; the township says which part), 余杭区临平街道 (or 余杭区临平) →
  临平区 — and the name as written is kept in `<prefix>_old_name`.  An old name alone that was split stays
  ambiguous (district null, old name kept).  Townships are read under any of their type words
  (中泰乡 for 中泰街道), autonomous regions as provinces (广西省).
- Messy heads: separators between levels (浙江省-杭州-下城区, 浙江_温州_永嘉县) and 市辖区 are
  dropped; a level written twice (北京北京市朝阳区, 杭州市余杭区杭州市余杭区闲林街道) is read
  once; a development zone between levels (杭州经济技术开发区下沙街道) and one or two stray
  characters (浙江小温州市) are passed over; text before the head (邮寄地址浙江省…) is dropped when
  a province or prefecture is written in full after it.  A short township name (下沙, 宁围) is
  read right after its county or prefecture, a village's (泽国镇姜家) right after its township,
  unless it starts a road's name (东四十条); a …村 opening the rest after a township is kept as
  the village (written).  A second address after the first (…601（广东省佛山市南海区）) is cut.
- Traditional characters are folded, except those the NBS list writes as simplified ones
  (乾县, 於潜镇): the canonical text keeps them.
- Missing upper levels are filled from the lowest level read (南山区桃源社区 → 广东省 深圳市
  南山区 桃源街道 桃源社区) whenever the candidates agree; `region_hint` ("深圳市", "南山区")
  picks among same-named divisions (鼓楼区) and names the upper levels of addresses that name
  none.  Short forms are read (广东深圳南山, 延边州, 西丽白芒社区) but never a road's name
  (北京东路, 学院路).  A township or community written right after the divisions read but
  unknown to the NBS list (renamed, merged, misspelt) is kept as written when it ends in 街道 /
  镇 / 乡 or 社区 / 村 (a township's name may hold one 市 / 区 / 县: 阮市镇, 故县街道; a road
  written before it is not part of it: 拱康路康桥街道 → 康桥街道).
- The canonical text is the named levels (province, city, district written once each),
  then the rest of the address in canonical spelling.
- `<prefix>_key` needs a district or community with a road, number, compound or building, or
  else a road with its number (科技园路18号) or a compound with its building or number
  (时代小区28栋); otherwise it is null, since a district alone or a bare "3栋" would make a
  city-wide block.  Missing parts are empty between the bars.  A compound takes the place of
  the road and its number (`district|community|compound||building`), so the flat written by its
  compound and by road, number and compound gets one key (钱塘公寓20栋 and 解放大道34号钱塘公寓20栋:
  ||钱塘公寓||20栋); a number without a road stays (曙光新村12号).  Written by road and number
  alone, the same flat keeps the road's key: nothing in one address says which compound a road
  number holds.
- Flag: parsed = district known and at least one of road / number / compound / building /
  room; partial = some component read; unparsed = none.

Every distinct address is parsed once; the administrative head is matched relationally
(`address.head`), the rest with vectorised regular expressions (`address.rules`).
"""

from __future__ import annotations

import polars as pl

from linkage.normalize.address.divisions import LEVELS, resolve_hint
from linkage.normalize.address.head import read_heads
from linkage.normalize.address.rules import canonical_tail, clean_address, tail_components
from linkage.normalize.text import per_unique

COMPONENTS = (*LEVELS.values(), "road", "number", "compound", "building", "unit", "room")
KEY_PARTS = ("district", "community", "road", "number", "building")


def normalize_address(series: pl.Series, prefix: str, region_hint: str | None = None) -> pl.DataFrame:
    """Parse and canonicalise each address; see the module docstring for the columns."""
    hint = resolve_hint(region_hint)
    parsed = per_unique(series.cast(pl.Utf8), lambda values: _parse(values, hint), always=True)
    return parsed.select(pl.all().name.map(lambda name: prefix if name == "text" else f"{prefix}_{name}"))


def _parse(values: pl.Series, hint: pl.DataFrame) -> pl.DataFrame:
    """Columns text, the components, key and flag for distinct address values."""
    text = clean_address(values)
    present = text.is_not_null()
    known = text.filter(present)
    heads = read_heads(known, hint)
    tail = canonical_tail(known.str.slice(heads["read"]))
    # divisions read from the head; a township / community the NBS list lacks stays in the tail
    frame = pl.concat([heads.drop("read"), tail_components(
        tail, heads["street"].is_not_null() & heads["community"].is_null()).rename(
        {"street": "street_written", "community": "community_written"})], how="horizontal")
    head_text = pl.concat_str(
        pl.col("province"),
        pl.when(pl.col("city").ne_missing(pl.col("province"))).then(pl.col("city")),
        pl.when(pl.col("district").ne_missing(pl.col("city"))).then(pl.col("district")),
        pl.col("street"), pl.col("community"), ignore_nulls=True)
    frame = frame.with_columns(
        pl.concat_str(head_text, pl.lit(tail)).alias("text"),
        pl.coalesce("street", "street_written").alias("street"),
        pl.coalesce("community", "community_written").alias("community"),
    )
    detail = pl.any_horizontal(pl.col(c).is_not_null()
                               for c in ("road", "number", "compound", "building", "room"))
    anything = pl.any_horizontal(pl.col(c).is_not_null() for c in COMPONENTS)
    place = pl.col("district").is_not_null() | pl.col("community").is_not_null()
    house = pl.any_horizontal(pl.col(c).is_not_null() for c in ("road", "number", "compound", "building"))
    compound = pl.col("compound").is_not_null()
    specific = ((place & house) | (pl.col("road").is_not_null() & pl.col("number").is_not_null())
                | (compound & (pl.col("building").is_not_null() | pl.col("number").is_not_null())))
    # the compound stands for the road and its number (the same flat is written either way,
    # and both at once); a number without a road is the compound's own (曙光新村12号)
    slots = {"road": pl.coalesce("compound", "road"),
             "number": pl.when(~compound | pl.col("road").is_null()).then(pl.col("number"))}
    key = pl.when(specific).then(pl.concat_str(
        [slots.get(c, pl.col(c)).fill_null("") for c in KEY_PARTS], separator="|"))
    flag = (pl.when(pl.col("district").is_not_null() & detail).then(pl.lit("parsed"))
            .when(anything).then(pl.lit("partial")).otherwise(pl.lit("unparsed")))
    frame = frame.select("text", *COMPONENTS, "old_name", key.alias("key"), flag.alias("flag"))
    # back to one row per distinct value, blanks as all-null rows
    rows = pl.DataFrame({"row": pl.int_range(len(values), eager=True, dtype=pl.UInt32)})
    located = frame.with_columns(present.arg_true().alias("row"))
    return rows.join(located, on="row", how="left", maintain_order="left").drop("row")
