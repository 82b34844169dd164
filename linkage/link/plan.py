"""Blocking planned from the data: rules chosen from the attributes the run's sources carry.

No preset assumes which attributes a source has.  The planner reads, per source, how often each
linkable attribute is filled, and chooses rules so that two sources sharing identifying
attributes have candidate paths that survive one entry error in any single attribute:

1. an identifier alone (ID number, phone; credit code, organisation code, registration number);
2. for an ID number, the number as corrected (`<id>__fixed`, `linkage.link.idfix`: an invalid
   number read as the one valid number of the run one wrong digit or two swapped neighbours
   away), for pairs with a record without a valid identifier, so a source that carries the ID
   number and nothing else still meets its twins through a typo; and the name with each of
   its segments (area code, birth date, sequence), so a wrong digit or two swapped neighbours
   in the number still blocks when the correction is ambiguous;
3. the name with every other attribute a source has (birth date, address, employer …), so a
   source without identifiers still meets its twins, and a personal attribute (birth date) with
   a shared one (address, employer: family members and colleagues share those) without the
   name, so a mistyped name does too;
4. a dwelling (`<address>__house`: road, number, building, unit, room) with either part of
   the name, surname or given name, where few records share it, for pairs with a record
   without a valid identifier: a name mistyped in one part still meets its household's
   records in a source that carries only a name and an address (family members sharing a
   surname are compared too; the comparisons tell them apart);
5. the name alone where it is rare in the run (blocks of at most `RARE_NAME_BLOCK` records;
   for persons, pairs with a record without a valid identifier, in blocks of at most
   `RARE_NAME_BLOCK_UNIDENTIFIED`: two valid ID numbers decide):
   a sparse record that carries little more than a name still gets compared, and the model
   decides by how rare the name is; also the name keyed otherwise: a person's name as written,
   since a name no one else writes so (欧阳修竹) can share its pinyin with too many others to
   block on that, and an enterprise's core name as heard (its pinyin: 卡仕慢 for 卡仕曼);
   likewise an enterprise's legal representative alone where rare, so a mistyped company name
   without a credit code still meets its twins.

Rules come in that order (EM trains one session per rule: identifiers first).  A planned rule
over the pair budget keeps only its blocks small enough to fit (`max_block`).  `coverage` lists,
for every pair of sources, the attributes they share and those one error in which leaves no
path between them (a pair sharing only a name is fragile by nature); `linkage plan CONFIG`
prints all of it.  Rules written in the config replace the plan.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import polars as pl

from linkage.link.keys import SEGMENTS, columns_read, fixed_key
from linkage.link.settings import BlockingRule

PRESENT = 0.05         # an attribute filled in at least this share of a source's records counts
RARE_NAME_BLOCK = 8    # the name alone blocks where at most this many records share it
# … and where at most this many do, for pairs with a record without a valid identifier (persons):
# a blank-ID record whose name a few families share still meets them, and the second pass
# (linkage.link.assign) weighs the entities it reaches (benchmarks/RESULTS.md: 8 → 32 at 566k
# records, sparse recall 0.9538 → 0.9589, precision 0.9982 → 0.9979)
RARE_NAME_BLOCK_UNIDENTIFIED = 32
DWELLING_BLOCK = 20    # a name part with a dwelling blocks where at most this many share it


@dataclass(frozen=True)
class Catalogue:
    """What the planner may use for one entity type: (attribute, key) pairs."""

    name: tuple[str, str]                          # the name and its blocking key
    identifiers: tuple[tuple[str, str], ...]       # block alone
    id_numbers: tuple[str, ...]                    # ID-number attributes: name + each segment
    personal: tuple[tuple[str, str], ...]          # block with the name or with a shared one
    shared: tuple[tuple[str, str], ...]            # block with the name or with a personal one
    name_first: tuple[tuple[str, str], ...] = ()   # name + these right after the identifiers
    name_alone: tuple[str, ...] = ()               # other keys of the name, alone where rare
    dwellings: tuple[tuple[str, str], ...] = ()    # (carried key, dwelling key): with a name part
    name_parts: tuple[str, ...] = ()               # the name's parts (surname, given name)
    personal_alone: tuple[str, ...] = ()           # personal keys, alone where rare
    # two valid identifiers are never one entry error apart (the ID number's check catches every
    # wrong digit and swapped neighbours), so the rules for sparse records skip pairs of two
    # identified records; an organisation code can be one letter off and still valid
    decisive_identifier: bool = False

    @property
    def supports(self) -> tuple[tuple[str, str], ...]:
        return self.personal + self.shared


CATALOGUES = {
    "person": Catalogue(
        name=("name", "name_pinyin"),
        identifiers=(("id_number", "id_number"), ("phone", "phone")),
        id_numbers=("id_number",),
        name_first=(("birth_date", "birth_date"),),
        name_alone=("name",),
        personal=(("birth_date", "birth_date"),),
        shared=(("address", "address_key"), ("address", "address_road"),
                ("household_address", "household_address_key"), ("employer", "employer_core")),
        dwellings=(("address_key", "address__house"),
                   ("household_address_key", "household_address__house")),
        name_parts=("surname", "given_name"),
        decisive_identifier=True),
    "enterprise": Catalogue(
        name=("name", "name_core"),
        name_alone=("name_core_pinyin",),
        personal_alone=("legal_rep_pinyin",),
        identifiers=(("uscc", "uscc"), ("uscc", "org_key"), ("org_code", "org_key"),
                     ("reg_number", "reg_key"), ("uscc", "reg_key"), ("phone", "phone")),
        id_numbers=(),
        personal=(("legal_rep", "legal_rep_pinyin"), ("legal_rep_id_number", "legal_rep_id_number"),
                  ("contact_person", "contact_person_pinyin")),
        shared=(("address", "address_key"),)),
}


@dataclass
class Plan:
    entity_type: str
    rules: list[BlockingRule]
    reasons: list[str]
    fill: pl.DataFrame                 # source, attribute, fill (share of records)
    coverage: pl.DataFrame = field(default_factory=pl.DataFrame)
    planned: bool = True               # False: the config's own rules

    def table(self) -> pl.DataFrame:
        return pl.DataFrame({"entity_type": self.entity_type,
                             "rule_order": list(range(len(self.rules))),
                             "rule": [r.label for r in self.rules], "reason": self.reasons,
                             "planned": self.planned},
                            schema_overrides={"rule_order": pl.Int64})


def catalogue_columns(entity_type: str) -> list[str]:
    """Every records column the planner may read for an entity type."""
    catalogue = CATALOGUES[entity_type]
    keys = [catalogue.name, *catalogue.identifiers, *catalogue.supports, *catalogue.name_first]
    dwellings = [c for _, key in catalogue.dwellings for c in columns_read(key)]
    return list(dict.fromkeys([*(k for _, k in keys), *catalogue.name_alone, *dwellings,
                               *catalogue.name_parts]))


def attribute_fill(engine, table: str, entity_type: str) -> pl.DataFrame:
    """Per source and linkable attribute, the share of records whose key column is filled."""
    catalogue = CATALOGUES[entity_type]
    columns = set(engine.columns(table))
    by_key = {k: a for a, k in reversed([catalogue.name, *catalogue.identifiers,
                                         *catalogue.supports, *catalogue.name_first])}
    wanted = [(a, k) for k, a in by_key.items() if k in columns]
    if not wanted:
        return pl.DataFrame(schema={"source": pl.Utf8, "attribute": pl.Utf8, "key": pl.Utf8,
                                    "fill": pl.Float64})
    d = engine.dialect
    q = d.quote
    counts = ", ".join(f"avg(CASE WHEN nullif(trim({d.cast(q(k), 'text')}), '') IS NOT NULL "
                       f"THEN {d.cast('1', 'double')} ELSE 0 END) AS {q(k)}" for _, k in wanted)
    wide = engine.sql(f"SELECT source, {counts} FROM {q(table)} GROUP BY source ORDER BY source")
    rows = [{"source": row["source"], "attribute": a, "key": k, "fill": float(row[k])}
            for row in wide.to_dicts() for a, k in wanted]
    return pl.DataFrame(rows)


def _present(fill: pl.DataFrame) -> dict[str, set[str]]:
    """Source → the keys it carries."""
    out: dict[str, set[str]] = {}
    for row in fill.filter(pl.col("fill") >= PRESENT).iter_rows(named=True):
        out.setdefault(row["source"], set()).add(row["key"])
    return out


def plan_rules(fill: pl.DataFrame, entity_type: str) -> tuple[list[BlockingRule], list[str]]:
    """The rules for the keys the sources carry, with the reason for each."""
    catalogue = CATALOGUES[entity_type]
    carried = set().union(*_present(fill).values()) if fill.height else set()
    name_key = catalogue.name[1]
    has_name = name_key in carried
    rules: list[BlockingRule] = []
    reasons: list[str] = []

    def add(columns: tuple[str, ...], reason: str, max_block: int | None = None,
            unidentified: bool = False) -> None:
        rule = BlockingRule(columns=columns, max_block=max_block, unidentified=unidentified)
        if rule not in rules:
            rules.append(rule)
            reasons.append(reason)

    identifiers = [k for _, k in catalogue.identifiers if k in carried]
    for key in identifiers[:1]:
        add((key,), "identifier")
    if has_name:
        for _, key in catalogue.name_first:
            if key in carried:
                add((name_key, key), "name with a supporting attribute")
    for key in identifiers[1:]:
        add((key,), "identifier")
    for attribute in catalogue.id_numbers:
        if attribute in carried:
            add((fixed_key(attribute),), "an invalid ID number read as the one valid number of the "
                "run it can be (survives one wrong digit or two swapped neighbours, name or not)",
                unidentified=True)
    if has_name:
        for attribute in catalogue.id_numbers:
            if attribute in carried:
                for segment in SEGMENTS:
                    add((name_key, f"{attribute}__{segment}"),
                        "name with one segment of the ID number (survives one wrong digit)")
    if has_name:
        for _, key in catalogue.supports:
            if key in carried:
                add((name_key, key), "name with a supporting attribute")
    for (_, a), (_, b) in itertools.product(catalogue.personal, catalogue.shared):
        if a in carried and b in carried:
            add((a, b), "a personal with a shared attribute (survives a mistyped name)")
    if has_name:
        for (carried_key, dwelling), part in itertools.product(catalogue.dwellings,
                                                              catalogue.name_parts):
            if carried_key in carried:
                add((part, dwelling), "a part of the name with the dwelling, where few share "
                    "them, for records without a valid identifier (survives a name mistyped in "
                    "one part)", DWELLING_BLOCK, unidentified=True)
    sparse_only = catalogue.decisive_identifier
    rare = RARE_NAME_BLOCK_UNIDENTIFIED if sparse_only else RARE_NAME_BLOCK
    if has_name:
        add((name_key,), "a rare name alone (sparse records)", rare, sparse_only)
        for key in catalogue.name_alone:
            add((key,), "a rare name alone, keyed otherwise (as written; as heard)", rare, sparse_only)
    for key in catalogue.personal_alone:
        if key in carried:
            add((key,), "a rare personal attribute alone (survives a mistyped name)", rare,
                sparse_only)
    return rules, reasons


def _attribute_of(catalogue: Catalogue, key: str) -> str:
    for attribute, k in (catalogue.name, *catalogue.identifiers, *catalogue.supports):
        if k == key:
            return attribute
    attribute, _, _ = key.partition("__")
    return attribute


def _rule_attributes(catalogue: Catalogue, rule: BlockingRule) -> set[str]:
    return {_attribute_of(catalogue, key) for key in rule.columns}


def coverage(rules: list[BlockingRule], fill: pl.DataFrame, entity_type: str) -> pl.DataFrame:
    """For every pair of sources (a source with itself included): the attributes both carry and
    those one error in which leaves no rule between them.  An ID number counts as surviving one
    error where the name-with-segment rules are there (one digit breaks at most two of three), or the
    rule on its corrected number (`linkage.link.idfix`)."""
    catalogue = CATALOGUES[entity_type]
    present = _present(fill)
    by_source = {s: {_attribute_of(catalogue, k) for k in keys} for s, keys in present.items()}
    keys_of = {s: keys for s, keys in present.items()}
    rows = []
    for a, b in itertools.combinations_with_replacement(sorted(present), 2):
        shared_keys = keys_of[a] & keys_of[b]
        derived = {d for k, d in catalogue.dwellings if k in shared_keys}
        if catalogue.name[1] in shared_keys:
            derived |= set(catalogue.name_parts)
        usable = [r for r in rules
                  if set(r.columns) <= shared_keys | derived | _derived(r, shared_keys)]
        shared = sorted(by_source[a] & by_source[b])
        fragile = []
        for attribute in shared:
            survives = any(attribute not in _rule_attributes(catalogue, r) for r in usable)
            segments = [r for r in usable if any(f"{attribute}__" in c for c in r.columns)]
            corrected = any(fixed_key(attribute) in r.columns for r in usable)
            if not survives and not corrected and len(segments) < len(SEGMENTS):
                fragile.append(attribute)
        rows.append({"source_l": a, "source_r": b, "shared": ", ".join(shared),
                     "rules": len(usable), "fragile": ", ".join(fragile)})
    return pl.DataFrame(rows, schema={"source_l": pl.Utf8, "source_r": pl.Utf8, "shared": pl.Utf8,
                                      "rules": pl.Int64, "fragile": pl.Utf8})


def _derived(rule: BlockingRule, shared_keys: set[str]) -> set[str]:
    """The rule's derived keys whose column both sources carry (ID segments)."""
    return {c for c in rule.columns if "__" in c and c.partition("__")[0] in shared_keys}


def make_plan(engine, table: str, entity_type: str,
              configured: list[BlockingRule] | None) -> Plan:
    """The blocking plan of one entity type over `table` (its records): the configured rules
    when given, else rules planned from what the sources carry."""
    fill = attribute_fill(engine, table, entity_type)
    if configured:
        rules, reasons, planned = list(configured), ["configured"] * len(configured), False
    else:
        rules, reasons = plan_rules(fill, entity_type)
        planned = True
    return Plan(entity_type, rules, reasons, fill, coverage(rules, fill, entity_type), planned)
