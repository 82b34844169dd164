"""Enterprise names and registration codes.

Names: NFKC (full-width brackets → half-width), every bracket style to "()", whitespace removed,
traditional → simplified, the legal form written one way (有限责任公司 ≡ 有限公司; 股份有限公司
stays distinct).  Derived: the legal form, the region the name states (深圳市XX有限公司,
XX(深圳)有限公司, XX(中国)有限公司) and the core name (字号): the name without region, legal
form, branch suffix and trailing industry words (深圳市华为技术有限公司 → 华为), so that the same
firm written with or without its region gets the same core.  Flags: valid / no_legal_form /
invalid (no letter or Chinese character at all).

Codes (kept, cleaned and flagged, never blanked):
- uscc — 统一社会信用代码, GB 32100: 18 characters from 0-9 and A-Y without I, O, S, V, Z;
  check character = (31 − Σ value·weight mod 31) mod 31 with weights 3^i mod 31; characters
  9–17 are the organisation code, whose own check digit must hold too (python-stdnum's
  cn.uscc checks only the last character).
- org_code — 组织机构代码, GB 11714: 8 digits/letters + check digit (11 − Σ mod 11, 10 → X,
  11 → 0); "12345678-9" is written without the dash.
- reg_number — 15-digit 工商注册号 (GS15), check digit by ISO 7064 MOD 11,10.
A valid 9-character organisation code keyed into a uscc or reg_number column (exports of units
registered before the credit-code reform) is flagged `org_code` there, not `wrong_length`; a
valid 15-digit registration number keyed into a uscc column (a licence of before 2015) is
flagged `reg_number` there.
`org_key` is the organisation code a record carries: inside a valid uscc (characters 9–17),
else a valid org_code, else one keyed into another code column; `reg_key` the registration
number: a valid reg_number, else one keyed into the uscc column.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import polars as pl

from linkage.columns import derived
from linkage.normalize.address.divisions import TYPE_WORDS
from linkage.normalize.names import pinyin_key
from linkage.normalize.regions import load_regions
from linkage.normalize.text import SCIENTIFIC, as_text, fold, is_placeholder, per_unique, to_simplified

CODE_FLAGS = ("valid", "org_code", "reg_number", "bad_check", "wrong_length", "invalid_chars",
              "precision_lost")

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}

# Legal forms and the endings of unincorporated businesses; a name ends in one of them,
# optionally followed by a bracketed one (合伙企业(有限合伙)).  Where two could match, the one
# starting earlier wins (维修部 rather than 部).
LEGAL_FORMS = ("股份有限公司", "有限公司", "有限合伙", "普通合伙", "合伙企业", "个人独资企业",
               "农民专业合作社", "专业合作社", "合作社", "分公司", "公司", "厂", "店", "商行",
               "经营部", "维修部", "服务部", "门市部", "营业部", "工作室", "中心", "餐厅", "部",
               "馆", "行", "社", "所", "站", "场", "院")
INDUSTRY_WORDS = """
科技 技术 信息 网络 电子 软件 智能 数码 通讯 通信 计算机 系统 贸易 商贸 国际贸易 进出口 实业
投资 发展 控股 集团 建设 建筑 工程 装饰 装修 设计 咨询 管理 服务 物业 物流 供应链 运输 货运
文化 传媒 传播 广告 餐饮 食品 医药 药业 生物 环保 能源 新能源 材料 新材料 机械 设备 制造 电器
五金 塑胶 塑料 服装 服饰 纺织 房地产 地产 置业 开发 酒店 教育 培训 健康 美容 汽车 租赁 金融
保险 资产 人力资源 劳务 家具 印刷 包装 化工 光电 照明 精密 电气 自动化 工业 农业 商务 企业
旅游 体育 娱乐 影视 珠宝 百货 超市 便利店 药房 药店 诊所 国际 中国 实业发展 经营 销售
""".split()
# short forms of prefectures that begin well-known trade names (阿里巴巴, 朝阳科技, 中山大学)
SHORT_FORMS_IN_TRADE_NAMES = frozenset("阿里 朝阳 中山 黄山 白山 大同 长城 吉林 三明 金昌".split())
_TOWN = r"(?:\p{Han}{1,4}?(?:街道办事处|街道|镇|乡))?"
_BRACKETS = {"【": "(", "】": ")", "〔": "(", "〕": ")", "［": "(", "］": ")", "[": "(", "]": ")",
             "（": "(", "）": ")", "｛": "(", "｝": ")", "{": "(", "}": ")"}


# the type word a province's or prefecture's short form leaves out (广东省 / 广东, 深圳市 / 深圳)
_UPPER_SUFFIX = r"(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区|地区|盟)$"


@functools.cache
def _region_pattern() -> str:
    """Regex alternation of region names: provinces and prefectures in full or short form
    (广东省 / 广东, 深圳市 / 深圳), counties in full form only (南山区 but not 南山, a
    common trade name), and 中国; longest first so that the longest name wins."""
    regions = load_regions()
    short = regions.filter(pl.col("level") != "county")["name"].str.replace(_UPPER_SUFFIX, "")
    short = set(short.filter(short.str.len_chars() >= 2).to_list()) - SHORT_FORMS_IN_TRADE_NAMES
    names = set(regions["name"].to_list()) | short | {"中国"}
    return "|".join(sorted(names, key=lambda n: (-len(n), n)))


@functools.cache
def _counties_of_prefectures() -> dict[str, tuple[str, ...]]:
    """A prefecture's name, full or short (杭州市 / 杭州) → its counties' names in full and
    short form (萧山区 / 萧山), longest first."""
    regions = load_regions()
    prefectures = regions.filter((pl.col("level") != "county")
                                 & (pl.col("code").str.len_chars() == 4))
    counties = regions.filter(pl.col("level") == "county").with_columns(
        pl.col("name").str.replace(TYPE_WORDS[3], "")
        .alias("short"), pl.col("code").str.slice(0, 4).alias("prefecture"))
    of: dict[str, set[str]] = {}
    for code, full, short in counties.select("prefecture", "name", "short").iter_rows():
        of.setdefault(code, set()).update(n for n in (full, short) if len(n) >= 2)
    out = {}
    for code, name in prefectures.select("code", "name").iter_rows():
        names = tuple(sorted(of.get(code, ()), key=lambda n: (-len(n), n)))
        for form in {name, re.sub(_UPPER_SUFFIX, "", name)}:
            if len(form) >= 2 and names:
                out[form] = names
    return out


@functools.cache
def _county_starts() -> list[str]:
    """The first two characters of every county's name after a prefecture."""
    return sorted({c[:2] for counties in _counties_of_prefectures().values() for c in counties})


