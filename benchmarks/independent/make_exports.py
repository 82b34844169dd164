#!/usr/bin/env python3
"""Independent test exports for `linkage`: one real city, five person systems, two enterprise systems.

Why this exists
---------------
`linkage synth` makes the tool's own test data. A tool tuned on one generator may only have
learnt that generator's habits. This script is a second generator, designed separately and
without looking at `linkage synth`: it builds a city of people and enterprises from the public
reference data in /work/shared/data and writes what seven departments would export for it, each
department with its own headers, coverage, attribute subset, error habits, file format and
encoding, plus the truth of which row is which person or enterprise.

The city
--------
杭州市 (Zhejiang, code 3301): its 13 current districts/counties, their real streets/towns and
communities/villages (NBS 2023). Households (native families, migrant families, migrant singles
sharing rentals, elderly couples), each with a dwelling built from a real community plus road,
number, compound, building, unit and room (urban) or village group and number (rural). 18-digit
ID numbers with a valid check digit, the birth date, the sex digit and the area code of where the
holder was first registered -- for Hangzhou natives the code in force in the year of issue, so
older people keep the retired codes of 江干区 330104, 下城区 330103, 萧山市 330181, 余杭市 330184,
富阳市 330183, 临安市 330185 ...; migrants carry a county code of their home province valid in
their year of issue. Mobiles 1[3-9]x, household landlines 0571-xxxxxxxx, some people with an
older mobile, some families moved within the city (an old address), a few name changes (曾用名),
twins, employers. Enterprises: 字号 from the company short-name corpus + 杭州/浙江 + industry +
legal form (有限公司, 有限责任公司, 股份有限公司, branches 分公司, 个体工商户 shops, partnerships,
farmers' co-operatives, sole proprietorships), unified social credit codes with valid GB 32100
check character and a valid GB 11714 organisation code inside, older businesses with only an
organisation code (XXXXXXXX-X) or a 15-digit registration number (ISO 7064 MOD 11,10), a legal
representative who is one of the people, an address and a phone.

What it writes in --out DIR
---------------------------
  居住登记_流动人口.csv   person, UTF-8 with BOM   residence registration, mostly migrants; 曾用名 and
                                                  户籍地址 columns beside 姓名 / 现住址
  公安自主申报.csv        person, GBK              police self-declaration: name, ID, mobile, address,
                                                  employer (服务处所); IDs sometimes tab-prefixed
  计生家庭成员.tsv        person, UTF-8, tab       family planning: whole households, 户主姓名 beside
                                                  成员姓名, ~30 % blank IDs, the household's phone
                                                  for every member, stale addresses, month-only dates
  劳动保障登记.xlsx       person, xlsx             title row + filler row above the header (merged
                                                  cells); sparse: name + ID + employer; ~6.5 % mistyped
                                                  IDs, 5 % blank; dates as Excel date cells
  网格走访.xlsx           person, xlsx             no ID at all: name, sex, partial birth date (Excel
                                                  date cells, bare serial numbers, text), phone, address;
                                                  a second summary sheet
  安全生产企业台账.csv     enterprise, GBK          name, credit code, legal representative and his ID,
                                                  phone, address, industry
  商户走访.csv            enterprise, UTF-8 BOM    shop visits: abbreviated names, a mixed 证照号码
                                                  column (credit code / org code / registration no.)
  truth.csv               file, source_row (1-based data row below the header), entity_type,
                          entity_id, errors (the ';'-joined error tags applied to that record)
  truth_summary.json      records, distinct entities, redundant records per entity type; rows per file

Errors are drawn per system from its own rate table (SYSTEMS below): homophone / similar-shape
name typos (confusion sets), dropped / extra characters, traditional characters (OpenCC or
variant forms), spaces in names, full-width digits, separators and lowercase x in IDs, 15-digit
IDs, one-digit / swapped-neighbour ID typos, a relative's ID, IDs stored as numbers in Excel
(precision lost), mixed date formats, +86 / 0 / separators / landlines in phones, old mobiles,
abbreviated addresses (province/city/district/street left out, 号楼 vs 幢, 3-2-501), old
addresses of movers, placeholder values (无, 不详, /, 0 ...), within-system duplicate records
(re-keyed with fresh errors).

Usage:  python make_exports.py --people 30000 --seed 1 --out DIR  [--data /work/shared/data]
Needs only the standard library, numpy, openpyxl and opencc (all in the linkage venv).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import random
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.styles import Alignment, Font

try:
    from opencc import OpenCC
except ImportError:  # traditional characters then come from VARIANT_CHARS only
    OpenCC = None

REF_DATE = dt.date(2024, 6, 30)          # "today" for ages and registration dates
CITY_CODE = "3301"
PROVINCE_NAME, CITY_NAME, CITY_SHORT = "浙江省", "杭州市", "杭州"
CITY_AREA_PHONE = "0571"

# --------------------------------------------------------------------------- small tables
MOBILE_PREFIXES = ("130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
                   "166 172 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 "
                   "191 193 195 198 199").split()
PLACEHOLDERS = ["无", "不详", "/", "0", "-", "暂无", "未知"]
ROAD_STEMS = ("文三 文二 学院 教工 古墩 丰潭 紫荆 益乐 登云 石祥 秋涛 德胜 艮山 秋石 复兴 望江 江城 之江 "
              "梅灵 曙光 保俶 天目山 莫干山 凤起 庆春 解放 延安 中山 环城 体育场 湖墅 潮王 朝晖 和睦 "
              "金城 市心 通惠 人民 育才 工人 崇化 宁围 博奥 民和 飞虹 江晖 长河 伟业 明月 春晖 新塘 "
              "九和 天城 机场 下沙 文泽 学林 高教 白杨 月雅 义蓬 临丹 星桥 藕花洲 迎宾 振兴 "
              "富春 桂花 金桥 江滨 锦城 钱王 衣锦 城中 严州 新安 千岛湖 环湖 迎春 桐君 白云源").split()
ROAD_SUFFIXES = ["路"] * 6 + ["街"] * 2 + ["大道", "巷"]
COMPOUND_STEMS = ("翠苑 绿城 金都 耀江 和睦 朝晖 东方 阳光 星洲 水印 桂花 丽水 金色 蓝天 紫金 锦绣 "
                  "春江 湖畔 景芳 采荷 嘉禾 德胜 文鼎 天水 金地 融创 保利 中豪 宋都 西溪 北城 之江 "
                  "钱塘 荷花 香樟 银杏 梧桐 枫华 雅居 望江 城东 运河 申花 府苑 华家池 三墩 新城 "
                  "时代 明珠 万家 清水 康桥 江南 滨湖 云栖 龙井 田园 东湖 南苑 丁桥 九堡").split()
COMPOUND_SUFFIXES = ["小区"] * 4 + ["花园", "苑", "家园", "公寓", "新村", "嘉园", "府", "公馆", "雅苑"]
OFFICE_BUILDINGS = ["大厦", "中心", "广场", "商务楼", "科技园", "创意园"]
CN_NUM = "〇一二三四五六七八九十"
ETHNIC = ["汉族"] * 97 + ["回族", "土家族", "苗族"]
RELATION_TITLES = {"head": "户主", "spouse": "配偶", "son": "子", "daughter": "女",
                   "father": "父亲", "mother": "母亲", "member": "其他"}

# industry word, 国民经济行业门类 (for the safety ledger), weight
INDUSTRIES = [
    ("网络科技", "信息传输、软件和信息技术服务业", 8), ("信息技术", "信息传输、软件和信息技术服务业", 5),
    ("电子商务", "批发和零售业", 6), ("贸易", "批发和零售业", 8), ("商贸", "批发和零售业", 4),
    ("建筑工程", "建筑业", 5), ("装饰工程", "建筑业", 5), ("物流", "交通运输、仓储和邮政业", 4),
    ("餐饮管理", "住宿和餐饮业", 4), ("食品", "制造业", 3), ("服饰", "制造业", 4), ("纺织", "制造业", 3),
    ("机械", "制造业", 4), ("五金", "制造业", 2), ("汽车服务", "居民服务、修理和其他服务业", 2),
    ("物业管理", "房地产业", 3), ("文化传媒", "文化、体育和娱乐业", 4), ("教育科技", "教育", 2),
    ("医疗器械", "制造业", 2), ("化工", "制造业", 2), ("印刷", "制造业", 1), ("家具", "制造业", 2),
    ("农业开发", "农、林、牧、渔业", 2), ("环保科技", "科学研究和技术服务业", 2), ("电子", "制造业", 3),
    ("建材", "批发和零售业", 3), ("企业管理咨询", "租赁和商务服务业", 3), ("人力资源", "租赁和商务服务业", 2),
]
SHOPS = [("小吃店", "住宿和餐饮业"), ("便利店", "批发和零售业"), ("理发店", "居民服务、修理和其他服务业"),
         ("五金店", "批发和零售业"), ("超市", "批发和零售业"), ("餐馆", "住宿和餐饮业"),
         ("水果店", "批发和零售业"), ("服装店", "批发和零售业"), ("汽车修理部", "居民服务、修理和其他服务业"),
         ("棋牌室", "文化、体育和娱乐业"), ("面馆", "住宿和餐饮业"), ("烟酒商行", "批发和零售业"),
         ("建材经营部", "批发和零售业"), ("手机店", "批发和零售业"), ("洗衣店", "居民服务、修理和其他服务业"),
         ("早餐店", "住宿和餐饮业"), ("美容店", "居民服务、修理和其他服务业"), ("快餐店", "住宿和餐饮业")]
COOP_PRODUCTS = ["茶叶", "蔬菜", "水果", "生猪养殖", "竹笋", "山核桃", "中药材", "蜂业"]
# characters whose traditional / variant form IMEs and older systems produce besides OpenCC's
VARIANT_CHARS = {"峰": "峯", "群": "羣", "颜": "顏", "恒": "恆", "启": "啓", "卫": "衞", "为": "爲",
                 "户": "戶", "温": "溫", "强": "強", "杰": "傑", "丽": "麗", "华": "華", "国": "國"}
# migrants' home provinces (2-digit code: weight)
MIGRANT_PROVINCES = {"34": 18, "36": 10, "41": 12, "51": 9, "43": 7, "52": 8, "42": 6, "32": 4,
                     "33": 10, "53": 3, "50": 4, "45": 3, "37": 3, "61": 3, "35": 2, "13": 2}
CLERKS = ("王丽 陈静 李敏 张燕 刘洋 赵磊 周婷 吴昊 徐倩 孙杰 胡蓉 朱琳 高翔 林峰 何佳 郭颖 马超 罗丹 "
          "梁宇 宋佳 郑凯 谢婷 韩雪 唐亮 冯洁 于飞 董娟 萧然 程晨 曹阳").split()
FULLWIDTH = str.maketrans("0123456789Xx-()", "０１２３４５６７８９Ｘｘ－（）")

# --------------------------------------------------------------------------- identifiers
ID_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"          # GB 32100: no I O S V Z
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def id_check_digit(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a GB 11643 citizen ID number."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS)) % 11]


def uscc_check_char(body17: str) -> str:
    """GB 32100 check character of a unified social credit code."""
    s = sum(USCC_CHARS.index(c) * w for c, w in zip(body17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - s % 31) % 31]


def org_check_char(body8: str) -> str:
    """GB 11714 check character of an organisation code."""
    s = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, ORG_WEIGHTS))
    c = 11 - s % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def regno_check_digit(body14: str) -> str:
    """ISO 7064 MOD 11,10 check digit of a 15-digit business registration number."""
    p = 10
    for ch in body14:
        s = (p + int(ch)) % 10 or 10
        p = s * 2 % 11
    return str((11 - p) % 10)


def hangzhou_code_at(district: str, year: int, rng: random.Random) -> str:
    """Area code in force in `year` for someone first registered in today's `district`.

    Hand-written from admin_divisions/history: 2021 split 江干/下城 into 上城/拱墅/钱塘 and 余杭
    into 余杭/临平; 萧山县→萧山市(339005 1987, 330181 1990)→萧山区 2001; 余杭县→余杭市 1994
    →余杭区 2001; 富阳县→富阳市 1994→富阳区 2014; 临安县→临安市 1996→临安区 2017; 建德县→建德市 1992;
    滨江区 1996 out of 西湖区.
    """
    def xiaoshan(y):
        return "330121" if y < 1987 else "339005" if y < 1990 else "330181" if y < 2001 else "330109"

    def yuhang(y):
        return "330125" if y < 1994 else "330184" if y < 2001 else "330110"

    if district == "330102":
        return "330104" if year < 2021 and rng.random() < 0.45 else "330102"
    if district == "330105":
        return "330103" if year < 2021 and rng.random() < 0.5 else "330105"
    if district == "330108":
        return "330106" if year < 1996 else "330108"
    if district == "330109":
        return xiaoshan(year)
    if district == "330110":
        return yuhang(year)
    if district == "330113":
        return yuhang(year) if year < 2021 else "330113"
    if district == "330114":
        if year >= 2021:
            return "330114"
        return "330104" if rng.random() < 0.5 else xiaoshan(year)
    if district == "330111":
        return "330123" if year < 1994 else "330183" if year < 2014 else "330111"
    if district == "330112":
        return "330124" if year < 1996 else "330185" if year < 2017 else "330112"
    if district == "330182":
        return "330126" if year < 1992 else "330182"
    return district


# --------------------------------------------------------------------------- world model
@dataclass
class Address:
    district: str                 # current area code
    district_name: str
    street: str                   # 街道 / 镇 / 乡 name
    community: str                # 劳动路社区 / 大溪边村
    rural: bool
    road: str = ""
    number: int = 0
    compound: str = ""
    building: int = 0
    unit: int = 0
    room: int = 0
    group: int = 0                # 村民小组
    suite: str = ""               # business premises: 华星大厦1203室 / 3号商铺


@dataclass
class Person:
    pid: str
    name: str
    surname_len: int
    sex: str                      # 男 / 女
    birth: dt.date
    id18: str
    household: int
    relation: str
    address: Address
    old_address: Address | None
    migrant: bool
    hukou: str                    # 户籍地址 text
    mobile: str | None = None
    old_mobile: str | None = None
    landline: str | None = None
    employer: int | None = None   # index into enterprises
    former_name: str | None = None
    ethnic: str = "汉族"

    @property
    def age(self) -> int:
        b = self.birth
        return REF_DATE.year - b.year - ((REF_DATE.month, REF_DATE.day) < (b.month, b.day))


@dataclass
class Enterprise:
    eid: str
    name: str
    kind: str                     # company / branch / individual / partnership / coop / sole
    short: str                    # 字号
    industry: str
    category: str
    form: str                     # legal-form suffix as written in the name
    reg_year: int
    district: str
    rep: int                      # index into people
    address: Address
    uscc: str | None
    org_code: str | None          # 8+1 chars, no dash
    reg_no: str | None
    landline: str | None
    staff: int
    old_name: str | None = None


class Reference:
    """The public reference data the city is built from."""

    def __init__(self, root: Path):
        self.root = root
        rd = lambda rel: list(csv.DictReader(open(root / rel, encoding="utf-8-sig")))
        self.provinces = {r["code"]: r["name"] for r in rd("admin_divisions/provinces.csv")}
        self.areas = [r for r in rd("admin_divisions/areas.csv") if r["cityCode"] == CITY_CODE]
        self.area_name = {r["code"]: r["name"] for r in self.areas}
        self.streets = [r for r in rd("admin_divisions/streets.csv") if r["cityCode"] == CITY_CODE]
        self.street_name = {r["code"]: r["name"] for r in self.streets}
        self.villages = [r for r in rd("admin_divisions/villages.csv") if r["cityCode"] == CITY_CODE]
        # streets of other cities, for migrants' hukou addresses
        self.streets_by_area: dict[str, list[str]] = {}
        for r in rd("admin_divisions/streets.csv"):
            if r["provinceCode"] in MIGRANT_PROVINCES:
                self.streets_by_area.setdefault(r["areaCode"], []).append(r["name"])
        history = rd("admin_divisions/history/county_codes_1980_2025.csv")
        self.history_by_code = {r["代码"]: r for r in history}
        self.history = [r for r in history
                        if r["级别"] == "县级" and r["名称"] not in ("市辖区", "郊区")
                        and r["代码"][:2] in MIGRANT_PROVINCES and r["代码"][:4] != CITY_CODE]
        sn = rd("names/surname_freq.csv")
        self.surnames = [r["surname"] for r in sn]
        w = np.array([float(r["tf"]) for r in sn])
        self.surname_p = w / w.sum()
        gc = rd("names/given_char_freq_by_gender.csv")
        self.given_chars = [r["char"] for r in gc]
        m = np.array([float(r["male"]) for r in gc])
        f = np.array([float(r["female"]) for r in gc])
        self.given_p = {"男": m / m.sum(), "女": f / f.sum()}
        self.same_pinyin: dict[str, tuple[str, str]] = {}
        for line in open(root / "confusion/same_pinyin.txt", encoding="utf-8"):
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and len(parts[0]) == 1:
                self.same_pinyin[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
        self.same_stroke: dict[str, list[str]] = {}
        for line in open(root / "confusion/same_stroke.txt", encoding="utf-8"):
            group = [c for c in line.strip().split("\t") if len(c) == 1]
            for c in group:
                self.same_stroke.setdefault(c, []).extend(x for x in group if x != c)
        cjk = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
        lines = open(root / "company/company_short_names.txt", encoding="utf-8-sig").read().splitlines()[2:]
        self.short_names = [s.strip() for s in lines if cjk.match(s.strip())]

    def code_in_year(self, code: str, year: int) -> str:
        """Follow a retired county code to its successor until it is the one in force in `year`."""
        for _ in range(6):
            r = self.history_by_code.get(code)
            if not r or not r["变更/弃用时间"] or year < int(r["变更/弃用时间"]) or not r["新代码"]:
                return code
            tokens = [t for t in r["新代码"].split(";") if t]
            plain = [t for t in tokens if "[" not in t]
            code = (plain or tokens)[0][:6]
        return code


def community_name(raw: str) -> tuple[str, bool]:
    """'劳动路社区居委会' -> ('劳动路社区', False); '大溪边村委会' -> ('大溪边村', True)."""
    for suffix, kind in (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", "社区"),
                         ("居委会", "社区"), ("村民委员会", "村"), ("村委会", "村")):
        if raw.endswith(suffix):
            base = raw[: -len(suffix)]
            if kind == "村":
                return (base if base.endswith("村") else base + "村"), True
            return (base if base.endswith("社区") else base + "社区"), False
    return raw, False


def stem(name: str) -> str:
    for suffix in ("街道", "社区", "镇", "乡", "区", "县", "市", "村"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


# --------------------------------------------------------------------------- the city
class City:
    def __init__(self, ref: Reference, n_people: int, seed: int):
        self.ref = ref
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self._build_places()
        self.people: list[Person] = []
        self.households: list[list[int]] = []
        self._build_people(n_people)
        self.enterprises: list[Enterprise] = []
        self._build_enterprises(max(60, n_people // 12))
        self._assign_employers()

    # ---- places
    def _build_places(self):
        rng = self.rng
        self.communities = []      # (district, street code, community name, rural, roads)
        roads_by_street: dict[str, list[str]] = {}
        for s in self.ref.streets:
            st = stem(s["name"])
            roads = [st + rng.choice(ROAD_SUFFIXES)] if len(st) <= 3 else []
            roads += [rng.choice(ROAD_STEMS) + rng.choice(ROAD_SUFFIXES) for _ in range(4)]
            roads_by_street[s["code"]] = roads
        weights = []
        for v in self.ref.villages:
            name, rural = community_name(v["name"])
            roads = list(roads_by_street.get(v["streetCode"], ["人民路"]))
            m = re.match(r"^(.+?(路|街|巷|弄))", name)
            if m and not rural:
                roads = [m.group(1)] * 3 + roads
            self.communities.append((v["areaCode"], v["streetCode"], name, rural, roads))
            weights.append(1.0 if rural else 3.0)
        self.communities_by_district: dict[str, list[int]] = {}
        for i, c in enumerate(self.communities):
            self.communities_by_district.setdefault(c[0], []).append(i)
        w = np.array(weights)
        self.community_p = w / w.sum()
        self.compounds: dict[int, list[str]] = {}

    def new_address(self, community_idx: int | None = None, district: str | None = None) -> Address:
        rng = self.rng
        if community_idx is None:
            if district:
                community_idx = rng.choice(self.communities_by_district[district])
            else:
                community_idx = int(self.np.choice(len(self.communities), p=self.community_p))
        d, st, name, rural, roads = self.communities[community_idx]
        a = Address(d, self.ref.area_name[d], self.ref.street_name[st], name, rural)
        if rural:
            a.group = rng.randint(1, 12)
            a.number = rng.randint(1, 220)
        else:
            a.road = rng.choice(roads)
            a.number = rng.randint(1, 600)
            if rng.random() < 0.8:
                pool = self.compounds.setdefault(community_idx, [])
                if not pool or (len(pool) < 4 and rng.random() < 0.3):
                    pool.append(rng.choice(COMPOUND_STEMS) + rng.choice(COMPOUND_SUFFIXES)
                                + (rng.choice(["一区", "二区", "东区", "西区"]) if rng.random() < 0.15 else ""))
                a.compound = rng.choice(pool)
                a.number = zlib.crc32(a.compound.encode()) % 500 + 1       # a compound sits at one road number
            a.building = rng.randint(1, 30)
            a.unit = rng.randint(1, 4)
            a.room = rng.randint(1, 28) * 100 + rng.randint(1, 4)
        return a

    # ---- phones and IDs
    def new_mobile(self) -> str:
        while True:
            p = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def new_landline(self) -> str:
        while True:
            p = f"{CITY_AREA_PHONE}-{self.rng.choice('856')}{self.rng.randrange(10**7):07d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def new_id(self, area: str, birth: dt.date, sex: str) -> str:
        rng = self.rng
        while True:
            seq = rng.randrange(0, 100) * 10 + rng.choice([1, 3, 5, 7, 9] if sex == "男" else [0, 2, 4, 6, 8])
            body = f"{area}{birth:%Y%m%d}{seq:03d}"
            idn = body + id_check_digit(body)
            if idn not in self.used_ids:
                self.used_ids.add(idn)
                return idn

    def migrant_origin(self, issue_year: int) -> tuple[str, str]:
        """(area code valid in issue_year, hukou address text) in a migrant's home province."""
        rng = self.rng
        provs = list(MIGRANT_PROVINCES)
        cands = []
        while not cands:                  # 重庆 (50) has codes only from 1997: draw again
            prov = rng.choices(provs, weights=[MIGRANT_PROVINCES[p] for p in provs])[0]
            cands = [r for r in self.ref.history if r["代码"][:2] == prov
                     and int(r["启用时间"] or 1981) <= issue_year
                     and (not r["变更/弃用时间"] or issue_year < int(r["变更/弃用时间"]))]
        r = rng.choice(cands)
        city = "" if r["二级行政区"] in ("直辖", "") else r["二级行政区"]
        towns = self.ref.streets_by_area.get(r["代码"]) or [rng.choice(ROAD_STEMS) + "镇"]
        hukou = (f"{self.ref.provinces.get(prov, r['一级行政区'])}{city}{r['名称']}"
                 f"{rng.choice(towns)}{rng.choice(COMPOUND_STEMS)}村{rng.randint(1, 150)}号")
        return r["代码"], hukou

    # ---- people
    def given_name(self, sex: str, born: int) -> str:
        n = 1 if self.rng.random() < (0.35 if born < 1975 else 0.15) else 2
        idx = self.np.choice(len(self.ref.given_chars), size=n, p=self.ref.given_p[sex])
        return "".join(self.ref.given_chars[i] for i in idx)

    def surname(self) -> str:
        return self.ref.surnames[int(self.np.choice(len(self.ref.surnames), p=self.ref.surname_p))]

    def birth_for_age(self, age: int) -> dt.date:
        start = dt.date(REF_DATE.year - age - 1, REF_DATE.month, 1) + dt.timedelta(days=1)
        return start + dt.timedelta(days=self.rng.randrange(364))

    def add_person(self, hh: int, relation: str, sex: str, age: int, surname: str, address: Address,
                   old_address: Address | None, migrant: bool, origin: tuple[str, str] | None,
                   birth: dt.date | None = None, given: str | None = None) -> Person:
        rng = self.rng
        birth = birth or self.birth_for_age(age)
        issue_year = max(birth.year, 1984 + rng.randint(0, 6))
        if migrant:
            area, hukou = origin if origin and rng.random() < 0.9 else self.migrant_origin(issue_year)
            area = self.ref.code_in_year(area, issue_year)
            if birth.year >= 2010 and rng.random() < 0.3:            # born in Hangzhou
                area = hangzhou_code_at(address.district, issue_year, rng)
        else:
            home = address.district if rng.random() < 0.75 else rng.choice(self.ref.areas)["code"]
            area = hangzhou_code_at(home, issue_year, rng)
            hukou = ""
        given = given or self.given_name(sex, birth.year)
        p = Person(pid=f"P{len(self.people) + 1:06d}", name=surname + given, surname_len=len(surname),
                   sex=sex, birth=birth, id18=self.new_id(area, birth, sex), household=hh,
                   relation=relation, address=address, old_address=old_address, migrant=migrant,
                   hukou=hukou, ethnic=rng.choice(ETHNIC))
        a = p.age
        if a >= 14 and rng.random() < (0.5 if a >= 72 else 0.93):
            p.mobile = self.new_mobile()
            if rng.random() < 0.15:
                p.old_mobile = self.new_mobile()
        if a >= 20 and rng.random() < 0.006:
            p.former_name = p.name
            p.name = surname + self.given_name(sex, birth.year)
        self.people.append(p)
        return p

    def _build_people(self, n: int):
        rng = self.rng
        rentals: list[Address] = []
        while len(self.people) < n:
            hh = len(self.households)
            kind = rng.choices(["native", "migrant_family", "migrant_single", "elderly"], [50, 20, 15, 15])[0]
            migrant = kind.startswith("migrant")
            if kind == "migrant_single" and rentals and rng.random() < 0.5:
                address = rng.choice(rentals)                    # a shared rental
            else:
                address = self.new_address()
            old = self.new_address() if rng.random() < 0.10 else None
            if kind == "migrant_single":
                rentals.append(address)
            origin = None
            members: list[int] = []

            def add(relation, sex, age, surname, **kw):
                p = self.add_person(hh, relation, sex, age, surname, address, old, migrant, origin, **kw)
                members.append(len(self.people) - 1)
                return p

            if kind == "elderly":
                age = rng.randint(60, 92)
                s1 = self.surname()
                head = add("head", rng.choice("男女"), age, s1)
                if rng.random() < 0.6:
                    add("spouse", "女" if head.sex == "男" else "男", max(55, age + rng.randint(-5, 5)), self.surname())
                if rng.random() < 0.4:
                    head.landline = self.new_landline()
            elif kind == "migrant_single":
                add("head", rng.choices("男女", [60, 40])[0], rng.randint(18, 45), self.surname())
            else:
                if migrant:
                    origin = self.migrant_origin(1995)
                age = rng.randint(24, 58) if migrant else rng.randint(25, 62)
                sex = rng.choices("男女", [80, 20])[0]
                s_head = self.surname()
                head = add("head", sex, age, s_head)
                spouse = None
                if age > 24 and rng.random() < 0.85:
                    spouse = add("spouse", "女" if sex == "男" else "男",
                                 min(80, max(20, age + rng.randint(-6, 4))), self.surname())
                father_surname = s_head if sex == "男" else (spouse.name[: spouse.surname_len] if spouse else s_head)
                mother_age = age if sex == "女" else (spouse.age if spouse else age)
                n_kids = rng.choices([0, 1, 2, 3], [20, 45, 30, 5])[0] if mother_age < 60 else rng.choice([0, 1])
                for _ in range(n_kids):
                    kage = mother_age - rng.randint(21, 38)
                    if kage < 0:
                        continue
                    ksex = rng.choice("男女")
                    ks = father_surname if rng.random() < 0.9 else self.surname()
                    kid = add("son" if ksex == "男" else "daughter", ksex, kage, ks)
                    if rng.random() < 0.02:                   # twins: same birthday, similar names
                        g = kid.name[kid.surname_len:]
                        g2 = g[0] + self.given_name(ksex, kid.birth.year)[-1] if len(g) == 2 else self.given_name(ksex, kid.birth.year)
                        add("son" if ksex == "男" else "daughter", ksex, kage, ks, birth=kid.birth, given=g2)
                if not migrant and rng.random() < 0.2:
                    add("father" if rng.random() < 0.4 else "mother", rng.choice("男女"), min(95, age + rng.randint(24, 34)), self.surname())
                if not migrant and rng.random() < 0.3:
                    head.landline = self.new_landline()
            for i in members:
                self.people[i].landline = self.people[members[0]].landline
            self.households.append(members)

    # ---- enterprises
    def _new_org_code(self, year: int) -> str:
        rng = self.rng
        if year >= 2015:
            body = "MA" + "".join(rng.choice(USCC_CHARS) for _ in range(6))
        else:
            body = rng.choice("0567") + f"{rng.randrange(10**7):07d}"
        return body + org_check_char(body)

    def _build_enterprises(self, n: int):
        rng = self.rng
        adults = [i for i, p in enumerate(self.people) if 25 <= p.age <= 70]
        reps_used: list[int] = []
        shorts = rng.sample(self.ref.short_names, min(len(self.ref.short_names), n * 2))
        districts = [a["code"] for a in self.ref.areas]
        dweights = [sum(1 for c in self.communities if c[0] == d and not c[3]) + 5 for d in districts]
        for k in range(n):
            eid = f"E{k + 1:05d}"
            kind = rng.choices(["company", "branch", "individual", "partnership", "coop", "sole"],
                               [62, 4, 24, 3, 3, 4])[0]
            if kind == "branch" and not any(e.kind == "company" for e in self.enterprises):
                kind = "company"
            district = rng.choices(districts, dweights)[0]
            dname = self.ref.area_name[district]
            reg_year = min(2024, int(1996 + 28 * rng.random() ** 0.7))
            ind, cat, _ = rng.choices(INDUSTRIES, [w for _, _, w in INDUSTRIES])[0]
            short = shorts[k]
            rep = rng.choice(reps_used) if reps_used and rng.random() < 0.07 else rng.choice(adults)
            reps_used.append(rep)
            if kind == "company":
                form = rng.choices(["有限公司", "有限责任公司", "股份有限公司"], [78, 17, 5])[0]
                # a group sister company: same 字号 and legal representative, other industry
                sister = [e for e in self.enterprises[-50:] if e.kind == "company"]
                if sister and rng.random() < 0.03:
                    s = rng.choice(sister)
                    short, rep = s.short, s.rep
                    ind, cat, _ = rng.choice([x for x in INDUSTRIES if x[0] != s.industry])
                pre = rng.choices(["杭州", "浙江", "杭州市", f"杭州{stem(dname)}", "PAREN"], [55, 20, 5, 10, 10])[0]
                name = f"{short}（杭州）{ind}{form}" if pre == "PAREN" else f"{pre}{short}{ind}{form}"
            elif kind == "branch":
                parent = rng.choice([e for e in self.enterprises if e.kind == "company"])
                short, ind, cat, form = parent.short, parent.industry, parent.category, "分公司"
                name = parent.name + rng.choice([f"{stem(dname)}分公司", f"{dname}分公司", "第一分公司", "第二分公司"])
            elif kind == "individual":
                shop, cat = rng.choice(SHOPS)
                ind, form = shop, "个体工商户"
                rp = self.people[rep]
                if rng.random() < 0.3:
                    sur = rp.name[: rp.surname_len]
                    short = rng.choice([sur + "记", "老" + sur, "阿" + rp.name[-1], sur + "氏"])
                name = f"杭州市{dname}{short}{shop}" if rng.random() < 0.8 else f"{dname}{short}{shop}"
            elif kind == "partnership":
                ind = rng.choice(["投资管理", "企业管理咨询", "股权投资"])
                cat, form = "租赁和商务服务业", "合伙企业（有限合伙）"
                name = f"杭州{short}{ind}{form}"
            elif kind == "coop":
                ind, cat, form = rng.choice(COOP_PRODUCTS), "农、林、牧、渔业", "专业合作社"
                name = f"{dname}{short}{ind}{form}"
            else:
                ind, form = rng.choice(["商行", "经营部", "服务部"]), "个人独资企业"
                name = f"杭州{stem(dname)}{short}{ind}"
            # identifiers
            issue = max(reg_year, 2015 + rng.randint(0, 2))
            area = hangzhou_code_at(district, issue, rng)
            has_uscc = rng.random() < (0.80 if kind == "individual" else 0.93)
            org = self._new_org_code(reg_year) if kind not in ("individual",) else None
            reg_no = None
            if reg_year < 2015 or not has_uscc:
                b = hangzhou_code_at(district, reg_year, rng) + ("6" if kind == "individual" else "0") + f"{rng.randrange(10**7):07d}"
                reg_no = b + regno_check_digit(b)
            uscc = None
            if has_uscc:
                body_org = org or self._new_org_code(2016)
                code_type = {"individual": "92", "coop": "93"}.get(kind, "91")
                body = code_type + area + body_org
                uscc = body + uscc_check_char(body)
            if kind in ("individual", "coop") or rng.random() < 0.3:
                addr = self.new_address(district=district)
                addr.building = addr.unit = addr.room = 0
                addr.compound = ""
                if not addr.rural:
                    addr.suite = rng.choice(["", "", f"{rng.randint(1, 12)}号商铺", "一楼", f"{rng.randint(1, 30)}号"])
            else:
                addr = self.new_address(district=district)
                addr.compound, addr.unit = "", 0
                if not addr.rural:
                    addr.suite = (rng.choice(COMPOUND_STEMS) + rng.choice(OFFICE_BUILDINGS)
                                  + rng.choice(["", "", "A座", "B座", "1幢"]) + f"{rng.randint(2, 28)}{rng.randint(1, 20):02d}室")
                    addr.building = addr.room = 0
                else:
                    addr.building = addr.room = 0
            staff = rng.randint(1, 6) if kind in ("individual", "sole") else max(1, int(rng.lognormvariate(2.3, 1.2)))
            e = Enterprise(eid, name, kind, short, ind, cat, form, reg_year, district, rep, addr, uscc,
                           org, reg_no, self.new_landline() if rng.random() < 0.55 else None, staff)
            if kind == "company" and rng.random() < 0.02:          # renamed: old name still around
                e.old_name = name.replace(short, rng.choice(self.ref.short_names), 1)
            self.enterprises.append(e)

    def _assign_employers(self):
        rng = self.rng
        weights = np.array([e.staff for e in self.enterprises], dtype=float) ** 0.8
        p = weights / weights.sum()
        for i, e in enumerate(self.enterprises):          # owners work in their own business
            if e.kind in ("individual", "sole") and self.people[e.rep].employer is None:
                self.people[e.rep].employer = i
        for person in self.people:
            if person.employer is None and 18 <= person.age <= 62 and rng.random() < 0.66:
                person.employer = int(self.np.choice(len(self.enterprises), p=p))


