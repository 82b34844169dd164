"""Column types and national standards of the unified schema, per canonical attribute kind.

One `ColumnType` per kind says how a canonical attribute is stored in the unified tables:
the SQL type (accepted by DuckDB and PostgreSQL alike), the JSON Schema fragment, the standard
it follows, which normalized `records` column carries the value, and — for coded attributes —
the SQL condition a value must meet to enter a golden record (`conforms`).  A value that fails the condition
stays in `records` (flagged, for correction at source) but never in the unified tables, so the
CHECK constraints of unified_schema.sql always hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from linkage.attributes import ATTRIBUTES, Attribute
from linkage.engine.dialect import Dialect

# SIMILAR TO patterns: PostgreSQL and DuckDB both read them as whole-value regular expressions
ID_PATTERN = "[0-9]{17}[0-9X]"
USCC_PATTERN = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
ORG_CODE_PATTERN = "[0-9A-Z]{8}[0-9X]"
ETHNICITY_PATTERN = "[0-9]{2}"
DATE_PATTERN = "[0-9]{4}-[0-9]{2}(-[0-9]{2})?"
GENDER_CODES = ("0", "1", "2", "9")


@dataclass(frozen=True)
class ColumnType:
    sql_type: str
    json: dict
    standard: str | None
    transformation_zh: str
    transformation_en: str
    value_suffix: str = ""          # records column = attribute + suffix (ethnicity → _code)
    pattern: str | None = None      # SIMILAR TO pattern of the CHECK constraint
    codes: tuple[str, ...] = ()     # IN (...) list of the CHECK constraint
    strict: bool = False            # only values flagged valid enter golden records
    condition: str | None = None    # further SQL condition on the value "{v}"
    cast: str | None = None         # type of the golden column (else text), a Dialect type name

    def conforms(self, d: Dialect, value: str, flag: str | None) -> str:
        """SQL condition (in dialect `d`) a value must meet to enter a golden record: the CHECK
        constraint's pattern or codes, the further condition and, when strict, a valid flag."""
        if self.pattern:
            conditions = [d.matches(value, self.pattern)]
        elif self.codes:
            conditions = [f"{value} IN ({d.in_list(self.codes)})"]
        else:
            conditions = []
        if self.condition:
            conditions.append(self.condition.format(v=value))
        if self.strict and flag:
            conditions.append(f"coalesce({flag}, 'valid') = 'valid'")
        return " AND ".join(conditions) or "TRUE"

    def check(self, column: str) -> str | None:
        """The CHECK constraint expression for `column`, or None."""
        if self.pattern:
            return f"{column} SIMILAR TO '{self.pattern}'"
        if self.codes:
            return f"{column} IN ({', '.join(repr(c) for c in self.codes)})"
        return None


_TEXT = ColumnType("VARCHAR", {"type": "string"}, None,
                   "去首尾空格、全角转半角、占位符（无/不详）置空", "trimmed, full-width folded, placeholders to null")

