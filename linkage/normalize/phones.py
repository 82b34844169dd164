"""Phone numbers: one cell may hold several numbers in many spellings; keep digits only.

Stripped: the country code (+86, 0086, 86-), spaces, dashes, brackets, full-width digits and
extensions (转 123, ext 123).  A cell is split on , ; / 、 | or 或 and, when the pieces are
not one number, on spaces; digits of several mobiles run together (22 digits) are cut in 11s.
Each number is classified mobile (1[3-9] + 9 digits), landline (0 + area code + 7–8 digits;
a number dialled from abroad regains its leading 0), service (400 / 800 numbers) or invalid;
a 7–8 digit local number without area code is a landline flagged `no_area_code`.  Numbers of
one repeated digit (00000000, 11111111111) are placeholders.

Landlines are read by their digits, wherever the separators fall (075-550928397 and
0755-50928397 are one number), and a landline is recognised in the forms that can only be read
one way given the known area codes (linkage.normalize.area_codes): an area code written
without its trunk 0 (755-50928397, 86-755-50928397) and an area code split off by a space
from the rest of the number in a cell of several numbers (0755 50928397 13800138000,
075 550928397 13800138000).  `complete_local_numbers` gives local numbers the area code of the
record's place (50928397 in Shenzhen → 075550928397, flagged `area_code_added`, the written
number kept in `<prefix>_written`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import polars as pl

from linkage.normalize.area_codes import AREA_CODES
from linkage.normalize.text import apply_where, blank_placeholders, fold

MOBILE = r"^1[3-9]\d{9}$"
LANDLINE = r"^0[1-9]\d{8,10}$"
LOCAL = r"^[2-9]\d{6,7}$"
SERVICE = r"^[48]00\d{7}$"
# a landline under a known area code: 0 + code + a 7–8 digit number not starting with 0 or 1
KNOWN_LANDLINE = rf"^0(?:{AREA_CODES})[2-9]\d{{6,7}}$"
AreaCodes = pl.Series | Callable[[pl.Series], pl.Series]
_LOCAL_IN_LIST = r"(?:^|;)[2-9][0-9]{6,7}(?:;|$)"
_SEPARATORS = r"[,;/、|\n]|或|和|及"
_EXTENSION = r"(?:转|分机|ext\.?|x)\s*\d{1,6}"
_COUNTRY = r"(^|[^\d])(?:\+|00)\s*86"  # not inside a number (2000086)


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


def _with_trunk(digits: pl.Expr) -> pl.Expr:
    """A landline whose area code lost its trunk 0 (755 50928397, 86 755 50928397) with it
    again, when a known area code makes it one; else the digits."""
    trunk = pl.concat_str([pl.lit("0"), digits])
    abroad = pl.concat_str([pl.lit("0"), digits.str.slice(2)])
    return (
        pl.when(trunk.str.contains(KNOWN_LANDLINE)).then(trunk)
        .when(digits.str.starts_with("86") & abroad.str.contains(KNOWN_LANDLINE)).then(abroad)
        .otherwise(digits)
    )


def _repair_words(words: pl.DataFrame) -> pl.DataFrame:
    """`row`, `number` of the words of each piece (`row`, `part`, `number`, in order), the
    words that are no number repaired: a lost trunk 0 put back, a word joined to the next one
    of its piece when together they make a landline under a known area code."""
    number, part = pl.col("number"), pl.col("part")
    words = words.with_columns(_is_number(number).alias("ok"),
                               pl.when(part.shift(-1) == part).then(number.shift(-1)).alias("next"))
    bad = words.with_row_index("w").filter(~pl.col("ok"))
    if not bad.height:
        return words.select("row", "number")
    alone = _with_trunk(number)
    joined = _with_trunk(pl.concat_str([number, pl.col("next")]))
    fixed = bad.select("w", alone.alias("alone"), joined.alias("joined")).with_columns(
        (~_is_number(pl.col("alone")) & pl.col("joined").str.contains(KNOWN_LANDLINE))
        .fill_null(False).alias("joins"))
    w, joins = fixed["w"].to_numpy(), fixed["joins"].to_numpy()
    joins &= ~np.isin(w - 1, w[joins])  # a word taken by the word before it joins nothing
    value = fixed.select(pl.when(pl.Series(joins)).then("joined").otherwise("alone")).to_series()
    taken = np.zeros(words.height, dtype=bool)
    taken[w[joins] + 1] = True
    return words.select("row", words["number"].clone().scatter(w, value)).filter(pl.Series(~taken))


def _numbers(text: pl.Series) -> pl.DataFrame:
    """`row`, `number`: the numbers of each cell, one row each, in order.

    A cell is cut into pieces at separators; a piece that is not one number as a whole is cut
    into its words (repaired by `_repair_words`); a word of several mobiles run together is cut
    into 11-digit runs.
    """
    pieces = (
        pl.DataFrame({"text": text}).with_row_index("row")
        .select("row", pl.col("text").str.split("\x1f").alias("piece"))
        .explode("piece")
        .with_row_index("part")
        .with_columns(_number(pl.col("piece")).alias("whole"))
    )
    piece, whole = pl.col("piece"), pl.col("whole")
    words = _repair_words(pieces.select(
        "row", "part",
        pl.when(_is_number(whole)).then(pl.concat_list(piece))
        .otherwise(piece.str.strip_chars().str.split(" ")).alias("word"),
    ).explode("word").select("row", "part", _number(pl.col("word")).alias("number")))
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
        .str.replace_all(_COUNTRY, "${1} +")
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
    (every number, ";"-joined), `<prefix>_type` (mobile / landline / service),
    `<prefix>_flag` (valid / no_area_code / invalid) of the number in `<prefix>`, and
    `<prefix>_written` (null: filled by `complete_local_numbers`).

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
    return out.select(
        pl.col("number").alias(prefix), pl.col("all").alias(f"{prefix}_all"),
        pl.col("type").alias(f"{prefix}_type"), pl.col("flag").alias(f"{prefix}_flag"),
        pl.lit(None, pl.Utf8).alias(f"{prefix}_written"),
    )


def complete_local_numbers(phones: pl.DataFrame, area_codes: AreaCodes, prefix: str) -> pl.DataFrame:
    """`phones` (the columns of `normalize_phone`) with each local number given the area code
    of its record's place: `<prefix>` and the numbers of `<prefix>_all` completed, and where
    `<prefix>` was local, `<prefix>_flag` area_code_added and `<prefix>_written` the number as
    written.  `area_codes` ("0755"; null where unknown) is a column row-aligned with `phones`,
    or a function giving the area codes of the rows (indices) it is asked for — only the cells
    holding a local number are looked up."""
    every, flag = f"{prefix}_all", f"{prefix}_flag"
    # a local number is the first one (flag no_area_code) or one of several: only those cells
    # are searched
    maybe = (phones[flag] == "no_area_code") | phones[every].str.contains(";", literal=True)
    rows = maybe.fill_null(False).arg_true()
    rows = rows.filter(phones[every].gather(rows).str.contains(_LOCAL_IN_LIST))
    if len(rows):
        area = area_codes.gather(rows) if isinstance(area_codes, pl.Series) else area_codes(rows)
        rows, area = rows.filter(area.is_not_null()), area.drop_nulls()
    if not len(rows):
        return phones
    chosen = phones.gather(rows)
    items = (
        pl.DataFrame({"area": area, "number": chosen[every].str.split(";")})
        .with_row_index("i").explode("number")
        .select("i", pl.when(pl.col("number").str.contains(LOCAL))
                .then(pl.concat_str("area", "number")).otherwise("number").alias("number"))
        .group_by("i", maintain_order=True)
        .agg(pl.col("number").unique(maintain_order=True).str.join(";"))
    )
    local = pl.col(flag) == "no_area_code"
    done = chosen.with_columns(area.alias("_area")).select(
        pl.when(local).then(pl.concat_str("_area", prefix)).otherwise(prefix).alias(prefix),
        items["number"].alias(every),
        pl.col(f"{prefix}_type"),
        pl.when(local).then(pl.lit("area_code_added")).otherwise(flag).alias(flag),
        pl.when(local).then(pl.col(prefix)).otherwise(f"{prefix}_written").alias(f"{prefix}_written"),
    )
    return phones.with_columns(phones[c].scatter(rows, done[c]) for c in phones.columns)