# --------------------------------------------------------------------------- rendering with errors
class Renderer:
    """Writes values the way one department keys them, drawing errors from that system's rates."""

    def __init__(self, ref: Reference, rng: random.Random, rates: dict):
        self.ref, self.rng, self.r = ref, rng, rates
        self.cc = [OpenCC(c) for c in ("s2t", "s2tw", "s2hk")] if OpenCC else []

    def hit(self, key: str) -> bool:
        return self.rng.random() < self.r.get(key, 0.0)

    # ---- names
    def _swap_char(self, s: str, surname_len: int, table: str) -> str | None:
        rng = self.rng
        pos = list(range(surname_len, len(s))) if rng.random() < 0.85 else list(range(surname_len))
        rng.shuffle(pos)
        for i in pos:
            if table == "pinyin" and s[i] in self.ref.same_pinyin:
                same, other = self.ref.same_pinyin[s[i]]
                pool = same if (same and (rng.random() < 0.75 or not other)) else other
                if pool:
                    return s[:i] + rng.choice(pool) + s[i + 1:]
            if table == "stroke" and self.ref.same_stroke.get(s[i]):
                return s[:i] + rng.choice(self.ref.same_stroke[s[i]]) + s[i + 1:]
        return None

    def traditional(self, s: str) -> str:
        t = self.rng.choice(self.cc).convert(s) if self.cc else s
        if t == s:
            t = "".join(VARIANT_CHARS.get(c, c) for c in s)
        return t

    def person_name(self, p: Person, tags: list[str], use_former: bool = False) -> str:
        rng = self.rng
        name, sl = p.name, p.surname_len
        if p.former_name and (use_former or self.hit("name_former")):
            name = p.former_name
            tags.append("name_former")
        if self.hit("name_homophone"):
            n2 = self._swap_char(name, sl, "pinyin")
            if n2:
                name = n2
                tags.append("name_homophone")
        if self.hit("name_shape"):
            n2 = self._swap_char(name, sl, "stroke")
            if n2:
                name = n2
                tags.append("name_shape")
        if self.hit("name_drop") and len(name) - sl >= 2:
            i = rng.randrange(sl, len(name))
            name = name[:i] + name[i + 1:]
            tags.append("name_drop")
        if self.hit("name_extra"):
            name = name + name[-1] if rng.random() < 0.5 else name[:sl] + rng.choice("小阿") + name[sl:] if rng.random() < 0.3 else name + rng.choice(self.ref.given_chars[:300])
            tags.append("name_extra")
        if self.hit("name_trad"):
            t = self.traditional(name)
            if t != name:
                name = t
                tags.append("name_trad")
        if self.hit("name_space"):
            name = rng.choice([name[:sl] + " " + name[sl:], name + " ", " " + name, name[:sl] + "　" + name[sl:]])
            tags.append("name_space")
        return name

    # ---- ID numbers
    def id_number(self, p: Person, tags: list[str], relative: Person | None = None) -> str | int:
        rng = self.rng
        if self.hit("id_blank"):
            tags.append("id_blank")
            return ""
        if self.hit("id_placeholder"):
            tags.append("id_placeholder")
            return rng.choice(PLACEHOLDERS)
        idn = p.id18
        if relative is not None and self.hit("id_relative"):
            idn = relative.id18
            tags.append("id_relative")
        if p.birth.year < 2000 and self.hit("id_15"):
            idn = idn[:6] + idn[8:17]
            tags.append("id_15")
        if self.hit("id_typo"):
            chars = list(idn)
            if rng.random() < 0.6:
                i = rng.randrange(len(chars))
                chars[i] = rng.choice([d for d in "0123456789" if d != chars[i]])
                tags.append("id_typo_digit")
            else:
                cands = [i for i in range(len(chars) - 1) if chars[i] != chars[i + 1]]
                if cands:
                    i = rng.choice(cands)
                    chars[i], chars[i + 1] = chars[i + 1], chars[i]
                    tags.append("id_typo_swap")
            idn = "".join(chars)
        if self.hit("id_as_number") and idn.isdigit() and len(idn) == 18:
            tags.append("id_as_number")               # Excel kept 15 significant digits
            return int(idn[:15] + "000")
        if idn.endswith("X") and self.hit("id_lower_x"):
            idn = idn[:-1] + "x"
            tags.append("id_lower_x")
        if self.hit("id_sep"):
            sep = rng.choice([" ", "-", " "])
            idn = (f"{idn[:6]}{sep}{idn[6:14]}{sep}{idn[14:]}" if len(idn) == 18 else f"{idn[:6]}{sep}{idn[6:]}")
            tags.append("id_sep")
        if self.hit("id_fullwidth"):
            idn = idn.translate(FULLWIDTH)
            tags.append("id_fullwidth")
        if self.hit("id_text_marker"):
            idn = rng.choice(["\t" + idn, "'" + idn, idn + "\t"])
            tags.append("id_text_marker")
        return idn

    # ---- phones
    def phone(self, number: str | None, tags: list[str]) -> str:
        rng = self.rng
        if not number:
            return ""
        if self.hit("phone_blank"):
            tags.append("phone_blank")
            return ""
        if self.hit("phone_placeholder"):
            tags.append("phone_placeholder")
            return rng.choice(PLACEHOLDERS)
        s = number
        if self.hit("phone_typo"):
            digits = [i for i, c in enumerate(s) if c.isdigit()][3:]
            i = rng.choice(digits)
            s = s[:i] + rng.choice([d for d in "0123456789" if d != s[i]]) + s[i + 1:]
            tags.append("phone_typo")
        if s.startswith("0571-"):            # landline
            form = rng.choices(["full", "plain", "local", "paren"], [3, 2, self.r.get("landline_local", 1), 1])[0]
            s = {"full": s, "plain": s.replace("-", ""), "local": s[5:], "paren": f"(0571){s[5:]}"}[form]
            if form != "full":
                tags.append("phone_landline_" + form)
        else:
            if self.hit("phone_plus86"):
                s = rng.choice(["+86", "+86 ", "86-", "0086"]) + s
                tags.append("phone_plus86")
            elif self.hit("phone_zero"):
                s = "0" + s
                tags.append("phone_zero")
            if self.hit("phone_sep"):
                t = s[-11:]
                sep = rng.choice(["-", " "])
                s = s[:-11] + f"{t[:3]}{sep}{t[3:7]}{sep}{t[7:]}"
                tags.append("phone_sep")
        if self.hit("phone_fullwidth"):
            s = s.translate(FULLWIDTH)
            tags.append("phone_fullwidth")
        return s

    def person_phone(self, p: Person, tags: list[str]) -> str:
        number = p.mobile
        if p.old_mobile and self.hit("phone_old"):
            number = p.old_mobile
            tags.append("phone_old")
        if not number or self.hit("phone_landline_instead"):
            if p.landline:
                number = p.landline
                tags.append("phone_landline")
        return self.phone(number, tags)

    # ---- dates
    def date(self, d: dt.date | None, tags: list[str], formats: dict[str, float]):
        rng = self.rng
        if d is None:
            return ""
        if self.hit("date_blank"):
            tags.append("date_blank")
            return ""
        if self.hit("date_placeholder"):
            tags.append("date_placeholder")
            return rng.choice(["不详", "/", "0"])
        if self.hit("date_typo"):
            if d.day <= 12 and d.day != d.month:
                d = dt.date(d.year, d.day, d.month)
                tags.append("date_swap_dm")
            else:
                d = d + dt.timedelta(days=rng.choice([-1, 1, 10, -10]))
                tags.append("date_typo")
        f = rng.choices(list(formats), list(formats.values()))[0]
        if f != "iso":
            tags.append("date_" + f)
        if f == "iso":
            return f"{d:%Y-%m-%d}"
        if f == "slash":
            return f"{d.year}/{d.month}/{d.day}"
        if f == "compact":
            return f"{d:%Y%m%d}"
        if f == "cn":
            return f"{d.year}年{d.month}月{d.day}日"
        if f == "dot":
            return f"{d.year}.{d.month}.{d.day}"
        if f == "month":
            return f"{d.year}.{d.month:02d}"
        if f == "cn_month":
            return f"{d.year}年{d.month}月"
        if f == "iso_time":
            return f"{d:%Y-%m-%d} 00:00:00"
        if f == "excel_serial":                       # a bare number in a General-format cell
            return (d - dt.date(1899, 12, 30)).days
        if f == "excel_date":                         # a real date cell
            return XDate(d, rng.choice(["yyyy-mm-dd", "yyyy/m/d", 'yyyy"年"m"月"d"日"']))
        raise ValueError(f)

    # ---- addresses
    def address_text(self, a: Address, tags: list[str], prof: dict) -> str:
        """prof: probabilities of each upper level and weights of dwelling styles."""
        rng = self.rng
        parts = []
        with_city = rng.random() < prof.get("city", 0.5)
        if with_city and rng.random() < prof.get("province", 0.3):
            parts.append(PROVINCE_NAME)
        if with_city:
            parts.append(CITY_NAME)
        else:
            tags.append("addr_no_city")
        if rng.random() < prof.get("district", 0.8):
            parts.append(a.district_name)
        else:
            tags.append("addr_no_district")
        if rng.random() < (prof.get("street", 0.4) if not a.rural else 0.9):
            parts.append(a.street)
        if a.rural:
            parts.append(a.community)
            parts.append(f"{a.group}组{a.number}号" if rng.random() < 0.6 and a.group else f"{a.number}号")
        else:
            if rng.random() < prof.get("community", 0.15):
                parts.append(a.community)
            if a.suite or not a.building:           # business premises
                parts.append(f"{a.road}{a.number}号{a.suite}")
            else:
                style = rng.choices(["full", "louhao", "dash", "nounit", "cn"],
                                    [prof.get(k, 1) for k in ("s_full", "s_louhao", "s_dash", "s_nounit", "s_cn")])[0]
                b, u, r = a.building, a.unit, a.room
                bldg = {"full": f"{b}幢{u}单元{r}室", "louhao": f"{b}号楼{u}单元{r}", "dash": f"{b}-{u}-{r}",
                        "nounit": f"{b}幢{r}室",
                        "cn": f"{cn_number(b)}幢{cn_number(u)}单元{r}室"}[style]
                if style != "full":
                    tags.append("addr_" + style)
                where = rng.choices(["both", "compound", "road"], [prof.get("w_both", 1), 3, 2])[0] if a.compound else "road"
                if where == "both":
                    parts.append(f"{a.road}{a.number}号{a.compound}{bldg}")
                elif where == "compound":
                    parts.append(f"{a.compound}{bldg}")
                else:
                    parts.append(f"{a.road}{a.number}号{bldg}")
        s = "".join(parts)
        if self.hit("addr_fullwidth"):
            s = s.translate(FULLWIDTH)
            tags.append("addr_fullwidth")
        if self.hit("addr_space"):
            s = s.replace(a.district_name, a.district_name + " ", 1)
            tags.append("addr_space")
        return s

    def person_address(self, p: Person, tags: list[str], prof: dict) -> str:
        if self.hit("addr_blank"):
            tags.append("addr_blank")
            return ""
        a = p.address
        if p.old_address and self.hit("addr_stale"):
            a = p.old_address
            tags.append("addr_stale")
        return self.address_text(a, tags, prof)

    # ---- enterprises
    def enterprise_name(self, e: Enterprise, tags: list[str]) -> str:
        rng = self.rng
        name = e.name
        if e.old_name and self.hit("ename_old"):
            name = e.old_name
            tags.append("ename_old")
        if self.hit("ename_drop_prefix"):
            n2 = re.sub(r"^(杭州市|杭州|浙江省|浙江)(?=.{4})", "", name)
            if e.kind == "individual":
                n2 = re.sub(r"^(杭州市)?" + re.escape(self.ref.area_name[e.district]), "", name)
            if n2 != name:
                name = n2
                tags.append("ename_drop_prefix")
        if e.kind == "company" and self.hit("ename_swap_form"):
            name = name.replace("有限责任公司", "有限公司") if "有限责任公司" in name else name.replace("有限公司", "有限责任公司")
            tags.append("ename_swap_form")
        if self.hit("ename_drop_form") and e.kind in ("company", "partnership"):
            name = re.sub(r"(股份)?(有限责任公司|有限公司|合伙企业（有限合伙）)$", "", name)
            tags.append("ename_drop_form")
        if self.hit("ename_homophone"):
            i = name.find(e.short)
            if i >= 0:
                n2 = self._swap_char(e.short, 0, "pinyin")
                if n2:
                    name = name[:i] + n2 + name[i + len(e.short):]
                    tags.append("ename_homophone")
        if "（" in name and self.hit("ename_halfwidth_paren"):
            name = name.replace("（", "(").replace("）", ")")
            tags.append("ename_halfwidth_paren")
        if self.hit("ename_trad"):
            t = self.traditional(name)
            if t != name:
                name = t
                tags.append("ename_trad")
        if self.hit("ename_space"):
            name = rng.choice([name + " ", " " + name, name.replace(e.short, e.short + " ", 1)])
            tags.append("ename_space")
        return name

    def employer_name(self, e: Enterprise | None, tags: list[str]) -> str:
        """An employer as a person system writes it: often abbreviated."""
        rng = self.rng
        if e is None:
            return rng.choice(["", "", "", "无", "自由职业", "灵活就业", "/"]) if self.hit("emp_none_text") else ""
        if self.hit("emp_blank"):
            tags.append("emp_blank")
            return ""
        name = e.name
        if self.hit("emp_short"):
            if e.kind == "individual":
                name = e.short + e.industry
            else:
                name = e.short + rng.choice([e.industry, "", "公司"])
            tags.append("emp_short")
        elif self.hit("emp_drop_prefix"):
            name = re.sub(r"^(杭州市|杭州|浙江省|浙江)", "", name)
            tags.append("emp_drop_prefix")
        if self.hit("emp_homophone"):
            n2 = self._swap_char(e.short, 0, "pinyin")
            if n2:
                name = name.replace(e.short, n2, 1)
                tags.append("emp_homophone")
        return name

    def credit_code(self, e: Enterprise, tags: list[str], allow_old: bool) -> str:
        rng = self.rng
        if self.hit("code_blank"):
            tags.append("code_blank")
            return ""
        if self.hit("code_placeholder"):
            tags.append("code_placeholder")
            return rng.choice(PLACEHOLDERS)
        if e.uscc and not (allow_old and (e.org_code or e.reg_no) and self.hit("code_old")):
            code = e.uscc
        else:
            if e.org_code and (not e.reg_no or rng.random() < 0.6):
                code = f"{e.org_code[:8]}-{e.org_code[8]}"
                tags.append("code_org")
            elif e.reg_no:
                code = e.reg_no
                tags.append("code_regno")
            else:
                tags.append("code_blank")
                return ""
        if self.hit("code_typo"):
            chars = list(code)
            i = rng.randrange(len(chars))
            if chars[i] != "-":
                chars[i] = rng.choice([c for c in "0123456789" if c != chars[i]])
                tags.append("code_typo")
            code = "".join(chars)
        if self.hit("code_lower"):
            code = code.lower()
            tags.append("code_lower")
        if self.hit("code_o_for_0") and "0" in code:
            code = code.replace("0", "O", 1)
            tags.append("code_o_for_0")
        if self.hit("code_space"):
            code = rng.choice([" " + code, code + " ", code[:8] + " " + code[8:]])
            tags.append("code_space")
        return code