def _county_after_prefecture(region: str | None, core: str | None) -> tuple[str | None, str | None]:
    """(region, core) with a county named right after its own prefecture moved from the core
    to the region: 杭州萧山爱思开 is 爱思开 of 杭州萧山 (registered names are often written so),
    while 萧山爱思开 alone keeps its core (南山 alone is as often a trade name).  The core keeps
    at least two characters."""
    if not region or not core:
        return region, core
    of = _counties_of_prefectures()
    # the prefecture the region ends with, longest first (names have 2 to 11 characters)
    ending = next((region[-n:] for n in range(min(len(region), 11), 1, -1) if region[-n:] in of),
                  None)
    for county in of.get(ending, ()):
        if core.startswith(county) and len(core) - len(county) >= 2:
            return region + county, core[len(county):]
    return region, core


def clean_enterprise_name(series: pl.Series) -> pl.Series:
    """Folded name without whitespace or empty brackets, brackets as "()", simplified, legal
    form written one way (有限责任公司 → 有限公司); placeholders → null."""
    text = to_simplified(fold(series))
    text = text.str.replace_many(_BRACKETS).str.replace_all(r"\s", "")
    text = text.str.replace_all("有限责任公司", "有限公司")
    while text.str.contains(r"\(\)").any():  # empty brackets, nested ones too: (()) → ""
        text = text.str.replace_all(r"\(\)", "")
    return pl.select(pl.when(~is_placeholder(text) & (text.str.len_chars() > 0)).then(text))\
        .to_series().alias(series.name)


