"""The city the exports' addresses are in, for the config's `region:` when it is clear.

Current addresses (the `address` column of each source, never the household address, which
names where people come from) are read without a hint by `linkage.normalize.normalize_address`;
the city most of those naming a city agree on is the region when it holds at least
`CLEAR_SHARE` of them and `MIN_ADDRESSES` name one.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from linkage.normalize.addresses import normalize_address

SAMPLE = 2000        # addresses read per source
CLEAR_SHARE = 0.6
MIN_ADDRESSES = 20


@dataclass(frozen=True)
class Region:
    city: str | None      # the most common city (None when no address names one)
    share: float          # of the addresses that name a city
    addresses: int        # addresses that name a city
    clear: bool


def find_region(addresses: list[pl.Series]) -> Region:
    """The most common city of these address samples, and whether it is clear."""
    values = pl.concat([a.cast(pl.Utf8).drop_nulls().head(SAMPLE).rename("a") for a in addresses]
                       or [pl.Series("a", [], pl.Utf8)])
    cities = normalize_address(values, "a")["a_city"].drop_nulls()
    if cities.len() == 0:
        return Region(None, 0.0, 0, False)
    counts = cities.value_counts(name="n").sort(["n", "a_city"], descending=[True, False])
    city, n = counts.row(0)
    share = n / cities.len()
    return Region(city, share, cities.len(), share >= CLEAR_SHARE and cities.len() >= MIN_ADDRESSES)
