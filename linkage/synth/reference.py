"""The reference vocabularies the synthetic world is drawn from (linkage/data/synth/), loaded once.

Frequencies become sampling weights; confusion sets become lookup frames that the error
injectors join on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parents[1] / "data" / "synth"
CITY = "4403"  # 深圳市: the communities shipped in communities.csv

# Rough shares of Shenzhen's migrants by province of origin (7th census order of magnitude);
# provinces not named share the rest evenly.
MIGRANT_ORIGIN = {
    "44": 30.0, "43": 14.0, "45": 10.0, "36": 7.0, "42": 7.0, "41": 6.0, "51": 4.0,
    "35": 3.0, "50": 2.0, "52": 2.0, "34": 1.5, "46": 1.0, "61": 1.0, "37": 1.0,
}
OTHER_PROVINCES_WEIGHT = 0.3


@dataclass(frozen=True)
class Reference:
    surnames: np.ndarray            # str
    surname_p: np.ndarray           # sampling probabilities
    given_chars: np.ndarray         # str
    given_p_male: np.ndarray
    given_p_female: np.ndarray
    communities: pl.DataFrame       # district_code, district, street_code, street, community_code, community
    areas: pl.DataFrame             # code, province, city, area
    migrant_area_p: np.ndarray      # over areas rows (Shenzhen's own areas excluded)
    local_area_rows: np.ndarray     # rows of areas inside the city
    company_names: np.ndarray       # str
    confusion: pl.DataFrame         # char, homophones (list[str]), shapes (list[str])


def _p(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


@functools.cache
def reference() -> Reference:
    surnames = pl.read_csv(DATA / "surnames.csv")
    given = pl.read_csv(DATA / "given_chars.csv")
    communities = pl.read_csv(DATA / "communities.csv", infer_schema=False)
    areas = pl.read_csv(DATA / "areas.csv", infer_schema=False).with_columns(pl.col("city").fill_null(""))
    codes = areas["code"]
    in_city = codes.str.starts_with(CITY).to_numpy()
    province = codes.str.slice(0, 2)
    weight = province.replace_strict(MIGRANT_ORIGIN, default=OTHER_PROVINCES_WEIGHT,
                                     return_dtype=pl.Float64).to_numpy()
    per_province = province.value_counts().rename({"count": "n"})
    n_in_province = (province.to_frame().join(per_province, on="code", how="left")["n"]).to_numpy()
    weight = np.where(in_city, 0.0, weight / n_in_province)
    names = (DATA / "company_names.txt").read_text(encoding="utf-8").split()
    confusion = pl.read_csv(DATA / "confusion.csv").with_columns(
        pl.col("homophones").fill_null("").str.split("").alias("homophones"),
        pl.col("shapes").fill_null("").str.split("").alias("shapes"))
    confusion = confusion.with_columns(pl.col(c).list.eval(pl.element().filter(pl.element() != ""))
                                       for c in ("homophones", "shapes"))
    return Reference(
        surnames=surnames["surname"].to_numpy().astype(str),
        surname_p=_p(surnames["weight"]),
        given_chars=given["char"].to_numpy().astype(str),
        given_p_male=_p(given["male"]),
        given_p_female=_p(given["female"]),
        communities=communities,
        areas=areas,
        migrant_area_p=_p(weight),
        local_area_rows=np.flatnonzero(in_city),
        company_names=np.asarray(names, dtype=str),
        confusion=confusion,
    )
