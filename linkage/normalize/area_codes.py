"""Telephone area codes (长途区号) of places, to complete landline numbers written without one.

The packaged table (linkage/data/phones/area_codes.csv, from libphonenumber; its README says how
it was built and what it lacks) gives the code each prefecture, municipality or county-level
city dials under.  `area_codes_of(province, city, district)` looks a code up per record from the
names an address normalizes to (county first, so 湖北省仙桃市 → 0728, then the prefecture);
`area_code_of_hint` does the same for a run's region hint ("深圳市", "南山区").  A place the
table lists under two codes (晋中: 0354 and 0358) or not at all has none: null.
`AREA_CODES` is the regex alternation of every known code without its trunk 0 (755|10|…).
"""

from __future__ import annotations

import functools
from importlib import resources

import polars as pl

from linkage.normalize.address.divisions import MUNICIPALITIES, names, resolve_hint

_PLACE = ("province", "city", "district")


@functools.cache
def load_area_codes() -> pl.DataFrame:
    """`area_code` ("0755"), `code`, `province`, `city`, `district` (see the module docstring)."""
    path = resources.files("linkage") / "data" / "phones" / "area_codes.csv"
    with resources.as_file(path) as csv:
        return pl.read_csv(csv, infer_schema=False)


@functools.cache
def _unambiguous() -> pl.DataFrame:
    """`province`, `city`, `district`, `area_code`: the places with exactly one code."""
    return (load_area_codes().group_by(_PLACE)
            .agg(pl.col("area_code").unique())
            .filter(pl.col("area_code").list.len() == 1)
            .select(*_PLACE, pl.col("area_code").list.first()))


def _known() -> str:
    codes = load_area_codes()["area_code"].unique().str.slice(1).sort(descending=True)
    return "|".join(codes.to_list())


AREA_CODES = _known()


def area_codes_of(province: pl.Series, city: pl.Series, district: pl.Series) -> pl.Series:
    """The area code of each record's place (null where unknown or ambiguous), row-aligned."""
    table = _unambiguous()
    places = pl.DataFrame({"province": province, "city": city, "district": district},
                          schema={p: pl.Utf8 for p in _PLACE})
    counties = table.filter(pl.col("district").is_not_null())
    cities = table.filter(pl.col("district").is_null()).drop("district")
    found = (
        places.join(counties.rename({"area_code": "by_county"}), on=list(_PLACE), how="left",
                    nulls_equal=True, maintain_order="left")
        .join(cities.rename({"area_code": "by_city"}), on=["province", "city"], how="left",
              maintain_order="left")
    )
    return found.select(pl.coalesce("by_county", "by_city").alias("area_code")).to_series()


@functools.cache  # a run asks once per chunk and phone column; the answer costs 0.1–0.4 s
def area_code_of_hint(hint: str | None) -> str | None:
    """The area code of the place a region hint names, when every division it may name
    (鼓楼区 is in four cities) has the same one."""
    codes = resolve_hint(hint)["code"].to_list() if hint else []
    if not codes:
        return None
    lookup = dict(zip(names()["code"].to_list(), names()["name"].to_list()))

    def place(code: int) -> tuple[str | None, str | None, str | None]:
        text = str(code)
        province = lookup.get(int(text[:2]))
        city = province if int(text[:2]) in MUNICIPALITIES else lookup.get(int(text[:4])) if len(text) >= 4 else None
        return province, city, lookup.get(code) if len(text) == 6 else None

    province, city, district = zip(*map(place, codes))
    found = area_codes_of(pl.Series(province), pl.Series(city), pl.Series(district)).unique()
    return found[0] if len(found) == 1 and found[0] is not None else None
