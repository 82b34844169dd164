"""Coded person attributes: gender (GB/T 2261.1) and ethnicity (GB/T 3304).

Gender: 男 / 男性 / M / male / 1 → "1", 女 / 女性 / F / female / 2 → "2", 未知 → "0",
未说明 → "9"; anything else is kept as cleaned text and flagged invalid.  `cross_check_gender`
turns the flag into `conflicts_with_id` where the ID number's gender digit says otherwise.

Ethnicity: the 56 names with or without 族 (汉 / 汉族 / 漢族), their GB/T 3304 numeric codes
(1, 01) and two-letter codes (HA), and a few everyday short forms (维族, 蒙族) → the full name
with 族 and the two-digit code.  Both are looked up once per distinct value.
"""

from __future__ import annotations

import polars as pl

from linkage.normalize.text import as_text, clean_text, per_unique, to_simplified

GENDER_CODES = {
    "1": "1", "男": "1", "男性": "1", "m": "1", "male": "1", "man": "1", "先生": "1",
    "2": "2", "女": "2", "女性": "2", "f": "2", "female": "2", "woman": "2", "女士": "2",
    "0": "0", "未知的性别": "0", "u": "0", "unknown": "0",
    "9": "9", "未说明": "9", "未说明的性别": "9", "其他": "9",
}

# GB/T 3304-1991: code, name, two-letter romanised code (order of the standard)
ETHNICITIES = """
01 汉 HA|02 蒙古 MG|03 回 HU|04 藏 ZA|05 维吾尔 UG|06 苗 MH|07 彝 YI|08 壮 ZH|09 布依 BY|
10 朝鲜 CS|11 满 MA|12 侗 DO|13 瑶 YA|14 白 BA|15 土家 TJ|16 哈尼 HN|17 哈萨克 KZ|18 傣 DA|
19 黎 LI|20 傈僳 LS|21 佤 VA|22 畲 SH|23 高山 GS|24 拉祜 LH|25 水 SU|26 东乡 DX|27 纳西 NX|
28 景颇 JP|29 柯尔克孜 KG|30 土 TU|31 达斡尔 DU|32 仫佬 ML|33 羌 QI|34 布朗 BL|35 撒拉 SL|
36 毛南 MN|37 仡佬 GL|38 锡伯 XB|39 阿昌 AC|40 普米 PM|41 塔吉克 TA|42 怒 NU|43 乌孜别克 UZ|
44 俄罗斯 RS|45 鄂温克 EW|46 德昂 DE|47 保安 BN|48 裕固 YG|49 京 GI|50 塔塔尔 TT|51 独龙 DR|
52 鄂伦春 OR|53 赫哲 HZ|54 门巴 MB|55 珞巴 LB|56 基诺 JN|97 其他 QT|98 外国血统 WX
"""
ETHNICITY_ALIASES = {"维族": "维吾尔", "蒙族": "蒙古", "哈族": "哈萨克", "朝族": "朝鲜",
                     "汉人": "汉", "其它": "其他", "其他民族": "其他", "未识别民族": "其他",
                     "外国血统中国籍人士": "外国血统", "穿青人": "其他"}


def _ethnicity_table() -> dict[str, tuple[str, str]]:
    """Every accepted spelling (lower case) → (name with 族, two-digit code)."""
    table: dict[str, tuple[str, str]] = {}
    for entry in ETHNICITIES.replace("\n", "").split("|"):
        code, short, letters = entry.split()
        name = short if code in ("97", "98") else short + "族"
        if code == "98":
            name = "外国血统中国籍人士"
        for spelling in (short, short + "族", name, code, str(int(code)), letters.lower()):
            table[spelling] = (name, code)
    for alias, short in ETHNICITY_ALIASES.items():
        table[alias] = table[short]
    return table


ETHNICITY_TABLE = _ethnicity_table()


def _lookup_key(series: pl.Series) -> pl.Series:
    """Cleaned, simplified text without spaces (lower-cased by the callers for lookup)."""
    return to_simplified(clean_text(series, zeros=False)).str.replace_all(" ", "")


def normalize_gender(series: pl.Series, prefix: str | None = None) -> pl.DataFrame:
    """Columns `<prefix>` (GB/T 2261.1 code, or the cleaned text when unknown) and
    `<prefix>_flag` (valid / invalid)."""
    prefix = prefix or series.name

    def compute(values: pl.Series) -> pl.DataFrame:
        text = _lookup_key(values)
        code = text.str.to_lowercase().replace_strict(GENDER_CODES, default=None)
        return pl.DataFrame({"text": text, "code": code}).select(
            pl.coalesce("code", "text").alias(prefix),
            pl.when(pl.col("code").is_not_null()).then(pl.lit("valid"))
            .when(pl.col("text").is_not_null()).then(pl.lit("invalid"))
            .alias(f"{prefix}_flag"),
        )

    return per_unique(as_text(series), compute)


def cross_check_gender(gender: pl.DataFrame, id_gender: pl.Series, prefix: str) -> pl.DataFrame:
    """`<prefix>_flag` set to conflicts_with_id where a male/female code disagrees with the
    gender the ID number encodes ("1"/"2")."""
    code, flag = pl.col(prefix), pl.col(f"{prefix}_flag")
    conflict = (flag == "valid") & code.is_in(["1", "2"]) & (code != id_gender)
    return gender.with_columns(
        pl.when(conflict.fill_null(False)).then(pl.lit("conflicts_with_id")).otherwise(flag)
        .alias(f"{prefix}_flag")
    )


def normalize_ethnicity(series: pl.Series, prefix: str | None = None) -> pl.DataFrame:
    """Columns `<prefix>` (name with 族, or the cleaned text when unknown), `<prefix>_code`
    (GB/T 3304 two-digit code) and `<prefix>_flag` (valid / invalid)."""
    prefix = prefix or series.name
    names = {k: v[0] for k, v in ETHNICITY_TABLE.items()}
    codes = {k: v[1] for k, v in ETHNICITY_TABLE.items()}

    def compute(values: pl.Series) -> pl.DataFrame:
        text = _lookup_key(values)
        key = text.str.to_lowercase().str.replace(r"^0+(\d)$", "${1}")
        frame = pl.DataFrame({"text": text, "key": key})
        name = pl.col("key").replace_strict(names, default=None)
        return frame.select(
            pl.coalesce(name, "text").alias(prefix),
            pl.col("key").replace_strict(codes, default=None).alias(f"{prefix}_code"),
            pl.when(name.is_not_null()).then(pl.lit("valid"))
            .when(pl.col("text").is_not_null()).then(pl.lit("invalid"))
            .alias(f"{prefix}_flag"),
        )

    return per_unique(as_text(series), compute)