TYPES: dict[str, ColumnType] = {
    "person_name": ColumnType(
        "VARCHAR", {"type": "string"}, None,
        "去空格与标点、繁体转简体", "spaces and punctuation removed, traditional to simplified"),
    "enterprise_name": ColumnType(
        "VARCHAR", {"type": "string"}, None,
        "全角转半角、括号统一、繁体转简体", "full-width folded, brackets unified, traditional to simplified"),
    "id_number": ColumnType(
        "VARCHAR(18)", {"type": "string", "pattern": f"^{ID_PATTERN}$"}, "GB 11643-1999",
        "15 位旧号升 18 位、末位大写 X、校验码与出生日期检查；无效号码不入库",
        "15-digit numbers upgraded to 18, upper-case X, check digit and birth date verified; "
        "invalid numbers stay out", pattern=ID_PATTERN, strict=True),
    "gender": ColumnType(
        "VARCHAR(1)", {"type": "string", "enum": list(GENDER_CODES)}, "GB/T 2261.1-2003",
        "男/女/M/F 等转为代码 1 男、2 女、0 未知、9 未说明",
        "男/女/M/F … coded 1 male, 2 female, 0 unknown, 9 unspecified",
        codes=GENDER_CODES),
    "date": ColumnType(
        "VARCHAR(10)", {"type": "string", "pattern": f"^{DATE_PATTERN}$"}, "ISO 8601 (GB/T 7408)",
        "各种日期写法转为 YYYY-MM-DD；只知年月的写 YYYY-MM（ISO 8601 简化精度）",
        "any date spelling to YYYY-MM-DD; YYYY-MM when only year and month are known (ISO 8601 "
        "reduced precision)",
        pattern=DATE_PATTERN, condition="(length({v}) = 7 OR try_cast({v} AS DATE) IS NOT NULL)"),
    "ethnicity": ColumnType(
        "VARCHAR(2)", {"type": "string", "pattern": f"^{ETHNICITY_PATTERN}$"}, "GB/T 3304-1991",
        "民族名称（汉/汉族/Han）转为两位民族代码", "ethnicity name (汉, 汉族, Han) to its two-digit code",
        value_suffix="_code", pattern=ETHNICITY_PATTERN),
    "phone": ColumnType(
        "VARCHAR(20)", {"type": "string", "maxLength": 20}, None,
        "只留数字；多个号码取第一个；固话带区号", "digits only; first of several numbers; landlines with area code"),
    "address": ColumnType(
        "VARCHAR", {"type": "string"}, "GB/T 2260 (行政区划部分)",
        "规范地址文本：省市区按 GB/T 2260 区划名称补全", "canonical address text, divisions named after GB/T 2260"),
    "uscc": ColumnType(
        "VARCHAR(18)", {"type": "string", "pattern": f"^{USCC_PATTERN}$"}, "GB 32100-2015",
        "大写、去空格、校验码检查；无效代码不入库",
        "upper case, spaces removed, check character verified; invalid codes stay out",
        pattern=USCC_PATTERN, strict=True),
    "org_code": ColumnType(
        "VARCHAR(9)", {"type": "string", "pattern": f"^{ORG_CODE_PATTERN}$"}, "GB 11714-1997",
        "去连字符、大写、校验码检查；无效代码不入库",
        "hyphen removed, upper case, check digit verified; invalid codes stay out",
        pattern=ORG_CODE_PATTERN, strict=True),
    "reg_number": ColumnType(
        "VARCHAR(20)", {"type": "string", "maxLength": 20}, None,
        "大写、去空格", "upper case, spaces removed"),
    "number": ColumnType(
        "DOUBLE PRECISION", {"type": "number"}, None,
        "全角转半角后按数值保存；非数值不入库", "stored as a number; non-numeric values stay out",
        condition="try_cast({v} AS DOUBLE) IS NOT NULL", cast="double"),
    "text": _TEXT,
    "code": _TEXT,
}

EXTRA_TYPE = ColumnType(
    "VARCHAR", {"type": "string"}, None, "原样保留（文本）", "kept as text")

DIVISION_PATTERN = "[0-9]{6}"
DIVISION_TYPE = ColumnType(
    "VARCHAR(6)", {"type": "string", "pattern": f"^{DIVISION_PATTERN}$"}, "GB/T 2260-2007",
    "由地址解析出的省/市/区县名称对照六位行政区划代码（能到区县就到区县）",
    "six-digit division code of the parsed province / city / county (as precise as known)",
    pattern=DIVISION_PATTERN)


def column_type(attr: Attribute) -> ColumnType:
    return TYPES[attr.kind]


def row_type(row: dict) -> ColumnType:
    """The type of one unified-schema row (extra column, derived division code or attribute)."""
    if row.get("derived") == "division_code":
        return DIVISION_TYPE
    if not row["attribute"]:
        return EXTRA_TYPE
    return column_type(ATTRIBUTES[row["entity_type"]][row["attribute"]])


def value_column(attr: Attribute) -> str:
    """The normalized `records` column whose value a golden record takes for `attr`."""
    return attr.name + column_type(attr).value_suffix
