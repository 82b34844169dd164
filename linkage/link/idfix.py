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
uncorrected, as do the numbers of a source whose numbers are mostly invalid (some other code
in an ID column: each would cost 180 lookups for nothing).  The candidates are made in Python
and looked up in the engine, a chunk of invalid numbers at a time (the valid numbers never
leave the engine).
"""

from __future__ import annotations

import polars as pl

CHARACTERS = "0123456789"
LENGTH = 18
CHUNK = 50_000  # invalid numbers expanded at a time (each to about 180 candidates)
# a source whose filled numbers are invalid more often than this holds some other code in the
# column (not ID numbers with a typo here and there): its numbers are not corrected
MAX_INVALID_SHARE = 0.2


def candidates(invalid: pl.DataFrame) -> pl.DataFrame:
    """(record_id, candidate) for every number one substitution (a digit, or X as the check
    character) or one neighbour swap away from `invalid`'s `number` (18 characters)."""
    n = pl.col("number")
    variants = [pl.concat_str([n.str.slice(0, i), pl.lit(ch), n.str.slice(i + 1)])
                for i in range(LENGTH) for ch in CHARACTERS + ("X" if i == LENGTH - 1 else "")]
    variants += [pl.concat_str([n.str.slice(0, i), n.str.slice(i + 1, 1), n.str.slice(i, 1),
                                n.str.slice(i + 2)]) for i in range(LENGTH - 1)]
    return (invalid.lazy().select("record_id", pl.concat_list(variants).alias("candidate"))
            .explode("candidate").unique(["record_id", "candidate"]).collect())


def correct(engine, invalid: pl.DataFrame, valid: str, table: str) -> None:
    """Temp table `table` (record_id, fixed): for each of `invalid`'s numbers (record_id, number;
    18 characters) the one number of the query `valid` (column `number`: the run's valid
    numbers) it can be, where there is exactly one."""
    found = [pl.DataFrame(schema={"record_id": pl.Int64, "fixed": pl.Utf8})]
    for start in range(0, invalid.height, CHUNK):
        engine.load(f"{table}_candidates", candidates(invalid.slice(start, CHUNK)), temp=True)
        found.append(engine.sql(
            f"SELECT c.record_id, min(c.candidate) AS fixed FROM {table}_candidates c "
            f"JOIN ({valid}) v ON c.candidate = v.number "
            f"GROUP BY c.record_id HAVING count(DISTINCT c.candidate) = 1"))
        engine.drop_table(f"{table}_candidates")
    engine.load(table, pl.concat(found, how="vertical_relaxed"), temp=True)
