"""Phone numbers: one cell may hold several numbers in many spellings; keep digits only.

Stripped: the country code (+86, 0086, 86-), spaces, dashes, brackets, full-width digits and
extensions (转 123, ext 123).  A cell is split on , ; / 、 | or 或 and, when the pieces are
not one number, on spaces; digits of several mobiles run together (22 digits) are cut in 11s.
Each number is classified mobile (1[3-9] + 9 digits), landline (0 + area code + 7–8 digits;
a number dialled from abroad regains its leading 0), service (400 / 800 numbers) or invalid;
a 7–8 digit local number without area code is a landline flagged `no_area_code`.  Numbers of
one repeated digit (00000000, 11111111111) are placeholders.
"""

from __future__ import annotations

import polars as pl

from linkage.normalize.text import apply_where, blank_placeholders, fold

MOBILE = r"^1[3-9]\d{9}$"
LANDLINE = r"^0[1-9]\d{8,10}$"
LOCAL = r"^[2-9]\d{6,7}$"
SERVICE = r"^[48]00\d{7}$"
_SEPARATORS = r"[,;/、|\n]|或|和|及"
_EXTENSION = r"(?:转|分机|ext\.?|x)\s*\d{1,6}"
_COUNTRY = r"(?:\+|00)\s*86"


