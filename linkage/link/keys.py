"""Blocking keys: the record columns a blocking rule joins on, and keys derived from them.

A rule names keys; a key is
- a column of the records (`phone`, `name_pinyin`, `address_key`);
- a segment of an ID-number column, so a rule survives one wrong digit or two swapped
  neighbours elsewhere in the number: `<column>__area6` (the 6-digit area code),
  `<column>__birth8` (the 8-digit birth date; the 15-digit form gets its century),
  `<column>__seq3` (the 3-digit sequence number);
- an ID number as the run can read it, `<column>__fixed`: the valid number, or for an invalid
  18-digit one the one valid number of the run a wrong digit or two swapped neighbours away
  (`linkage.link.idfix`; computed in the feature table from the whole run, not by `key_sql`);
- an address's dwelling, `<address>__house`: its parsed road, number, building, unit and room
  (the normalizer's `<address>_road` … `<address>_room`), only where road, number and room are
  there — the same flat however the district and community were written or left out, which
  `<address>_key` holds;
- two columns in either order, `<a>+<b>` (`name+former_name`): equal when the two values
  are equal as a set, so given name and surname written in each other's field still block.

`key_sql` turns a key into SQL over the cleaned columns; `columns_read` says which records
columns a key reads.  Derived keys are computed in the feature table, never stored in records.
"""

from __future__ import annotations

from typing import Callable

SEGMENT_SEPARATOR = "__"
# ID-number segments: SQL over the cleaned value `c` (18-digit form, or 15-digit legacy)
SEGMENTS: dict[str, Callable[[str], str]] = {
    "area6": lambda c: f"CASE WHEN length({c}) >= 15 THEN left({c}, 6) END",
    "birth8": lambda c: (f"CASE WHEN length({c}) = 18 THEN substr({c}, 7, 8) "
                         f"WHEN length({c}) = 15 THEN '19' || substr({c}, 7, 6) END"),
    "seq3": lambda c: (f"CASE WHEN length({c}) = 18 THEN substr({c}, 15, 3) "
                       f"WHEN length({c}) = 15 THEN substr({c}, 13, 3) END"),
}
FIXED = "fixed"
HOUSE = "house"
HOUSE_PARTS = ("road", "number", "building", "unit", "room")
HOUSE_REQUIRED = ("road", "number", "room")
EITHER_ORDER = "+"


def columns_read(key: str) -> list[str]:
    """The records columns a key reads."""
    if EITHER_ORDER in key:
        return key.split(EITHER_ORDER)
    column, _, segment = key.partition(SEGMENT_SEPARATOR)
    if segment == HOUSE:
        return [f"{column}_{part}" for part in HOUSE_PARTS]
    return [column]


def is_derived(key: str) -> bool:
    return EITHER_ORDER in key or SEGMENT_SEPARATOR in key


def fixed_key(column: str) -> str:
    return f"{column}{SEGMENT_SEPARATOR}{FIXED}"


def is_fixed(key: str) -> bool:
    """A corrected ID-number key (`<column>__fixed`), which `key_sql` cannot compute."""
    return key.partition(SEGMENT_SEPARATOR)[2] == FIXED


def check_key(key: str, known: set[str] | frozenset[str]) -> str | None:
    """Why `key` is not a valid key over the columns `known`, or None when it is."""
    if EITHER_ORDER in key:
        parts = key.split(EITHER_ORDER)
        if len(parts) != 2 or not all(parts):
            return f"{key!r}: `a+b` names exactly two columns"
        missing = [p for p in parts if p not in known]
        return f"{missing[0]!r} is not a column" if missing else None
    column, sep, segment = key.partition(SEGMENT_SEPARATOR)
    if segment == HOUSE:
        missing = [c for c in columns_read(key) if c not in known]
        return f"{key!r}: {missing[0]!r} is not a column" if missing else None
    if sep and segment not in SEGMENTS and segment != FIXED:
        return (f"{key!r}: unknown segment {segment!r} "
                f"(one of: {', '.join([*SEGMENTS, FIXED, HOUSE])})")
    return None if column in known else f"{column!r} is not a column"


def key_sql(key: str, column_sql: Callable[[str], str]) -> str:
    """SQL for a key; `column_sql(name)` gives the cleaned expression of a records column."""
    if EITHER_ORDER in key:
        a, b = (column_sql(c) for c in key.split(EITHER_ORDER))
        return (f"CASE WHEN ({a}) IS NOT NULL AND ({b}) IS NOT NULL THEN "
                f"least({a}, {b}) || chr(31) || greatest({a}, {b}) END")
    column, sep, segment = key.partition(SEGMENT_SEPARATOR)
    if segment == HOUSE:
        parts = {part: column_sql(f"{column}_{part}") for part in HOUSE_PARTS}
        present = " AND ".join(f"({parts[p]}) IS NOT NULL" for p in HOUSE_REQUIRED)
        joined = " || chr(31) || ".join(f"coalesce({e}, '')" for e in parts.values())
        return f"CASE WHEN {present} THEN {joined} END"
    return SEGMENTS[segment](f"({column_sql(column)})") if sep else column_sql(column)