class XDate:
    """A date to be written as a real Excel date cell with a number format."""

    def __init__(self, d: dt.date, fmt: str):
        self.d, self.fmt = d, fmt


def cn_number(n: int) -> str:
    if n <= 10:
        return CN_NUM[n]
    if n < 20:
        return "十" + (CN_NUM[n % 10] if n % 10 else "")
    return CN_NUM[n // 10] + "十" + (CN_NUM[n % 10] if n % 10 else "")


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


# --------------------------------------------------------------------------- the systems
# Each system: file, entity type, error rates (used by Renderer), duplicate rate.
SYSTEMS = {
    "residence": dict(
        file="居住登记_流动人口.csv", dup=0.03,
        rates=dict(name_homophone=0.015, name_shape=0.005, name_drop=0.003, name_extra=0.003,
                   name_trad=0.005, name_space=0.01, name_former=0.1,
                   id_blank=0.02, id_placeholder=0.005, id_typo=0.015, id_15=0.01, id_lower_x=0.3,
                   id_sep=0.01, id_fullwidth=0.01, id_text_marker=0.02,
                   phone_blank=0.08, phone_plus86=0.03, phone_zero=0.01, phone_sep=0.03, phone_old=0.3,
                   phone_typo=0.005, phone_fullwidth=0.005,
                   date_blank=0.02, date_typo=0.005,
                   addr_stale=0.3, addr_blank=0.01, addr_fullwidth=0.01,
                   emp_blank=0.2, emp_short=0.2, emp_drop_prefix=0.1, emp_homophone=0.01, emp_none_text=0.5)),
    "police": dict(
        file="公安自主申报.csv", dup=0.02,
        rates=dict(name_homophone=0.01, name_trad=0.01, name_space=0.005, name_former=0.2,
                   id_blank=0.01, id_typo=0.01, id_lower_x=0.5, id_sep=0.02, id_text_marker=0.05,
                   id_15=0.003,
                   phone_blank=0.03, phone_plus86=0.05, phone_old=0.1, phone_typo=0.003,
                   addr_stale=0.1, addr_blank=0.005,
                   emp_blank=0.1, emp_short=0.3, emp_drop_prefix=0.2, emp_homophone=0.02, emp_none_text=0.8)),
    "family": dict(
        file="计生家庭成员.tsv", dup=0.01,
        rates=dict(name_homophone=0.02, name_shape=0.005, name_drop=0.005, name_trad=0.003, name_former=0.4,
                   id_blank=0.25, id_placeholder=0.03, id_typo=0.02, id_15=0.02, id_relative=0.005,
                   id_lower_x=0.2, id_fullwidth=0.01,
                   phone_blank=0.1, phone_placeholder=0.02, phone_sep=0.05, phone_old=0.4, phone_zero=0.02,
                   date_blank=0.03, date_placeholder=0.01, date_typo=0.01,
                   addr_stale=0.45, addr_blank=0.02, addr_space=0.02)),
    "labour": dict(
        file="劳动保障登记.xlsx", dup=0.04,
        rates=dict(name_homophone=0.025, name_shape=0.01, name_drop=0.005, name_trad=0.005, name_space=0.01,
                   name_former=0.2,
                   id_blank=0.05, id_typo=0.065, id_as_number=0.005, id_fullwidth=0.02, id_sep=0.02,
                   id_lower_x=0.4,
                   emp_blank=0.03, emp_short=0.15, emp_drop_prefix=0.15, emp_homophone=0.02, emp_none_text=1.0)),
    "grid": dict(
        file="网格走访.xlsx", dup=0.05,
        rates=dict(name_homophone=0.03, name_shape=0.01, name_drop=0.01, name_extra=0.005, name_trad=0.01,
                   name_space=0.01, name_former=0.3,
                   phone_blank=0.1, phone_placeholder=0.03, phone_plus86=0.02, phone_zero=0.03,
                   phone_sep=0.05, phone_old=0.25, phone_landline_instead=0.15, phone_typo=0.01,
                   phone_fullwidth=0.01, landline_local=3,
                   date_blank=0.4, date_typo=0.01,
                   addr_stale=0.2, addr_blank=0.02, addr_fullwidth=0.03)),
    "safety": dict(
        file="安全生产企业台账.csv", dup=0.02,
        rates=dict(ename_old=0.3, ename_swap_form=0.04, ename_halfwidth_paren=0.3, ename_homophone=0.01,
                   ename_trad=0.003, ename_space=0.01, ename_drop_prefix=0.02,
                   code_blank=0.05, code_typo=0.02, code_lower=0.02, code_old=0.05, code_space=0.01,
                   code_o_for_0=0.005,
                   name_homophone=0.02, name_trad=0.005,
                   id_blank=0.3, id_typo=0.02, id_lower_x=0.3,
                   phone_blank=0.05, phone_sep=0.03, phone_old=0.2,
                   addr_fullwidth=0.01)),
    "shops": dict(
        file="商户走访.csv", dup=0.04,
        rates=dict(ename_old=0.5, ename_swap_form=0.05, ename_halfwidth_paren=0.5, ename_homophone=0.025,
                   ename_trad=0.005, ename_space=0.02, ename_drop_prefix=0.3, ename_drop_form=0.1,
                   code_blank=0.15, code_placeholder=0.03, code_typo=0.03, code_lower=0.03, code_old=0.3,
                   code_space=0.02,
                   name_homophone=0.03, name_shape=0.01, name_trad=0.01, name_space=0.01,
                   phone_blank=0.08, phone_placeholder=0.02, phone_plus86=0.02, phone_sep=0.05,
                   phone_old=0.3, phone_typo=0.01)),
}

PERSON_ADDR_PROFILES = {
    "residence": dict(city=0.85, province=0.5, district=0.95, street=0.6, community=0.1,
                      s_full=8, s_louhao=1, s_dash=0.5, s_nounit=0.5, s_cn=0.2, w_both=2),
    "police": dict(city=0.3, province=0.1, district=0.6, street=0.2, community=0.05,
                   s_full=6, s_louhao=2, s_dash=1, s_nounit=1, s_cn=0.2),
    "family": dict(city=0.2, province=0.05, district=0.5, street=0.7, community=0.4,
                   s_full=5, s_louhao=1, s_dash=2, s_nounit=2, s_cn=0.5),
    "grid": dict(city=0.05, province=0.0, district=0.3, street=0.3, community=0.3,
                 s_full=3, s_louhao=2, s_dash=3, s_nounit=2, s_cn=1),
    "safety": dict(city=0.7, province=0.3, district=0.9, street=0.5, community=0.0),
    "shops": dict(city=0.2, province=0.0, district=0.5, street=0.3, community=0.1),
}


class Export:
    def __init__(self, key: str, entity_type: str, header: list[str]):
        self.key, self.entity_type, self.header = key, entity_type, header
        self.file = SYSTEMS[key]["file"]
        self.rows: list[list] = []
        self.truth: list[tuple[str, str]] = []       # (entity_id, ';'-joined tags)

    def add(self, row: list, entity_id: str, tags: list[str]):
        assert len(row) == len(self.header)
        self.rows.append(row)
        self.truth.append((entity_id, ";".join(tags)))

    def shuffle(self, rng: random.Random):
        order = list(range(len(self.rows)))
        rng.shuffle(order)
        self.rows = [self.rows[i] for i in order]
        self.truth = [self.truth[i] for i in order]


def copies(rng: random.Random, dup_rate: float) -> int:
    if rng.random() < dup_rate:
        return 3 if rng.random() < 0.1 else 2
    return 1


def with_dup_tag(tags: list[str], k: int) -> list[str]:
    return tags + (["dup"] if k > 0 else [])


def make_residence(city: City, rng: random.Random) -> Export:
    key = "residence"
    rnd = Renderer(city.ref, rng, SYSTEMS[key]["rates"])
    ex = Export(key, "person", ["序号", "姓名", "曾用名", "性别", "民族", "公民身份号码", "出生日期", "联系电话",
                                "户籍地址", "现住址", "所属社区", "工作单位", "居住事由", "登记日期", "录入人", "备注"])
    prof = PERSON_ADDR_PROFILES[key]
    fmts = {"iso": 55, "slash": 20, "compact": 15, "cn": 10}
    for p in city.people:
        if rng.random() >= ((0.78 if p.migrant else 0.22) if p.age >= 16 else (0.3 if p.migrant else 0.05)):
            continue
        for k in range(copies(rng, SYSTEMS[key]["dup"])):
            tags: list[str] = []
            addr_tags: list[str] = []
            address = rnd.person_address(p, addr_tags, prof)
            a = p.old_address if "addr_stale" in addr_tags else p.address
            emp = city.enterprises[p.employer] if p.employer is not None else None
            hukou = p.hukou if p.migrant else rnd.address_text(p.old_address or p.address, [], PERSON_ADDR_PROFILES["residence"])
            ex.add([0, rnd.person_name(p, tags), p.former_name or ("无" if rng.random() < 0.05 else ""),
                    p.sex if rng.random() > 0.01 else "", p.ethnic, rnd.id_number(p, tags),
                    rnd.date(p.birth, tags, fmts), rnd.person_phone(p, tags), hukou, address,
                    a.community + ("居委会" if rng.random() < 0.2 and not a.rural else ""),
                    rnd.employer_name(emp, tags), rng.choice(["务工", "务工", "经商", "投靠亲友", "就学", "其他"]),
                    f"{random_date(rng, dt.date(2019, 1, 1), REF_DATE):%Y-%m-%d} {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
                    rng.choice(CLERKS), rng.choice(["", "", "", "", "已核实", "租住", "待核查", "房东代报"])],
                   p.pid, with_dup_tag(tags + addr_tags, k))
    ex.shuffle(rng)
    for i, row in enumerate(ex.rows, 1):
        row[0] = i
    return ex


def make_police(city: City, rng: random.Random) -> Export:
    key = "police"
    rnd = Renderer(city.ref, rng, SYSTEMS[key]["rates"])
    ex = Export(key, "person", ["申报编号", "申报人姓名", "证件类型", "证件号码", "手机号码", "居住地址", "服务处所",
                                "申报时间", "核查状态"])
    prof = PERSON_ADDR_PROFILES[key]
    for p in city.people:
        if p.age < 16 or rng.random() >= 0.45:
            continue
        for k in range(copies(rng, SYSTEMS[key]["dup"])):
            tags: list[str] = []
            when = random_date(rng, dt.date(2020, 3, 1), REF_DATE)
            emp = city.enterprises[p.employer] if p.employer is not None else None
            ex.add([f"SB{when:%Y%m%d}{rng.randrange(10**5):05d}", rnd.person_name(p, tags), "居民身份证",
                    rnd.id_number(p, tags), rnd.person_phone(p, tags), rnd.person_address(p, tags, prof),
                    rnd.employer_name(emp, tags), f"{when:%Y/%m/%d} {rng.randrange(24):02d}:{rng.randrange(60):02d}",
                    rng.choice(["已核查", "已核查", "未核查", "核查中"])], p.pid, with_dup_tag(tags, k))
    ex.shuffle(rng)
    return ex


def make_family(city: City, rng: random.Random) -> Export:
    key = "family"
    rnd = Renderer(city.ref, rng, SYSTEMS[key]["rates"])
    ex = Export(key, "person", ["户编号", "户主姓名", "成员姓名", "与户主关系", "性别", "出生年月", "身份证号",
                                "婚育情况", "联系方式", "家庭住址", "所属村社", "录入人", "更新时间"])
    prof = PERSON_ADDR_PROFILES[key]
    fmts = {"month": 40, "iso": 30, "cn": 15, "compact": 15}
    for h, members in enumerate(city.households):
        ps = [city.people[i] for i in members]
        target = any(p.sex == "女" and 20 <= p.age <= 49 for p in ps) or any(p.age < 18 for p in ps)
        if rng.random() >= (0.6 if target else 0.08):
            continue
        head = ps[0]
        phone_owner = head if head.mobile else next((p for p in ps if p.mobile), head)
        stale = head.old_address is not None and rng.random() < SYSTEMS[key]["rates"]["addr_stale"]
        hh_tags: list[str] = []
        hh_address = rnd.address_text(head.old_address if stale else head.address, hh_tags, prof)
        if stale:
            hh_tags.append("addr_stale")
        hh_phone_tags: list[str] = ["phone_household"]
        hh_phone = rnd.person_phone(phone_owner, hh_phone_tags)
        hh_code = f"{ps[0].address.district}{h:07d}"
        head_tags: list[str] = []
        head_name = rnd.person_name(head, head_tags)
        a = head.old_address if stale else head.address
        for p in ps:
            if p.relation in ("father", "mother") and rng.random() < 0.5:
                continue
            for k in range(copies(rng, SYSTEMS[key]["dup"])):
                tags = list(hh_tags)
                name = head_name if (p is head and k == 0) else rnd.person_name(p, tags)
                if p is head and k == 0:
                    tags += head_tags
                rel = RELATION_TITLES[p.relation]
                if rel in ("子", "女") and rng.random() < 0.3:
                    rel = {"子": "儿子", "女": "女儿"}[rel]
                relative = head if p.age < 18 else None
                blank_kid = p.age < 16 and rng.random() < 0.25
                idv = "" if blank_kid else rnd.id_number(p, tags, relative=relative)
                if blank_kid:
                    tags.append("id_blank")
                status = ("已婚已育" if p.relation in ("head", "spouse") and len(ps) > 2 else
                          "未婚" if p.age < 22 else rng.choice(["已婚", "已婚已育", "未婚", "离异"]))
                phone = hh_phone if p is phone_owner else rnd.phone(phone_owner.mobile or phone_owner.landline, [])
                ex.add([hh_code, head_name, name, rel, p.sex, rnd.date(p.birth, tags, fmts), idv, status,
                        phone if rng.random() > 0.05 else "", hh_address,
                        a.community, rng.choice(CLERKS),
                        f"{random_date(rng, dt.date(2017, 1, 1), REF_DATE):%Y-%m-%d}"],
                       p.pid, with_dup_tag(tags + (hh_phone_tags if p is phone_owner else ["phone_household"]), k))
    return ex                                                  # kept in household order


def make_labour(city: City, rng: random.Random) -> Export:
    key = "labour"
    rnd = Renderer(city.ref, rng, SYSTEMS[key]["rates"])
    ex = Export(key, "person", ["序号", "名字", "身份证号码", "用工单位", "参保险种", "参保日期", "备注"])
    for p in city.people:
        employed = p.employer is not None
        if not (rng.random() < 0.7 if employed else (18 <= p.age <= 60 and rng.random() < 0.08)):
            continue
        for k in range(copies(rng, SYSTEMS[key]["dup"])):
            tags: list[str] = []
            emp = city.enterprises[p.employer] if employed else None
            when = random_date(rng, dt.date(2008, 1, 1), REF_DATE)
            ex.add([0, rnd.person_name(p, tags), rnd.id_number(p, tags),
                    rnd.employer_name(emp, tags) if employed else rng.choice(["灵活就业", "灵活就业人员", "无", ""]),
                    rng.choice(["养老", "养老、医疗", "养老、医疗、失业", "五险", "城乡居民养老"]),
                    XDate(when, "yyyy-mm-dd") if rng.random() < 0.8 else f"{when:%Y.%m}",
                    rng.choice(["", "", "", "", "新参保", "续保", "转入", "停保"])], p.pid, with_dup_tag(tags, k))
    ex.shuffle(rng)
    for i, row in enumerate(ex.rows, 1):
        row[0] = i
    return ex


def make_grid(city: City, rng: random.Random) -> Export:
    key = "grid"
    rnd = Renderer(city.ref, rng, SYSTEMS[key]["rates"])
    ex = Export(key, "person", ["网格编号", "姓名", "性别", "生日", "电话", "住址", "人员类别", "走访时间", "网格员"])
    prof = PERSON_ADDR_PROFILES[key]
    fmts = {"excel_date": 30, "excel_serial": 15, "month": 20, "cn_month": 15, "iso": 15, "dot": 5}
    comm_idx = {c[2]: i for i, c in enumerate(city.communities)}
    for p in city.people:
        if rng.random() >= (0.35 if p.address.rural or p.age >= 60 else 0.2):
            continue
        for k in range(copies(rng, SYSTEMS[key]["dup"])):
            tags: list[str] = []
            sex = p.sex if rng.random() > 0.1 else ""
            if sex and rng.random() < 0.2:
                sex = "1" if sex == "男" else "2"
            ex.add([f"WG{comm_idx.get(p.address.community, 0):04d}-{rng.randint(1, 8):02d}",
                    rnd.person_name(p, tags), sex, rnd.date(p.birth, tags, fmts),
                    rnd.person_phone(p, tags), rnd.person_address(p, tags, prof),
                    "流动人口" if p.migrant else rng.choice(["户籍人口", "户籍人口", "常住人口"]),
                    XDate(random_date(rng, dt.date(2022, 1, 1), REF_DATE), "yyyy-mm-dd"),
                    rng.choice(CLERKS)], p.pid, with_dup_tag(tags, k))
    ex.shuffle(rng)
    return ex


def make_safety(city: City, rng: random.Random) -> Export:
    key = "safety"
    rnd = Renderer(city.ref, rng, SYSTEMS[key]["rates"])
    ex = Export(key, "enterprise", ["序号", "企业名称", "统一社会信用代码", "法定代表人", "法定代表人身份证号",
                                    "联系电话", "生产经营地址", "所在街道", "行业类别", "从业人数", "风险等级",
                                    "最近检查日期", "检查人员", "备注"])
    prof = PERSON_ADDR_PROFILES[key]
    risky = {"制造业", "建筑业", "住宿和餐饮业", "交通运输、仓储和邮政业"}
    for e in city.enterprises:
        pr = 0.8 if e.category in risky else 0.45
        if e.kind == "individual":
            pr = 0.35
        if rng.random() >= pr:
            continue
        rep = city.people[e.rep]
        for k in range(copies(rng, SYSTEMS[key]["dup"])):
            tags: list[str] = []
            phone = rnd.phone(e.landline, tags) if e.landline and rng.random() < 0.6 else rnd.person_phone(rep, tags)
            ex.add([0, rnd.enterprise_name(e, tags), rnd.credit_code(e, tags, allow_old=True),
                    rnd.person_name(rep, tags), rnd.id_number(rep, tags), phone,
                    rnd.address_text(e.address, tags, prof), e.address.street, e.category,
                    e.staff if rng.random() > 0.1 else "", rng.choice(["低风险", "一般风险", "较大风险", "重大风险"]),
                    rnd.date(random_date(rng, dt.date(2022, 1, 1), REF_DATE), [], {"iso": 5, "slash": 2, "cn": 1}),
                    rng.choice(CLERKS), rng.choice(["", "", "", "已整改", "限期整改", "停业"])], e.eid, with_dup_tag(tags, k))
    ex.shuffle(rng)
    for i, row in enumerate(ex.rows, 1):
        row[0] = i
    return ex


def make_shops(city: City, rng: random.Random) -> Export:
    key = "shops"
    rnd = Renderer(city.ref, rng, SYSTEMS[key]["rates"])
    ex = Export(key, "enterprise", ["编号", "商户名称", "证照号码", "负责人", "负责人电话", "经营场所", "所属网格",
                                    "商户类型", "走访日期", "走访人", "备注"])
    prof = PERSON_ADDR_PROFILES[key]
    comm_idx = {c[2]: i for i, c in enumerate(city.communities)}
    for e in city.enterprises:
        if rng.random() >= (0.7 if e.kind in ("individual", "sole") else 0.4):
            continue
        rep = city.people[e.rep]
        for k in range(copies(rng, SYSTEMS[key]["dup"])):
            tags: list[str] = []
            ex.add([f"SH{rng.randrange(10**6):06d}", rnd.enterprise_name(e, tags), rnd.credit_code(e, tags, allow_old=True),
                    rnd.person_name(rep, tags), rnd.person_phone(rep, tags), rnd.address_text(e.address, tags, prof),
                    f"WG{comm_idx.get(e.address.community, 0):04d}-{rng.randint(1, 8):02d}",
                    {"individual": "个体工商户", "company": "企业", "branch": "分支机构", "partnership": "合伙企业",
                     "coop": "农民专业合作社", "sole": "个人独资企业"}[e.kind],
                    f"{random_date(rng, dt.date(2023, 1, 1), REF_DATE):%Y%m%d}", rng.choice(CLERKS),
                    rng.choice(["", "", "", "正常经营", "已歇业", "新开业", "证照不符"])], e.eid, with_dup_tag(tags, k))
    ex.shuffle(rng)
    return ex


# --------------------------------------------------------------------------- writers
def write_csv(ex: Export, path: Path, encoding: str, delimiter: str = ","):
    """GBK cannot hold every character: unencodable ones become '?', tagged gbk_lossy."""
    with open(path, "w", encoding=encoding, errors="replace", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\r\n")
        w.writerow(ex.header)
        for i, row in enumerate(ex.rows):
            cells = ["" if v is None else str(v) for v in row]
            if encoding.lower() == "gbk":
                try:
                    "".join(cells).encode("gbk")
                except UnicodeEncodeError:
                    eid, tags = ex.truth[i]
                    ex.truth[i] = (eid, (tags + ";" if tags else "") + "gbk_lossy")
            w.writerow(cells)


def write_xlsx(ex: Export, path: Path, sheet: str, title_rows: list[str] = (), summary: dict | None = None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ncol = len(ex.header)
    for r, title in enumerate(title_rows, 1):
        ws.cell(r, 1, title)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)
        if r == 1:
            ws.cell(r, 1).font = Font(bold=True, size=14)
            ws.cell(r, 1).alignment = Alignment(horizontal="center")
    h = len(title_rows) + 1
    for c, name in enumerate(ex.header, 1):
        ws.cell(h, c, name).font = Font(bold=True)
    for i, row in enumerate(ex.rows, 1):
        for c, v in enumerate(row, 1):
            if v is None or v == "":
                continue
            if isinstance(v, XDate):
                cell = ws.cell(h + i, c, v.d)
                cell.number_format = v.fmt
            else:
                cell = ws.cell(h + i, c, v)
                if isinstance(v, str):
                    cell.number_format = "@"            # IDs and phones kept as text
    if summary:
        s = wb.create_sheet("汇总")
        s.append(["社区", "走访人数"])
        for k, v in sorted(summary.items()):
            s.append([k, v])
        s.append(["合计", sum(summary.values())])
    wb.save(path)


# --------------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    args = ap.parse_args(argv)
    t0 = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    ref = Reference(args.data)
    city = City(ref, args.people, args.seed)
    exports = []
    for k, make in enumerate([make_residence, make_police, make_family, make_labour, make_grid,
                              make_safety, make_shops]):
        exports.append(make(city, random.Random(args.seed * 1000 + k + 1)))
    res, pol, fam, lab, grd, saf, shp = exports
    write_csv(res, args.out / res.file, "utf-8-sig")
    write_csv(pol, args.out / pol.file, "gbk")
    write_csv(fam, args.out / fam.file, "utf-8", delimiter="\t")
    write_xlsx(lab, args.out / lab.file, "参保人员",
               [f"{CITY_NAME}2024年劳动保障登记表", "填报单位：各街道（乡镇）劳动保障所（汇总）        填报日期：2024年6月"])
    write_xlsx(grd, args.out / grd.file, "走访台账",
               summary=Counter(city.people[int(t[0][1:]) - 1].address.community for t in grd.truth))
    write_csv(saf, args.out / saf.file, "gbk")
    write_csv(shp, args.out / shp.file, "utf-8-sig")

    # truth
    summary = {"city": CITY_NAME, "people": len(city.people), "enterprises": len(city.enterprises),
               "seed": args.seed, "files": {}}
    per_type: dict[str, dict] = {}
    with open(args.out / "truth.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "source_row", "entity_type", "entity_id", "errors"])
        for ex in exports:
            for i, (eid, tags) in enumerate(ex.truth, 1):
                w.writerow([ex.file, i, ex.entity_type, eid, tags])
            t = per_type.setdefault(ex.entity_type, {"records": 0, "ids": set()})
            t["records"] += len(ex.truth)
            t["ids"].update(e for e, _ in ex.truth)
            summary["files"][ex.file] = {"entity_type": ex.entity_type, "rows": len(ex.rows),
                                         "distinct_entities": len({e for e, _ in ex.truth})}
    for et, t in per_type.items():
        summary[et] = {"records": t["records"], "distinct_entities": len(t["ids"]),
                       "redundant_records": t["records"] - len(t["ids"])}
    (args.out / "truth_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps({k: summary[k] for k in ("person", "enterprise")}, ensure_ascii=False),
          f"in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
