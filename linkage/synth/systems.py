"""The nine departmental systems a grid worker keys into, as data: who they hold and how they export.

Each `SourceSpec` is one exported file: the system it belongs to, its entity type, coverage
(a polars expression giving each entity's probability of being registered), rate of
within-system duplicates, Chinese headers in the system's own order with the field each holds
and its format, file format and encoding, per-error multipliers of the noise rates, and its
own blank rates for the ID number and phone (real exports differ most there: occupant lists
and street collection miss many ID numbers, labour and family-planning records almost none).
安全生产 and 劳保 hold people and enterprises, so 劳保 writes two files; 安全生产 keeps the
legal representative inside its enterprise rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from linkage.synth.address import AddressStyle


@dataclass(frozen=True)
class Column:
    header: str
    field: str                 # a field of linkage.synth.render (FIELDS)
    fmt: str | None = None     # date / gender / phone / name format where the field has several


@dataclass(frozen=True)
class SourceSpec:
    key: str
    system: str
    title: str
    entity: str                # person | enterprise
    file: str
    format: str                # csv | tsv | xlsx | jsonl | sqlite
    columns: tuple[Column, ...]
    coverage: pl.Expr
    duplicates: float          # share of registered entities entered a second time
    updates_per_year: float
    encoding: str = "utf-8"
    table: str | None = None   # sqlite table
    title_row: str | None = None  # a title above the header (merged cells in Excel)
    address: AddressStyle = AddressStyle()
    blank: str | None = None   # what the system writes for an empty value
    noise: dict[str, float] = field(default_factory=dict)
    missing: dict[str, float] = field(default_factory=dict)  # field -> blank rate at default noise

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _cols(spec: str) -> tuple[Column, ...]:
    """Columns from "header:field[:fmt]" words."""
    out = []
    for word in spec.split():
        header, fld, *fmt = word.split(":")
        out.append(Column(header, fld, fmt[0] if fmt else None))
    return tuple(out)


age, migrant, female = pl.col("age"), pl.col("migrant"), ~pl.col("male")
working_age = (age >= 18) & (age <= 65)

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        "jzdj", "jzdj", "居住登记", "person", "jzdj.csv", "csv", encoding="gbk",
        columns=_cols("序号:row_number 姓名:name 性别:gender:zh 民族:ethnicity 出生日期:birth_date:iso "
                      "公民身份号码:id_number 户籍地址:household_address 现居住地址:address "
                      "联系电话:phone:plain 居住事由:residence_reason 入住时间:move_in_date:iso "
                      "所属街道:street 所属社区:community 住所类型:dwelling_type "
                      "登记日期:registration_date:iso"),
        coverage=pl.when(migrant).then(0.85).otherwise(0.3), duplicates=0.04, updates_per_year=12,
        address=AddressStyle(level="city"), missing={"id_number": 0.015, "phone": 0.04}),
    SourceSpec(
        "zzsb", "zzsb", "自主申报", "person", "zzsb.jsonl", "jsonl",
        columns=_cols("xm:name xb:gender:code mz:ethnicity csrq:birth_date:compact sfzh:id_number "
                      "sjhm:phone:plain hjdz:household_address:short xzz:address fwbm:house_code "
                      "sbqd:declare_channel djrq:registration_date:datetime"),
        coverage=pl.when(migrant & working_age).then(0.45).when(working_age).then(0.05).otherwise(0.0),
        duplicates=0.06, updates_per_year=52,
        address=AddressStyle(level="district", room="室"),
        noise={"homophone": 3.0, "inner_space": 0.5, "shape": 0.5, "fullwidth": 2.0,
               "day_month_swap": 1.5, "traditional": 0.0},
        missing={"id_number": 0.003, "phone": 0.005}),  # declared online: both fields required
    SourceSpec(
        "pda", "pda", "PDA采集", "person", "pda.sqlite", "sqlite", table="pda_cjxx",
        columns=_cols("name:name sex:gender:zh idcard:id_number birthday:birth_date:slash nation:ethnicity "
                      "mobile:phone:plain address:address community:community grid:grid_code "
                      "collector:grid_worker cjsj:registration_date:datetime"),
        coverage=pl.lit(0.5), duplicates=0.02, updates_per_year=12,
        address=AddressStyle(level="street", building="座"),
        noise={"fullwidth": 4.0, "id_swap": 1.5, "homophone": 1.5},
        missing={"id_number": 0.12, "phone": 0.10}),  # door-to-door: residents not at home, no card
    SourceSpec(
        "fwbm", "fwbm", "房屋编码", "person", "fwbm.csv", "csv", encoding="utf-8-sig",
        columns=_cols("房屋编码:house_code 房屋地址:address 房屋用途:house_use 产权人:owner "
                      "人员姓名:name 证件类型:id_type 证件号码:id_number 性别:gender:zh "
                      "联系电话:phone:dashed 与户主关系:relation 入住日期:move_in_date:month 所属社区:community"),
        coverage=pl.lit(0.65), duplicates=0.05, updates_per_year=4,
        address=AddressStyle(level="full", building="号楼", room="房"), blank="无",
        noise={"missing": 2.0, "stale_address": 1.5},
        missing={"id_number": 0.14, "phone": 0.15}),  # occupants listed by the landlord
    SourceSpec(
        "gzz", "gzz", "工作站", "person", "gzz.xlsx", "xlsx",
        title_row="社区工作站居民信息台账",
        columns=_cols("序号:row_number 姓名:name 性别:gender:zh 出生年月:birth_date:dot_month "
                      "身份证号码:id_number 民族:ethnicity 文化程度:education 政治面貌:political "
                      "婚姻状况:marital 户籍地:household_address:short 现住址:address 手机号码:phone:plain "
                      "工作单位:employer 所属网格:grid_name 备注:remark"),
        coverage=pl.when(migrant).then(0.2).otherwise(0.7), duplicates=0.02, updates_per_year=4,
        address=AddressStyle(level="road", numerals="chinese", unit=False),
        noise={"traditional": 6.0, "missing": 1.5, "homophone": 0.7},
        missing={"id_number": 0.04, "phone": 0.10}),
    SourceSpec(
        "jisheng", "jisheng", "计生", "person", "jisheng.csv", "csv", encoding="gb18030",
        columns=_cols("育龄妇女姓名:name 公民身份号码:id_number 出生日期:birth_date:cn 民族:ethnicity "
                      "婚姻状况:marital 配偶姓名:spouse_name 配偶身份证号:spouse_id_number "
                      "户籍地:household_address 现居住地:address 联系电话:phone:plain "
                      "避孕措施:contraception 生育子女数:children 填报日期:registration_date:compact"),
        coverage=pl.when(female & (age >= 15) & (age <= 49)).then(0.85).otherwise(0.0),
        duplicates=0.03, updates_per_year=4,
        address=AddressStyle(level="city", building="幢"), blank="/",
        missing={"id_number": 0.015, "phone": 0.05}),
    SourceSpec(
        "aqsc_qy", "aqsc", "安全生产", "enterprise", "aqsc_qy.xlsx", "xlsx",
        title_row="安全生产重点企业台账",
        columns=_cols("企业名称:name 统一社会信用代码:uscc 工商注册号:reg_number 法定代表人:legal_rep "
                      "法定代表人身份证号:legal_rep_id_number 联系电话:phone:plain 生产经营地址:address "
                      "所属行业:industry 从业人数:employees 安全负责人:safety_supervisor "
                      "安全等级:safety_grade 隐患数:hazards 所属街道:street 所属社区:community "
                      "检查日期:registration_date:excel"),
        coverage=pl.when(pl.col("individual")).then(0.25).otherwise(0.6), duplicates=0.03,
        updates_per_year=2, address=AddressStyle(level="district")),
    SourceSpec(
        "laobao_ry", "laobao", "劳保", "person", "laobao_ry.csv", "csv",
        title_row="参保人员明细（导出日期：2024-06-30）",
        columns=_cols("个人编号:person_no 参保人姓名:name 社会保障号码:id_number 性别:gender:code "
                      "出生日期:birth_date:iso 手机号码:phone:plain 户口所在地:household_address:short "
                      "用人单位:employer 参保日期:registration_date:month 参保险种:insurance "
                      "缴费基数:wage_base"),
        coverage=pl.when(pl.col("employer") >= 0).then(0.8).otherwise(0.0), duplicates=0.01,
        updates_per_year=12, noise={"homophone": 0.7, "missing": 0.5},
        missing={"id_number": 0.01, "phone": 0.08}),
    SourceSpec(
        "laobao_dw", "laobao", "劳保", "enterprise", "laobao_dw.xlsx", "xlsx",
        title_row="参保单位信息表",
        # units enrolled before the credit-code reform keep their organisation code in the credit
        # code column; unit phones are keyed as dialled locally, without the area code
        columns=_cols("单位编号:unit_no 参保单位名称:name 统一社会信用代码:uscc:legacy_org_code "
                      "组织机构代码:org_code 单位类型:enterprise_type 法定代表人:legal_rep 单位地址:address "
                      "单位电话:phone:local 参保人数:employees 成立日期:established_date:excel "
                      "缴费状态:payment_status"),
        coverage=pl.when(pl.col("employees") > 0).then(0.95).otherwise(0.15), duplicates=0.02,
        updates_per_year=12, address=AddressStyle(level="city", building="座")),
    SourceSpec(
        "wgzz", "wgzz", "网格综治", "person", "wgzz.tsv", "tsv",
        columns=_cols("网格编号:grid_code 网格员:grid_worker 姓名:name 性别:gender:zh_long "
                      "身份证号:id_number 出生日期:birth_date:iso 联系方式:phone:both 现住址:address "
                      "户籍地址:household_address 人员类别:person_category 采集日期:registration_date:iso"),
        coverage=pl.lit(0.75), duplicates=0.03, updates_per_year=12,
        address=AddressStyle(level="district", building="栋", room="室"),
        missing={"id_number": 0.08, "phone": 0.06}),
)

SOURCE_KEYS = tuple(s.key for s in SOURCES)
SYSTEM_KEYS = tuple(dict.fromkeys(s.system for s in SOURCES))


def select_sources(names: list[str] | None) -> tuple[SourceSpec, ...]:
    """The sources of the named systems or sources (all when none are named)."""
    if not names:
        return SOURCES
    unknown = [n for n in names if n not in SOURCE_KEYS and n not in SYSTEM_KEYS]
    if unknown:
        raise ValueError(f"unknown system {', '.join(unknown)}; choose from {', '.join(SYSTEM_KEYS)} "
                         f"(or sources {', '.join(SOURCE_KEYS)})")
    return tuple(s for s in SOURCES if s.key in names or s.system in names)