def _classify(number: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(type, flag) of a digit string."""
    kind = (
        pl.when(number.str.contains(MOBILE)).then(pl.lit("mobile"))
        .when(number.str.contains(LANDLINE) | number.str.contains(LOCAL)).then(pl.lit("landline"))
        .when(number.str.contains(SERVICE)).then(pl.lit("service"))
    )
    flag = (
        pl.when(number.str.contains(LOCAL)).then(pl.lit("no_area_code"))
        .when(kind.is_not_null()).then(pl.lit("valid"))
        .otherwise(pl.lit("invalid"))
    )
    return kind, flag


def _is_number(digits: pl.Expr) -> pl.Expr:
    return pl.any_horizontal([digits.str.contains(p) for p in (MOBILE, LANDLINE, LOCAL, SERVICE)])


def _number(piece: pl.Expr) -> pl.Expr:
    """The digits of a piece of text, without country code ('+' marks one that was removed)."""
    international = piece.str.contains(r"^\s*\+")
    digits = piece.str.replace_all(r"\D", "")
    return (
        pl.when(digits.str.contains(r"^861[3-9]\d{9}$")).then(digits.str.slice(2))
        .when(international & ~digits.str.contains(MOBILE) & ~digits.str.starts_with("0"))
        .then(pl.concat_str([pl.lit("0"), digits]))
        .otherwise(digits)
    )


def _numbers(text: pl.Series) -> pl.DataFrame:
    """`row`, `number`: the numbers of each cell, one row each, in order.

    A cell is cut into pieces at separators; a piece that is not one number as a whole is cut
    into its words; a word of several mobiles run together is cut into 11-digit runs.
    """
    pieces = (
        pl.DataFrame({"text": text}).with_row_index("row")
        .select("row", pl.col("text").str.split("\x1f").alias("piece"))
        .explode("piece")
        .with_columns(_number(pl.col("piece")).alias("whole"))
    )
    piece, whole = pl.col("piece"), pl.col("whole")
    words = pieces.select(
        "row",
        pl.when(_is_number(whole)).then(pl.concat_list(piece))
        .otherwise(piece.str.strip_chars().str.split(" ")).alias("word"),
    ).explode("word").select("row", _number(pl.col("word")).alias("number"))
    number = pl.col("number")
    return words.select(
        "row",
        pl.when(number.str.contains(r"^(?:1[3-9]\d{9}){2,}$")).then(number.str.extract_all(r"\d{11}"))
        .otherwise(pl.concat_list(number)).alias("number"),
    ).explode("number")


def _parse_cells(folded: pl.Series) -> pl.DataFrame:
    """`number`, `all`, `type`, `flag` of folded cells, splitting each into its numbers."""
    text = (
        folded.str.to_lowercase()
        .str.replace_all(_EXTENSION, "")
        .str.replace_all(_COUNTRY, " +")
        .str.replace_all(r"(^|[^\d])86[\s\-]+(1[3-9])", "${1}${2}")
        .str.replace_all(_SEPARATORS, "\x1f")
    )
    pieces = _numbers(text)
    number = pl.col("number")
    placeholder = number.str.contains("^(?:" + "|".join(f"{d}+" for d in "0123456789") + ")$")
    kind, flag = _classify(number)
    pieces = pieces.with_columns(
        pl.when(~placeholder & (number != "")).then(number).alias("number")
    ).with_columns(kind.alias("type"), flag.alias("flag"))
    rank = (
        pl.when(pl.col("number").is_null()).then(3)
        .when(pl.col("flag") == "valid").then(0)
        .when(pl.col("flag") == "no_area_code").then(1)
        .otherwise(2)
    )
    best = pl.col("rank").arg_min()
    numbers = (
        pieces.with_columns(rank.alias("rank"))
        .group_by("row", maintain_order=True)
        .agg(
            pl.col("number").get(best),
            pl.col("number").drop_nulls().unique(maintain_order=True).str.join(";").alias("all"),
            pl.col("type").get(best),
            pl.col("flag").get(best),
        )
    )
    # a cell with no number in it keeps its text, flagged invalid (placeholders stay null)
    found = pl.col("number").is_not_null()
    return numbers.with_columns(blank_placeholders(folded).alias("text")).select(
        pl.coalesce("number", "text").alias("number"),
        *(pl.when(found).then(pl.col(c)).alias(c) for c in ("all", "type")),
        pl.when(found).then(pl.col("flag"))
        .when(pl.col("text").is_not_null()).then(pl.lit("invalid")).alias("flag"),
    )


def _compact(text: pl.Series) -> pl.Series:
    """Digits of a cell written with spaces, dashes, brackets and a +86 / 0086 prefix only."""
    digits = text.str.replace_all(r"[\s()\-]", "")
    return (
        digits.str.replace(r"^(?:\+86|0086|86)(1[3-9]\d{9})$", "${1}")
        .str.replace(r"^(?:\+86|0086)([1-9]\d{8,10})$", "0${1}")
    )


def normalize_phone(series: pl.Series, prefix: str | None = None) -> pl.DataFrame:
    """Columns `<prefix>` (the first valid number, else the first number), `<prefix>_all`
    (every number, ";"-joined), `<prefix>_type` (mobile / landline / service) and
    `<prefix>_flag` (valid / no_area_code / invalid) of the number in `<prefix>`.

    Cells that hold one mobile or landline number written with digits, spaces, dashes,
    brackets and a country code only (most of them) take a fast path; only the others are
    split and parsed.
    """
    prefix = prefix or series.name
    folded = fold(series)
    spaced = folded.str.contains(r"^[\d\s()\-+]+$") & ~folded.str.contains(r"^\d+$")
    compact = apply_where(folded, spaced, _compact)
    mobile = compact.str.contains(MOBILE).fill_null(False)
    clean = mobile | compact.str.contains(LANDLINE).fill_null(False)
    out = pl.DataFrame({"number": compact, "mobile": mobile, "clean": clean}).select(
        pl.when("clean").then(pl.col("number")).alias("number"),
        pl.when("clean").then(pl.col("number")).alias("all"),
        pl.when("clean").then(
            pl.when("mobile").then(pl.lit("mobile")).otherwise(pl.lit("landline"))
        ).alias("type"),
        pl.when("clean").then(pl.lit("valid")).alias("flag"),
    )
    rows = (~clean).arg_true()
    if len(rows):
        parsed = _parse_cells(folded.gather(rows))
        out = out.with_columns(out[c].scatter(rows, parsed[c]) for c in out.columns)
    return out.rename({"number": prefix, "all": f"{prefix}_all", "type": f"{prefix}_type",
                       "flag": f"{prefix}_flag"})
