"""Area codes to region names, from the packaged province / prefecture / county list.

An ID number's first six digits name the county where it was issued.  Codes in use (the list
is NBS 2023) are named from it: 440305 → 广东省深圳市南山区, 110101 → 北京市东城区
(municipalities have no prefecture name).  Codes renamed or abolished since 1980 are named as
they were, from the packaged code history (`linkage.normalize.address.history`): 330104 →
浙江省杭州市江干区, 330183 → 浙江省杭州市富阳市; a code in neither still names its prefecture or
province.
"""

from __future__ import annotations

import functools
from importlib import resources

import polars as pl

from linkage.normalize.address.history import historic_regions


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
    historic = pl.col("code").replace_strict(historic_regions(), default=None)
    named = (
        frame.select(
            pl.when(province.is_not_null() & (county.is_not_null() | historic.is_null()))
            .then(pl.concat_str([province, part(4), county], ignore_nulls=True))
            .otherwise(historic)
            .alias("region")
        )
    )
    return named.to_series().alias(codes.name)
