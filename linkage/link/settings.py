"""Per-entity linkage settings as they appear under `linkage:` in the config file.

Everything the engine does is chosen here, as data: the blocking rules (lists of keys of the
`records` table joined on equality, `linkage.link.keys`), the comparisons (one per attribute,
each an ordered list of agreement levels), the columns that identify an entity outright, the
model's estimation knobs and the match threshold.  Left out, `comparisons` and `identifiers`
take the defaults of the entity type (`LinkageSettings.resolved`), and the blocking rules are
planned from the columns the run's sources carry (`linkage.link.plan`).

A comparison names a `kind` (a preset list of levels, see `linkage.link.presets`) or lists its
own `levels`; a level is one test on a pair (`exact`, `jaro_winkler` ≥ threshold, …) on one or
more columns.  The order of the blocking rules matters twice: a pair is credited to the first
rule that finds it, and EM trains one session per rule in that order (each session fits the
comparisons that neither read the rule's columns nor were fitted before), so put the rules on
identifying columns first.  Comparisons sharing a `group` (phone and address: a household)
count their strongest agreement once.  Example (FEBRL-style Latin data):

    comparisons:
      - {name: surname, kind: text}
      - {name: dob, column: birth_date, kind: date}
      - name: ssn
        column: id_number
        levels: [{type: exact}, {type: one_typo}]
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from linkage.link.levels import LEVEL_TYPES, level_type

# every registered level type (linkage.link.levels), as a closed set for the config's schema
LevelType = Literal[LEVEL_TYPES]  # type: ignore[valid-type]


class LevelSettings(BaseModel):
    """One agreement level of a comparison; levels are tried in order, the first that holds wins."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    type: LevelType
    columns: list[str] | None = None  # default: the comparison's column
    threshold: float | None = None
    tf: bool = False        # weight agreement by how rare the value of the first column is
    identity: bool = False  # agreement here makes attributes derived from this one redundant
    label: str | None = None
    label_zh: str | None = None

    @model_validator(mode="after")
    def _check(self):
        kind = level_type(self.type)
        if kind.needs_threshold and self.threshold is None:
            raise ValueError(f"a {self.type!r} level needs a `threshold`")
        if kind.n_columns is not None and len(self.columns or []) != kind.n_columns:
            raise ValueError(f"a {self.type!r} level names exactly {kind.n_columns} `columns`")
        if self.columns is not None and not self.columns:
            raise ValueError("`columns` must name at least one column")
        return self


class ComparisonSettings(BaseModel):
    """One comparison: an attribute compared level by level (missing on either side = neutral)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str
    column: str | None = None  # default: `name`
    kind: str | None = None    # a preset of levels (linkage.link.presets.KINDS)
    levels: list[LevelSettings] | None = None
    fallback: str | None = None     # column used where `column` is blank (birth date from the ID)
    implied_by: str | None = None   # neutral when that comparison agrees at an identity level
    ignore_values: list[str] = Field(default_factory=list)  # values treated as blank ("0", "9")
    # comparisons of one group share their evidence (a household shares its phone and address):
    # only the group's strongest agreement counts, its disagreements all count
    group: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.column is None:
            self.column = self.name
        if self.kind is None and self.levels is None:
            raise ValueError(f"comparison {self.name!r}: give a `kind` or a list of `levels`")
        if self.levels is not None and not self.levels:
            raise ValueError(f"comparison {self.name!r}: `levels` is empty")
        if self.kind is not None:
            from linkage.link.presets import KINDS
            if self.kind not in KINDS:
                raise ValueError(f"comparison {self.name!r}: unknown kind {self.kind!r}; "
                                 f"choose one of: {', '.join(sorted(KINDS))}")
        return self


class BlockingRule(BaseModel):
    """Records are candidate pairs when they agree on every key of the rule (see
    linkage.link.keys for derived keys); with `max_block`, only keys that at most that many
    records share block (a rule on rare values: a rare name alone is worth comparing); with
    `unidentified`, only pairs of which at least one record lacks a valid identifier (two
    valid identifiers decide alone: the same one is found by its own rule, different ones
    never link), so a broad rule for sparse records costs nothing between identified ones."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    columns: tuple[str, ...]
    max_block: int | None = Field(default=None, ge=2)
    unidentified: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value):
        return {"columns": value} if isinstance(value, (list, tuple)) else value

    @model_validator(mode="after")
    def _check(self):
        if not self.columns:
            raise ValueError("a blocking rule must name at least one column")
        return self

    @property
    def label(self) -> str:
        notes = [f"≤{self.max_block}"] if self.max_block else []
        notes += ["unidentified"] if self.unidentified else []
        return " + ".join(self.columns) + (f" ({', '.join(notes)})" if notes else "")


class LinkageSettings(BaseModel):
    """How one entity type is linked; see the module docstring."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    threshold: float = Field(default=0.9, gt=0, lt=1)  # match probability at which a pair links
    # pairs from here up to the threshold, in different entities, are possible matches for review
    possible_threshold: float = Field(default=0.3, gt=0, lt=1)
    # a rule is a list of keys ([name_pinyin, birth_date]) or {columns: […], max_block: N};
    # left out, the rules are planned from the columns the run's sources carry (linkage.link.plan)
    blocking_rules: list[BlockingRule] | None = None
    max_pairs_per_rule: int = Field(default=30_000_000, gt=0)
    comparisons: list[ComparisonSettings] | None = None
    identifiers: list[str] | None = None  # valid values identify: different ones never link
    # comparisons whose agreement stands in for the name beside an equal valid identifier (a
    # company renamed keeps its credit code, its legal representative and its phone)
    corroborating: list[str] | None = None
    u_sample_pairs: int = Field(default=100_000, gt=0)
    em_max_iterations: int = Field(default=100, gt=0)
    em_tolerance: float = Field(default=1e-5, gt=0)
    labels: Path | None = None  # CSV/Parquet: source_l, source_row_l, source_r, source_row_r, is_match
    seed: int = 20240601

    @model_validator(mode="after")
    def _check(self):
        if self.possible_threshold >= self.threshold:
            raise ValueError(f"possible_threshold ({self.possible_threshold}) must be below "
                             f"threshold ({self.threshold})")
        names = [c.name for c in self.comparisons or []]
        if len(set(names)) != len(names):
            raise ValueError("comparison names must be unique")
        unknown = [c for c in self.corroborating or [] if self.comparisons and c not in names]
        if unknown:
            raise ValueError(f"corroborating: {unknown[0]!r} is not a comparison")
        for c in self.comparisons or []:
            if c.implied_by is not None and c.implied_by not in names:
                raise ValueError(f"comparison {c.name!r}: implied_by {c.implied_by!r} "
                                 "is not a comparison")
        return self

    def resolved(self, entity_type: str) -> "LinkageSettings":
        """A copy with the entity type's defaults filled in where the config left them out."""
        from linkage.link.presets import DEFAULTS
        defaults = DEFAULTS[entity_type]
        return self.model_copy(update={
            "comparisons": self.comparisons or [ComparisonSettings(**c)
                                                for c in defaults["comparisons"]],
            "identifiers": (self.identifiers if self.identifiers is not None
                            else defaults["identifiers"]),
            "corroborating": (self.corroborating if self.corroborating is not None
                              else defaults.get("corroborating", [])),
        })