def _strip(text: pl.Expr, pattern: str) -> pl.Expr:
    """`text` without `pattern`, unless that would leave fewer than two characters."""
    stripped = text.str.replace(pattern, "")
    return pl.when(stripped.str.len_chars() >= 2).then(stripped).otherwise(text)


def enterprise_name_parts(names: pl.Series) -> pl.DataFrame:
    """`legal_form`, `region`, `core`, `industry` (the industry words after the core: 餐饮管理
    of 杭州马速宝餐饮管理有限公司) and `flag` of cleaned names."""
    regions = _region_pattern()
    form = "|".join(LEGAL_FORMS)
    forms = rf"(?:(?:{form})(?:\((?:{form})\))?|\((?:{form})\))$"
    industry = rf"(?:{'|'.join(sorted(INDUSTRY_WORDS, key=len, reverse=True))})+$"
    name = pl.col("name")
    branch = name.str.contains(r"(?:公司|厂).{1,12}分公司$")
    base = pl.when(branch).then(name.str.replace(r"^(.*(?:公司|厂)).{1,12}分公司$", "${1}"))\
        .otherwise(name)
    legal_form = pl.when(branch).then(pl.lit("分公司"))\
        .otherwise(name.str.extract(f"({forms})", 1).str.replace(r"^\(([^()]*)\)$", "${1}"))
    without_form = base.str.replace(forms, "")
    bracketed = without_form.str.extract(rf"\(((?:{regions})+)\)", 1)
    leading = without_form.str.extract(rf"^((?:{regions})+{_TOWN})", 1)
    unbracketed = without_form.str.replace_all(rf"\((?:{regions})+\)", "")
    # the region prefix is kept when only industry words would be left (朝阳科技有限公司)
    core = _strip(_strip(unbracketed, rf"^(?:{regions})+{_TOWN}"), industry)
    core = pl.when(core.str.contains(f"^{industry}")).then(_strip(unbracketed, industry))\
        .otherwise(core).str.replace_all(r"[()]", "")
    parts = pl.DataFrame({"name": names}).select(
        legal_form.alias("legal_form"),
        pl.coalesce(leading, bracketed).alias("region"),
        pl.when(core.str.len_chars() > 0).then(core).alias("core"),
        unbracketed.str.extract(f"({industry})", 1).alias("industry"),
        pl.when(name.is_null()).then(None)
        .when(~name.str.contains(r"[\p{Han}A-Za-z]")).then(pl.lit("invalid"))
        .when(legal_form.is_null()).then(pl.lit("no_legal_form"))
        .otherwise(pl.lit("valid")).alias("flag"),
    )
    # counties after their prefecture, worked out once per distinct (region, core) whose core
    # starts as some county's name does
    pairs = parts.select("region", "core").drop_nulls().unique() \
        .filter(pl.col("core").str.slice(0, 2).is_in(_county_starts()))
    moved = [_county_after_prefecture(r, c) for r, c in pairs.iter_rows()]
    fixed = pairs.with_columns(pl.Series("new_region", [r for r, _ in moved], pl.Utf8),
                               pl.Series("new_core", [c for _, c in moved], pl.Utf8))
    return parts.join(fixed, on=["region", "core"], how="left", maintain_order="left") \
        .with_columns(pl.coalesce("new_region", "region").alias("region"),
                      pl.coalesce("new_core", "core").alias("core")) \
        .select("legal_form", "region", "core", "industry", "flag")


