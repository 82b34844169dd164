"""ID numbers keyed with one error, read back as the one valid number of the run they can be.

An 18-digit ID number with one wrong digit or two swapped neighbours fails its check character
(MOD 11-2 catches both) or its birth date, so the normalizer flags it invalid.  In a source that
shares nothing with the others but the ID number (a contributions roster keyed by ID), such a
record has no blocking rule to its twins: the name-with-segment rules need a name.  But of the
180 numbers one substitution or one neighbour swap away from it, usually exactly one is a valid
number some other record of the run holds, and a chance hit is rare (a number of the same area,
birth date and check that is also someone else's).  That number is the record's *corrected*
ID: the key `<column>__fixed` (`linkage.link.keys`) holds it (and, for a valid number, the
number itself), and two records whose written or corrected numbers are one count as sharing
their identifier (`linkage.link.features.pair_frame`), as strong as an exact valid match where
the name does not contradict it.  A number with no valid neighbour, or with several, stays
uncorrected.
"""

from __future__ import annotations

import polars as pl

CHARACTERS = "0123456789"
LENGTH = 18
CHUNK = 50_000  # invalid numbers expanded at a time (each to about 180 candidates)


def corrections(invalid: pl.DataFrame, valid: pl.Series) -> pl.DataFrame:
    """(record_id, fixed): for each of `invalid`'s numbers (record_id, number; 18 characters)
    the one number of `valid` (distinct valid numbers of the run) it can be, where there is
    exactly one."""
    known = pl.DataFrame({"candidate": valid.unique()}).lazy()
    found = []
    for start in range(0, invalid.height, CHUNK):
        part = invalid.slice(start, CHUNK)
        expanded = part.lazy().select(
            "record_id", pl.concat_list(_variants()).alias("candidate")).explode("candidate")
        found.append(expanded.join(known, on="candidate", how="semi")
                     .unique(["record_id", "candidate"])
                     .group_by("record_id").agg(pl.col("candidate").first().alias("fixed"),
                                                pl.len().alias("hits"))
                     .filter(pl.col("hits") == 1).select("record_id", "fixed").collect())
    return pl.concat(found) if found else pl.DataFrame(
        schema={"record_id": pl.Int64, "fixed": pl.Utf8})


def _variants() -> list[pl.Expr]:
    n = pl.col("number")
    out = [pl.concat_str([n.str.slice(0, i), pl.lit(ch), n.str.slice(i + 1)])
           for i in range(LENGTH) for ch in CHARACTERS + ("X" if i == LENGTH - 1 else "")]
    out += [pl.concat_str([n.str.slice(0, i), n.str.slice(i + 1, 1), n.str.slice(i, 1),
                           n.str.slice(i + 2)]) for i in range(LENGTH - 1)]
    return out
