"""The canonical vocabulary: person and enterprise attributes, their kinds and header synonyms.

Every source column is mapped onto one of these attributes (or kept as an extra).  The
synonyms are the headers departmental systems really write; `header_key` folds the usual
decoration (spaces, full-width characters, asterisks, "(必填)") before lookup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

EntityType = Literal["person", "enterprise"]
ENTITY_TYPES: tuple[EntityType, ...] = ("person", "enterprise")

# kind drives normalization: which normalizer a column gets
Kind = Literal[
    "person_name", "id_number", "gender", "date", "ethnicity", "phone", "address",
    "enterprise_name", "uscc", "org_code", "reg_number", "text", "code", "number",
]


@dataclass(frozen=True)
class Attribute:
    name: str
    kind: Kind
    label_zh: str
    label_en: str
    synonyms: tuple[str, ...] = field(default=())
    identifying: bool = False


def _a(name, kind, zh, en, synonyms, identifying=False) -> Attribute:
    return Attribute(name, kind, zh, en, tuple(synonyms.split()), identifying)


PERSON: tuple[Attribute, ...] = (
    _a("name", "person_name", "姓名", "Name",
       "姓名 人员姓名 参保人姓名 居民姓名 户主姓名及成员 被登记人姓名 申报人姓名 "
       "登记人姓名 从业人员姓名 职工姓名 育龄妇女姓名 姓名(中文) 名字 xm name fullname", True),
    _a("former_name", "person_name", "曾用名", "Former name", "曾用名 别名 cym"),
    _a("id_number", "id_number", "公民身份号码", "ID number",
       "公民身份号码 身份证号 身份证号码 身份证 证件号码 证件号 社会保障号码 社会保障号 "
       "居民身份证号码 居民身份证号 公民身份证号 公民身份证号码 身份证件号码 证件编号 sfzh zjhm "
       "idcard id_card idno id_number idnumber", True),
    _a("gender", "gender", "性别", "Gender", "性别 xb sex gender"),
    _a("birth_date", "date", "出生日期", "Birth date",
       "出生日期 出生年月 出生年月日 生日 出生时间 csrq birthday birth_date dob date_of_birth"),
    _a("ethnicity", "ethnicity", "民族", "Ethnicity", "民族 mz nation ethnicity"),
    _a("phone", "phone", "联系电话", "Phone",
       "联系电话 手机号码 手机号 手机 电话 电话号码 联系方式 移动电话 本人电话 联系人电话 "
       "lxdh sjhm phone mobile tel telephone phone_number", True),
    _a("address", "address", "现住址", "Current address",
       "现住址 居住地址 现居住地 现居住地址 现住地址 实际居住地址 居住地 住址 家庭住址 "
       "暂住地址 现住地 详细地址 房屋地址 地址 jzdz xzz address addr", True),
    _a("household_address", "address", "户籍地址", "Household registration address",
       "户籍地址 户籍地 户籍所在地 户口所在地 户籍地详址 户籍住址 户口地址 hjdz"),
    _a("native_place", "text", "籍贯", "Native place", "籍贯 jg"),
    _a("community", "text", "所属社区", "Community",
       "社区 所属社区 社区名称 所在社区 居委会 村居 村(社区) sq community"),
    _a("grid", "code", "网格", "Grid", "网格 网格编号 所属网格 网格名称 网格号 wg grid"),
    _a("street", "text", "街道", "Subdistrict", "街道 所属街道 街道办 镇街 乡镇街道 jd"),
    _a("employer", "enterprise_name", "工作单位", "Employer",
       "工作单位 服务处所 就业单位 用人单位 单位名称 所在单位 服务单位 gzdw employer"),
    _a("occupation", "text", "职业", "Occupation", "职业 从事职业 工种 职务 zy occupation"),
    _a("education", "text", "文化程度", "Education", "文化程度 学历 whcd education"),
    _a("marital_status", "text", "婚姻状况", "Marital status", "婚姻状况 婚否 hyzk marital_status"),
    _a("political_status", "text", "政治面貌", "Political status", "政治面貌 zzmm"),
    _a("relation_to_head", "text", "与户主关系", "Relation to household head",
       "与户主关系 与户主的关系 家庭关系 关系 yhzgx"),
    _a("house_code", "code", "房屋编码", "House code", "房屋编码 房屋编号 房屋代码 fwbm"),
    _a("residence_reason", "text", "居住事由", "Reason of residence", "居住事由 暂住事由 来深事由"),
    _a("move_in_date", "date", "入住日期", "Move-in date",
       "入住日期 入住时间 来本市日期 来深日期 居住起始日期 迁入日期"),
    _a("spouse_name", "person_name", "配偶姓名", "Spouse name", "配偶姓名 配偶"),
    _a("spouse_id_number", "id_number", "配偶身份证号", "Spouse ID number",
       "配偶身份证号 配偶身份证号码 配偶公民身份号码 配偶证件号码"),
    _a("registration_date", "date", "登记日期", "Registration date",
       "登记日期 登记时间 采集时间 采集日期 申报日期 申报时间 录入时间 录入日期 填报日期 "
       "更新时间 参保日期 djrq cjsj"),
)

ENTERPRISE: tuple[Attribute, ...] = (
    _a("name", "enterprise_name", "企业名称", "Enterprise name",
       "企业名称 单位名称 公司名称 名称 企业(单位)名称 用人单位名称 参保单位名称 经营者名称 "
       "商户名称 qymc dwmc company company_name enterprise_name name", True),
    _a("uscc", "uscc", "统一社会信用代码", "Unified social credit code",
       "统一社会信用代码 社会信用代码 信用代码 统一信用代码 单位代码 tyshxydm uscc credit_code", True),
    _a("org_code", "org_code", "组织机构代码", "Organisation code",
       "组织机构代码 机构代码 组织机构代码证 zzjgdm org_code", True),
    _a("reg_number", "reg_number", "注册号", "Registration number",
       "注册号 工商注册号 营业执照号 营业执照注册号 zch reg_number", True),
    _a("legal_rep", "person_name", "法定代表人", "Legal representative",
       "法定代表人 法人代表 法人 负责人 法定代表人姓名 法人姓名 经营者 fddbr legal_rep", True),
    _a("legal_rep_id_number", "id_number", "法定代表人身份证号", "Legal representative ID number",
       "法定代表人身份证号 法人身份证号 法人身份证号码 法定代表人证件号码 负责人身份证号 "
       "法人证件号码"),
    _a("phone", "phone", "联系电话", "Phone",
       "联系电话 电话 企业电话 单位电话 联系方式 手机号码 手机 办公电话 lxdh phone tel", True),
    _a("address", "address", "经营地址", "Business address",
       "经营地址 生产经营地址 企业地址 单位地址 地址 注册地址 住所 经营场所 详细地址 dz address", True),
    _a("industry", "text", "行业", "Industry",
       "行业 所属行业 行业类别 行业分类 国民经济行业 hy industry"),
    _a("enterprise_type", "text", "企业类型", "Enterprise type",
       "企业类型 单位类型 经济类型 单位性质 企业性质 登记注册类型 qylx"),
    _a("established_date", "date", "成立日期", "Established date",
       "成立日期 成立时间 注册日期 开业日期 clrq"),
    _a("registered_capital", "number", "注册资本", "Registered capital",
       "注册资本 注册资金 注册资本(万元) zczb"),
    _a("employees", "number", "从业人数", "Employees",
       "从业人数 职工人数 员工人数 从业人员数 参保人数 员工数 cyrs"),
    _a("business_scope", "text", "经营范围", "Business scope", "经营范围 jyfw"),
    _a("contact_person", "person_name", "联系人", "Contact person", "联系人 联系人姓名 lxr"),
    _a("safety_supervisor", "person_name", "安全负责人", "Safety officer",
       "安全负责人 安全管理人员 安全员"),
    _a("community", "text", "所属社区", "Community",
       "社区 所属社区 社区名称 所在社区 sq community"),
    _a("grid", "code", "网格", "Grid", "网格 网格编号 所属网格 网格名称 wg grid"),
    _a("street", "text", "街道", "Subdistrict", "街道 所属街道 镇街 jd"),
    _a("registration_date", "date", "登记日期", "Registration date",
       "登记日期 登记时间 采集时间 采集日期 录入时间 录入日期 填报日期 更新时间 djrq"),
)

ATTRIBUTES: dict[str, dict[str, Attribute]] = {
    "person": {a.name: a for a in PERSON},
    "enterprise": {a.name: a for a in ENTERPRISE},
}

_DECORATION = re.compile(r"[\s\*＊:：_\-—·.]+|[（(](?:必填|选填|必录|可选|万元)[)）]")


def header_key(header: str) -> str:
    """Fold a header for synonym lookup: NFKC, lower case, no spaces/asterisks/colons, no
    invisible format characters (zero-width space, BOM, soft hyphen)."""
    text = "".join(ch for ch in str(header) if unicodedata.category(ch) != "Cf")
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = _DECORATION.sub("", text)
    return text


def _synonym_index(entity: EntityType) -> dict[str, str]:
    index: dict[str, str] = {}
    for attr in ATTRIBUTES[entity].values():
        for syn in (attr.name, *attr.synonyms):
            index.setdefault(header_key(syn), attr.name)
    return index


SYNONYMS: dict[str, dict[str, str]] = {e: _synonym_index(e) for e in ENTITY_TYPES}


def attribute_for_header(header: str, entity: EntityType) -> str | None:
    """The canonical attribute a header names exactly (after folding), or None."""
    return SYNONYMS[entity].get(header_key(header))


def attribute(entity: EntityType, name: str) -> Attribute:
    return ATTRIBUTES[entity][name]