def normalize_enterprise_name(series: pl.Series, prefix: str | None = None) -> pl.DataFrame:
    """Columns `<prefix>`, `<prefix>_core`, `<prefix>_core_pinyin` (the core name's toneless
    pinyin: a name keyed by ear, 卡仕慢 for 卡仕曼, keeps it), `<prefix>_legal_form`,
    `<prefix>_region`, `<prefix>_flag`, `<prefix>_industry` (the industry words after the core:
    sister companies share a 字号 and differ there); repeated raw values are worked on once."""
    prefix = prefix or series.name

    def compute(values: pl.Series) -> pl.DataFrame:
        names = clean_enterprise_name(values)
        parts = enterprise_name_parts(names)
        return pl.DataFrame({prefix: names}).with_columns(
            *(parts[c].alias(derived(prefix, c)) for c in ("core", "legal_form", "region",
                                                           "flag")),
            pinyin_key(parts["core"]).alias(derived(prefix, "core_pinyin")),
            parts["industry"].alias(derived(prefix, "industry")))

    return per_unique(as_text(series), compute)


def clean_code(series: pl.Series) -> pl.Series:
    """Folded upper-case code without spaces, dashes or dots; placeholders → null."""
    text = fold(series).str.to_uppercase().str.replace_all(r"[\s\-—_.·'‘’`]", "")
    return pl.select(pl.when(~is_placeholder(text) & (text.str.len_chars() > 0)).then(text))\
        .to_series().alias(series.name)


def _weighted_sum(code: pl.Expr, values: dict[str, int], weights: tuple[int, ...]) -> pl.Expr:
    return pl.sum_horizontal([
        code.str.slice(i, 1).replace_strict(values, default=None, return_dtype=pl.Int64) * w
        for i, w in enumerate(weights)
    ])


def uscc_check(code: pl.Expr) -> pl.Expr:
    """The GB 32100 check character of 17-character bodies."""
    values = {c: i for i, c in enumerate(USCC_ALPHABET)}
    total = _weighted_sum(code, values, USCC_WEIGHTS)
    return ((31 - total % 31) % 31).replace_strict(dict(enumerate(USCC_ALPHABET)), default=None)


def org_code_check(code: pl.Expr) -> pl.Expr:
    """The GB 11714 check character of 8-character bodies."""
    digit = 11 - _weighted_sum(code, _ORG_VALUES, ORG_WEIGHTS) % 11
    return digit.replace_strict({10: "X", 11: "0"}, default=digit.cast(pl.Utf8))


def _mod_11_10_valid(values: pl.Series) -> pl.Series:
    """ISO 7064 MOD 11,10 over 15-digit values, in numpy (False for anything else)."""
    ok = values.str.contains(r"^\d{15}$").fill_null(False).to_numpy()
    valid = np.zeros(len(values), dtype=bool)
    if ok.any():
        text = "".join(values.filter(pl.Series(ok)).to_list()).encode("ascii")
        digits = np.frombuffer(text, dtype=np.uint8).reshape(-1, 15).astype(np.int64) - 48
        product = np.full(len(digits), 10, dtype=np.int64)
        for i in range(15):
            total = product % 11 + digits[:, i]
            remainder = total % 10
            product = np.where(remainder == 0, 10, remainder) * 2 % 11
        valid[ok] = total % 10 == 1
    return pl.Series(values.name, valid)


def reg_number_valid(code: pl.Expr) -> pl.Expr:
    """ISO 7064 MOD 11,10 over 15 digits: the running product ends with a sum ≡ 1 mod 10."""
    return code.map_batches(_mod_11_10_valid, return_dtype=pl.Boolean)


def org_code_valid(code: pl.Expr) -> pl.Expr:
    """GB 11714 organisation codes: 8 digits / letters and their check character."""
    return code.str.contains(r"^[0-9A-Z]{8}[0-9X]$") & (
        org_code_check(code.str.slice(0, 8)) == code.str.slice(8, 1))


