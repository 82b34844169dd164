"""Synth profiles: which systems a synthetic city has and how each one exports, as data.

A profile is a YAML file — `linkage/data/synth/profiles/<name>.yaml` for the built-in ones
(`linkage synth --profile NAME`), or any file given by its path — that the generator consumes:

    name: sparse
    title: 稀疏系统 (sparse systems)
    rates: {homophone: 0.03}          # base entry-error rates (linkage.synth.noise.NoiseRates)
    sources:                          # one exported file each
      - key: shebao                   # file stem in truth.parquet's `source`
        system: shebao                # the department (default: the key)
        title: 社保参保
        entity: person                # person | enterprise
        file: shebao.xlsx
        format: xlsx                  # csv | tsv | xlsx | jsonl | sqlite (+ table:)
        encoding: gb18030             # csv / tsv: utf-8, utf-8-sig, gbk, gb18030
        title_row: 参保人员花名册      # csv / tsv / xlsx: a title above the header
        blank: 无                     # what the system writes for an empty value
        columns:                      # header: field[:format], in the file's order
          参保人: name
          证件号码: id_number
          单位名称: employer
        config_columns: {参保人: name}  # headers the generated config maps explicitly
        coverage:                     # the first rule whose `when` holds: chance of being held
          - {when: {employer: [0, null]}, share: 0.85}
          - share: 0.0
        duplicates: 0.01              # share of held entities entered a second time
        updates_per_year: 12
        address: {level: city}        # linkage.synth.address.AddressStyle
        noise: {id_swap: 10}          # multipliers of the profile's rates for this system
        missing: {id_number: 0.06}    # blank rates of fields at default noise

Fields and their formats are those of linkage.synth.render (FIELDS, FIELD_FORMATS); `when`
tests columns of the world (COVERAGE_COLUMNS): true / false, or an inclusive [min, max] range
(null for an open end).  A new profile is a new file: nothing else changes.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from linkage.attributes import ATTRIBUTES
from linkage.errors import LinkageError
from linkage.synth.address import BUILDING_SUFFIXES, LEVELS, ROOM_SUFFIXES, AddressStyle
from linkage.synth.noise import NoiseRates
from linkage.synth.reference import DATA
from linkage.synth.render import FIELD_FORMATS, FIELDS
from linkage.synth.systems import Column, SourceSpec

PROFILES = DATA / "profiles"
DEFAULT = "default"
EXPORT_FORMATS = ("csv", "tsv", "xlsx", "jsonl", "sqlite")
TEXT_ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")
# columns of the world's people / enterprises (linkage.synth.world) a coverage rule may test
COVERAGE_COLUMNS = {
    "person": ("age", "male", "migrant", "employed", "employer", "moved", "role"),
    "enterprise": ("individual", "employees", "legacy", "moved"),
}
_RATES = tuple(f.name for f in dataclasses.fields(NoiseRates))


class ProfileError(LinkageError):
    """A synth profile that cannot be used; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CoverageRule(_Model):
    when: dict[str, bool | tuple[float | None, float | None]] = Field(default_factory=dict)
    share: float = Field(ge=0, le=1)


class AddressModel(_Model):
    level: Literal[LEVELS] = "city"  # type: ignore[valid-type]
    numerals: Literal["arabic", "chinese"] = "arabic"
    building: Literal[BUILDING_SUFFIXES] = "栋"  # type: ignore[valid-type]
    room: Literal[ROOM_SUFFIXES] = ""  # type: ignore[valid-type]
    unit: bool = True


class SourceModel(_Model):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    system: str | None = None
    title: str
    entity: Literal["person", "enterprise"]
    file: str
    format: Literal[EXPORT_FORMATS]  # type: ignore[valid-type]
    encoding: Literal[TEXT_ENCODINGS] = "utf-8"  # type: ignore[valid-type]
    table: str | None = None
    title_row: str | None = None
    blank: str | None = None
    columns: dict[str, str]
    config_columns: dict[str, str] = Field(default_factory=dict)
    coverage: float | list[CoverageRule]
    duplicates: float = Field(ge=0, le=1)
    updates_per_year: int | float = Field(gt=0)  # kept as written (12, not 12.0)
    address: AddressModel = Field(default_factory=AddressModel)
    noise: dict[str, float] = Field(default_factory=dict)
    missing: dict[str, float] = Field(default_factory=dict)

    @field_validator("noise")
    @classmethod
    def _known_errors(cls, v):
        unknown = [k for k in v if k not in _RATES]
        if unknown:
            raise ValueError(f"unknown entry error {', '.join(unknown)}; choose from {', '.join(_RATES)}")
        return v

    @model_validator(mode="after")
    def _check(self):
        fields = FIELDS[self.entity]
        for header, word in self.columns.items():
            name, _, fmt = word.partition(":")
            if name not in fields:
                raise ValueError(f"columns.{header}: {name!r} is not a {self.entity} field; "
                                 f"choose from {', '.join(fields)}")
            if fmt and fmt not in FIELD_FORMATS.get((self.entity, name), ()):
                allowed = FIELD_FORMATS.get((self.entity, name))
                raise ValueError(f"columns.{header}: field {name} has no format {fmt!r}"
                                 + (f"; choose from {', '.join(allowed)}" if allowed else ""))
        for header, attribute in self.config_columns.items():
            if header not in self.columns:
                raise ValueError(f"config_columns.{header}: not a header of this source's columns")
            if attribute not in ATTRIBUTES[self.entity]:
                raise ValueError(f"config_columns.{header}: {attribute!r} is not a {self.entity} attribute")
        held = {word.partition(":")[0] for word in self.columns.values()}
        for name in self.missing:
            if name not in held:
                raise ValueError(f"missing.{name}: the source has no column of field {name}")
        rules = self.coverage if isinstance(self.coverage, list) else []
        for i, rule in enumerate(rules):
            for column in rule.when:
                if column not in COVERAGE_COLUMNS[self.entity]:
                    raise ValueError(f"coverage[{i}].when.{column}: not a column coverage can test; "
                                     f"choose from {', '.join(COVERAGE_COLUMNS[self.entity])}")
        if self.format == "sqlite" and not self.table:
            raise ValueError("a sqlite source needs `table`")
        if self.title_row and self.format not in ("csv", "tsv", "xlsx"):
            raise ValueError(f"title_row: a {self.format} export has no title above its header")
        return self


