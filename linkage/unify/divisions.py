"""GB/T 2260 division codes of parsed addresses, for the `<address>_division_code` columns.

The normalizer splits an address into `<a>_province`, `<a>_city`, `<a>_district` names; this
module looks them up in the packaged division list (linkage/data/regions, NBS 2023) and writes
the working table `_unify_division_codes` (record_id, attribute, code): the six-digit code of the county
when province and county name one county (the city must agree when both sides know it), else of
the city (4403 → 440300), else of the province (44 → 440000).  Names that match nothing or match
several counties give no code.
"""

from __future__ import annotations

import polars as pl

from linkage.attributes import ATTRIBUTES
from linkage.columns import derived
from linkage.engine import Engine, Scratch
from linkage.normalize.regions import load_regions

TABLE = "_unify_division_codes"


def _divisions() -> pl.DataFrame:
    """code (6 digits), province, city, county names of every province, city and county."""
    regions = load_regions()
    names = dict(zip(regions["code"], regions["name"]))

    def name_of(width: int) -> pl.Expr:
        return pl.col("code").str.slice(0, width).replace_strict(names, default=None)

    length = pl.col("code").str.len_chars()
    return regions.select(
        pl.col("code").str.pad_end(6, "0").alias("division_code"),
        name_of(2).alias("province"),
        pl.when(length >= 4).then(name_of(4)).alias("city"),
        pl.when(length == 6).then(pl.col("name")).alias("county"),
        pl.when(length == 2).then(pl.lit("province")).when(length == 4).then(pl.lit("city"))
        .otherwise(pl.lit("county")).alias("level"),
    )


def division_codes(engine: Engine, scratch: Scratch, entity: str) -> list[str]:
    """Write `_unify_division_codes` into `scratch` for the address attributes of `entity` whose
    parts are in `records`; returns those attributes."""
    d = engine.dialect
    columns = set(engine.columns("records"))
    levels = ("province", "city", "district")
    attributes = [a.name for a in ATTRIBUTES[entity].values() if a.kind == "address"
                  and {derived(a.name, level) for level in levels} <= columns]
    scratch.load("_unify_divisions", _divisions())
    selects = []
    for a in attributes:
        p, c, n = (d.quote(derived(a, level)) for level in levels)
        selects.append(f"""
        SELECT record_id, {d.literal(a)} AS attribute, {p} AS p, {c} AS c, {n} AS d
        FROM records WHERE entity_type = {d.literal(entity)} AND coalesce({p}, {c}) IS NOT NULL""")
    body = " UNION ALL ".join(selects) or (
        f"SELECT {d.null('bigint')} record_id, {d.null('text')} attribute, {d.null('text')} p, "
        f"{d.null('text')} c, {d.null('text')} d WHERE false")
    scratch.create(TABLE, f"""
        WITH parts AS ({body}),
        names AS (SELECT DISTINCT p, c, d FROM parts),
        matched AS (
            SELECT names.*, 1 AS precision, min(v.division_code) AS code, count(*) AS n
            FROM names JOIN _unify_divisions v ON v.level = 'county' AND v.county = names.d
            WHERE (names.p IS NULL OR v.province = names.p)
              AND (names.c IS NULL OR v.city IS NULL OR v.city = names.c)
            GROUP BY ALL
            UNION ALL
            SELECT names.*, 2, min(v.division_code), count(*)
            FROM names JOIN _unify_divisions v ON v.level = 'city' AND v.city = names.c
            WHERE names.p IS NULL OR v.province = names.p
            GROUP BY ALL
            UNION ALL
            SELECT names.*, 3, min(v.division_code), count(*)
            FROM names JOIN _unify_divisions v ON v.level = 'province' AND v.province = names.p
            GROUP BY ALL),
        coded AS (
            SELECT p, c, d, {d.arg_min('code', 'precision')} AS code FROM matched WHERE n = 1
            GROUP BY p, c, d)
        SELECT parts.record_id, parts.attribute, coded.code
        FROM parts JOIN coded
          ON parts.p IS NOT DISTINCT FROM coded.p AND parts.c IS NOT DISTINCT FROM coded.c
         AND parts.d IS NOT DISTINCT FROM coded.d""")
    scratch.drop("_unify_divisions")
    return attributes
