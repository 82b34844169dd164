"""The names of derived columns, for the stages that write them and the stages that read them.

A derived column is named after the column it comes from; this module is the one place that
spells those names, so a producer (normalize, link) and a consumer (link, measure, unify,
report, review) cannot drift apart.  What each column holds is documented where it is made:
`records` columns in linkage.normalize, feature and pair columns in linkage.link.

| table | name | function |
|---|---|---|
| records | `<a>_flag`: the normalizer's verdict on the value | `flag` |
| records | `<a>_pinyin`, `_initials`, `_key`, `_core`, `_code`, `_legacy`, `_all` … | `derived` |
| records | `<a>_road`, `_number`, `_building`, `_unit`, `_room` (dwelling parts) | `address_parts` |
| records | `<a>_province`, `_city`, `_district`, `_community` (divisions) | `derived` |
| pairs | `<c>_l`, `<c>_r`: the two records' sides | `side` |
| pairs | `gamma_<comparison>`: the level a pair reaches | `gamma` |
| pairs | `bf_<comparison>`: the Bayes factor of that level | `bayes_factor` |
| link features | `tf__<c>`: the share of the entity type's values equal to the record's | `term_frequency` |
| link features | `ident__<c>`: an identifier's value where it is valid | `identifier_value` |
| golden_<entity> | `<column>_source`: the source a golden value came from | `source_of` |
"""

from __future__ import annotations

# the parsed address parts that identify a dwelling, in address order
DWELLING_PARTS = ("road", "number", "building", "unit", "room")
# the pair sides: left and right record
SIDES = ("l", "r")
# prefixes of the link features' term-frequency and identifier-value columns
TERM_FREQUENCY = "tf__"
IDENTIFIER_VALUE = "ident__"
IDENTIFIER_WRITTEN = "ident_any__"


def derived(column: str, suffix: str) -> str:
    """`<column>_<suffix>`: a column derived from `column` (pinyin, key, core, code …)."""
    return f"{column}_{suffix}"


def flag(column: str) -> str:
    """The normalizer's flag of `column` (valid, invalid, …)."""
    return derived(column, "flag")


def address_parts(column: str) -> tuple[str, ...]:
    """The dwelling parts of address `column`: road, number, building, unit, room."""
    return tuple(derived(column, part) for part in DWELLING_PARTS)


def side(column: str, which: str) -> str:
    """`column` of the left ("l") or right ("r") record of a pair."""
    if which not in SIDES:
        raise ValueError(f"a pair side is 'l' or 'r', not {which!r}")
    return f"{column}_{which}"


def gamma(comparison: str) -> str:
    """The level a pair reaches on `comparison` (−1: missing)."""
    return f"gamma_{comparison}"


def bayes_factor(comparison: str) -> str:
    """The Bayes factor of the level a pair reaches on `comparison`."""
    return f"bf_{comparison}"


def term_frequency(column: str) -> str:
    """A link feature: the share of the entity type's non-null `column` values equal to the
    record's (for frequency-weighted levels)."""
    return f"{TERM_FREQUENCY}{column}"


def identifier_value(column: str) -> str:
    """A link feature: identifier `column`'s value where it is valid (null otherwise)."""
    return f"{IDENTIFIER_VALUE}{column}"


def identifier_written(column: str) -> str:
    """A link feature: identifier `column`'s value where it is valid, counting numbers converted
    from the 15-digit form (null otherwise): equality with it is evidence, a difference is not."""
    return f"{IDENTIFIER_WRITTEN}{column}"


def source_of(column: str) -> str:
    """The source a golden record's `column` value was taken from."""
    return f"{column}_source"