class ProfileModel(_Model):
    name: str
    title: str
    rates: dict[str, float] = Field(default_factory=dict)
    sources: list[SourceModel] = Field(min_length=1)

    @field_validator("rates")
    @classmethod
    def _known_rates(cls, v):
        unknown = [k for k in v if k not in _RATES]
        if unknown:
            raise ValueError(f"unknown entry error {', '.join(unknown)}; choose from {', '.join(_RATES)}")
        return v

    @model_validator(mode="after")
    def _unique(self):
        for what in ("key", "file"):
            values = [getattr(s, what) for s in self.sources]
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"two sources with the same {what}: {', '.join(twice)}")
        return self


def coverage_expression(coverage: float | list[CoverageRule]) -> pl.Expr:
    """Each entity's chance of being held: the share of the first rule whose conditions hold
    (0 where none does)."""
    if not isinstance(coverage, list):
        return pl.lit(coverage)
    rules = [r for r in coverage if r.when]
    fallback = next((r.share for r in coverage if not r.when), 0.0)
    if not rules:
        return pl.lit(fallback)
    expression = None
    for rule in rules:
        condition = functools.reduce(lambda a, b: a & b, (_test(c, v) for c, v in rule.when.items()))
        expression = (pl.when(condition) if expression is None else expression.when(condition)).then(rule.share)
    return expression.otherwise(fallback)


def _test(column: str, value) -> pl.Expr:
    if isinstance(value, bool):
        return pl.col(column) if value else ~pl.col(column)
    low, high = value
    tests = [t for t in (None if low is None else pl.col(column) >= low,
                         None if high is None else pl.col(column) <= high) if t is not None]
    return functools.reduce(lambda a, b: a & b, tests) if tests else pl.lit(True)


def _spec(model: SourceModel) -> SourceSpec:
    columns = tuple(Column(header, *word.split(":", 1)) for header, word in model.columns.items())
    return SourceSpec(
        model.key, model.system or model.key, model.title, model.entity, model.file, model.format, columns,
        coverage_expression(model.coverage), model.duplicates, model.updates_per_year,
        encoding=model.encoding, table=model.table, title_row=model.title_row,
        address=AddressStyle(**model.address.model_dump()), blank=model.blank, noise=dict(model.noise),
        missing=dict(model.missing), config_columns=dict(model.config_columns))


@dataclasses.dataclass(frozen=True)
class Profile:
    """A synthetic city's systems and base error rates, read from a profile file."""

    name: str
    title: str
    path: Path
    rates: NoiseRates
    sources: tuple[SourceSpec, ...]

    @property
    def source_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.sources)

    @property
    def system_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.system for s in self.sources))

    def select(self, names: list[str] | tuple[str, ...] | None) -> tuple[SourceSpec, ...]:
        """The sources of the named systems or sources (all when none are named)."""
        if not names:
            return self.sources
        unknown = [n for n in names if n not in self.source_keys and n not in self.system_keys]
        if unknown:
            raise ValueError(f"unknown system {', '.join(unknown)} in profile {self.name}; choose from "
                             f"{', '.join(self.system_keys)} (or sources {', '.join(self.source_keys)})")
        return tuple(s for s in self.sources if s.key in names or s.system in names)


def profile_names() -> list[str]:
    """The built-in profiles, default first."""
    return sorted((p.stem for p in PROFILES.glob("*.yaml")), key=lambda n: (n != DEFAULT, n))


def profile_path(name: str) -> Path:
    """The file of a built-in profile's name, or a profile file's own path."""
    if name in profile_names():
        return PROFILES / f"{name}.yaml"
    path = Path(name)
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        return path.resolve()
    raise ProfileError(f"unknown synth profile {name!r}: choose from {', '.join(profile_names())} "
                       "or give the path of a profile .yaml file")


@functools.cache
def load_profile(name: str = DEFAULT) -> Profile:
    """A built-in profile by name, or a profile file by its path (read once per process)."""
    import yaml

    path = profile_path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc})") from None
    try:
        model = ProfileModel.model_validate(data)
    except ValidationError as exc:
        raise ProfileError("\n".join(f"{path}: `{_where(e['loc'], data)}`: {e['msg'].removeprefix('Value error, ')}"
                                     for e in exc.errors())) from None
    rates = NoiseRates(**{**dataclasses.asdict(NoiseRates()), **model.rates})
    return Profile(model.name, model.title, path, rates, tuple(_spec(s) for s in model.sources))


def _where(loc: tuple, data) -> str:
    """A key path, with a source's key instead of its list index (sources.zzsb.columns.xm)."""
    parts = []
    for i, part in enumerate(loc):
        if i == 1 and loc[0] == "sources" and isinstance(part, int):
            try:
                part = data["sources"][part].get("key", part)
            except (KeyError, IndexError, TypeError, AttributeError):
                pass
        if not str(part).startswith(("function-", "list[", "float", "bool", "tuple[")):
            parts.append(str(part))
    return ".".join(parts) or "(top level)"
