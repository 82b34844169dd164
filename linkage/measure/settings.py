"""Burden settings (`burden:` in the config): seconds per keyed field, update frequencies, authority weights.

Seconds a grid worker needs to key one field, by attribute kind (the report states them):

| kind                                    | seconds | why |
|-----------------------------------------|---------|-----|
| person_name                             | 5       | 2–4 characters through a pinyin IME |
| enterprise_name                         | 10      | 8–20 characters |
| id_number, uscc                         | 12      | 18 characters, read off a card and checked |
| org_code, reg_number                    | 10      | 9–15 characters |
| phone                                   | 8       | 11 digits, usually asked aloud |
| address                                 | 20      | the longest field: road, number, building, room |
| date                                    | 6       | date picker or 8 digits |
| gender                                  | 2       | a drop-down |
| ethnicity                               | 3       | a drop-down with 56 entries |
| code, number                            | 4       | short codes and counts |
| text                                    | 6       | other free text (occupation, education …) |

`seconds_per_field` overrides them by `<entity_type>.<attribute>`, `<attribute>` or kind (first match
wins).  `updates_per_year` gives how often a system's records are re-keyed or re-verified, by source
key or system; a source's own `updates_per_year` in `sources:` wins, else 1.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from linkage.attributes import ATTRIBUTES

DEFAULT_SECONDS_BY_KIND: dict[str, float] = {
    "person_name": 5, "enterprise_name": 10, "id_number": 12, "uscc": 12, "org_code": 10,
    "reg_number": 10, "phone": 8, "address": 20, "date": 6, "gender": 2, "ethnicity": 3,
    "code": 4, "number": 4, "text": 6,
}


class AuthorityWeights(BaseModel):
    """Weights of the authority score (一数一源); a missing component is left out and the
    other weights rescaled."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    completeness: float = Field(0.4, ge=0)
    validity: float = Field(0.3, ge=0)
    agreement: float = Field(0.3, ge=0)


class BurdenSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    seconds_per_field: dict[str, float] = {}
    updates_per_year: dict[str, float] = {}
    default_updates_per_year: float = Field(1.0, ge=0)
    authority_weights: AuthorityWeights = Field(default_factory=AuthorityWeights)

    def seconds_for(self, entity_type: str, attribute: str) -> float:
        """Seconds to key one value of `attribute` (override, else the default of its kind)."""
        kind = ATTRIBUTES[entity_type][attribute].kind
        for key in (f"{entity_type}.{attribute}", attribute, kind):
            if key in self.seconds_per_field:
                return float(self.seconds_per_field[key])
        return float(DEFAULT_SECONDS_BY_KIND[kind])

    def updates_for(self, source: str, system: str, configured: float | None) -> float:
        """Updates per year of a source: its own setting, else by source key, else by system,
        else the default."""
        if configured is not None:
            return float(configured)
        for key in (source, system):
            if key in self.updates_per_year:
                return float(self.updates_per_year[key])
        return self.default_updates_per_year