def uscc_valid(code: pl.Expr) -> pl.Expr:
    """GB 32100 credit codes: the check character, and the organisation code inside (9–17)."""
    return ((uscc_check(code.str.slice(0, 17)) == code.str.slice(17, 1))
            & org_code_valid(code.str.slice(8, 9)))


_CODES = {
    # kind: (length, allowed characters, check expression on the cleaned code)
    "uscc": (18, rf"^[{USCC_ALPHABET}]+$", uscc_valid),
    "org_code": (9, r"^[0-9A-Z]{8}[0-9X]$", org_code_valid),
    "reg_number": (15, r"^\d+$", reg_number_valid),
}


def normalize_code(series: pl.Series, kind: str, prefix: str | None = None) -> pl.DataFrame:
    """Columns `<prefix>` (cleaned code) and `<prefix>_flag` (valid / org_code / reg_number /
    bad_check / wrong_length / invalid_chars / precision_lost) for kind uscc, org_code or
    reg_number; `org_code` marks a valid organisation code in a column of another kind,
    `reg_number` a valid registration number in a uscc column, precision_lost a code stored
    as a spreadsheet number (4.40306E+17)."""
    prefix = prefix or series.name
    length, allowed, check = _CODES[kind]
    code = pl.col(prefix)
    # a registration number keyed where the credit code goes (checked in uscc columns only)
    registration = reg_number_valid(code) if kind == "uscc" else pl.lit(False)

    def compute(values: pl.Series) -> pl.DataFrame:
        frame = pl.DataFrame([clean_code(values).alias(prefix),
                              as_text(values).str.contains(SCIENTIFIC).alias("_scientific")])
        flag = (
            pl.when(code.is_null()).then(None)
            .when(pl.col("_scientific")).then(pl.lit("precision_lost"))
            .when(~code.str.contains(r"^[0-9A-Z]+$")).then(pl.lit("invalid_chars"))
            .when((code.str.len_chars() != length) & org_code_valid(code).fill_null(False))
            .then(pl.lit("org_code"))
            .when(registration).then(pl.lit("reg_number"))
            .when(code.str.len_chars() != length).then(pl.lit("wrong_length"))
            .when(~code.str.contains(allowed)).then(pl.lit("invalid_chars"))
            .when(check(code).fill_null(False)).then(pl.lit("valid"))
            .otherwise(pl.lit("bad_check"))
        )
        return frame.select(code, flag.alias(f"{prefix}_flag"))

    return per_unique(as_text(series), compute)


def _carried(codes: dict[str, pl.DataFrame], kind: str, flag: str, start: int = 0,
             length: int | None = None) -> pl.Series:
    """Per record, characters `start`… (`length` of them, else to the end) of the code in the
    column of `kind` where its flag is `flag`, else null."""
    prefix = codes[kind].columns[0]
    return codes[kind].select(pl.when(pl.col(f"{prefix}_flag") == flag)
                              .then(pl.col(prefix).str.slice(start, length))).to_series()


def org_key(codes: dict[str, pl.DataFrame]) -> pl.Series:
    """The organisation code of each record from its code columns ({kind: normalize_code
    output}): characters 9–17 of a valid uscc, else a valid org_code, else an organisation
    code keyed into the uscc or reg_number column; null when there is none."""
    found = [_carried(codes, kind, flag, start, 9) for kind, flag, start in
             (("uscc", "valid", 8), ("org_code", "valid", 0), ("uscc", "org_code", 0),
              ("reg_number", "org_code", 0)) if kind in codes]
    return pl.select(pl.coalesce(found)).to_series().alias("org_key")


def reg_key(codes: dict[str, pl.DataFrame]) -> pl.Series | None:
    """The registration number of each record from its code columns (as for `org_key`): a
    valid reg_number, else one keyed into the uscc column; None when neither column is there."""
    found = [_carried(codes, kind, flag) for kind, flag in
             (("reg_number", "valid"), ("uscc", "reg_number")) if kind in codes]
    return pl.select(pl.coalesce(found)).to_series().alias("reg_key") if found else None
