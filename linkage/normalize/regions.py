"""Area codes to region names, from the packaged province / prefecture / county list.

An ID number's first six digits name the county where it was issued.  Codes renamed or
abolished since (the list is NBS 2023) still name their prefecture or province, so a region
is named as precisely as the list allows: 440305 → 广东省深圳市南山区, an abolished 440321 →
广东省深圳市, 110101 → 北京市东城区 (municipalities have no prefecture name).
"""

from __future__ import annotations

import functools
from importlib import resources

import polars as pl


@functools.cache
def load_regions() -> pl.DataFrame:
    """`code` (2, 4 or 6 digits), `name`, `level` (province / city / county)."""
    path = resources.files("linkage") / "data" / "regions" / "regions.csv"
    with resources.as_file(path) as csv:
        frame = pl.read_csv(csv, schema={"code": pl.Utf8, "name": pl.Utf8})
    level = (
        pl.when(pl.col("code").str.len_chars() == 2).then(pl.lit("province"))
        .when(pl.col("code").str.len_chars() == 4).then(pl.lit("city"))
        .otherwise(pl.lit("county"))
    )
    return frame.with_columns(level.alias("level"))


def region_names(codes: pl.Series) -> pl.Series:
    """Region name of each 6-digit area code (null when not even the province is known)."""
    regions = load_regions()
    names = dict(zip(regions["code"], regions["name"]))

    def part(width: int) -> pl.Expr:
        return pl.col("code").str.slice(0, width).replace_strict(names, default=None)

    frame = pl.DataFrame({"code": codes.cast(pl.Utf8)})
    county = pl.when(pl.col("code").str.slice(4, 2) != "00").then(part(6))
    province = part(2)
    named = (
        frame.select(
            pl.when(province.is_not_null())
            .then(pl.concat_str([province, part(4), county], ignore_nulls=True))
            .alias("region")
        )
    )
    return named.to_series().alias(codes.name)
