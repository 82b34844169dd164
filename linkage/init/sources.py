"""Turn the tables found in a folder into config sources: which entity each holds, its column
mapping, its key, title and system — or why it is left out.

- entity: the mapping of each entity type is proposed (`columns.propose`); a table whose
  columns identify only people (name, ID number) or only enterprises (name, credit /
  organisation code, registration number) is read as that.  A table with both is read as the
  entity more of its headers name exactly (姓名 and 身份证号 are person headers, 企业名称 and
  法定代表人 enterprise ones), else as the entity of its leftmost identifying column; when the
  other entity's side holds an identifier beyond a name (a roster of staff with their
  employer's credit code, a register of firms with their legal representative's ID number)
  the config says so.  A table without any is left out.
- key: the file name in ASCII (Chinese as pinyin initials: 居住登记 → jzdj), with the sheet or
  table when the file holds several; made unique in path order.
- title: the file name, with the sheet or table name when the file holds several.
- system: tables of one file, files whose names differ only by a date, number or copy mark
  (居住登记2023 / 居住登记2024, jzdj_202401 / jzdj_202402), and files with the same set of
  headers are one system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linkage.attributes import ENTITY_TYPES, EntityType, attribute_for_header
from linkage.init.columns import Proposal, column_rates, propose
from linkage.init.scan import Found, written_headers
from linkage.pipeline import IDENTIFYING

_DEFAULT_SHEET = re.compile(r"^(?:sheet|工作表|表)\s*\d*$", re.IGNORECASE)
# a trailing (or leading) date, period, version, copy mark or number: 居住登记2024年6月,
# jzdj_202401, 计生(1), 网格-副本, 2024_居住登记
_STAMP = (r"(?:\d{4}(?:年|[-_.]?\d{1,2}(?:月|[-_.]?\d{1,2}日?)?)?|\d{1,2}月|第?\d+期|v\d+|"
          r"副本|copy|最新|导出|\(\d+\)|（\d+）|\d+)")
_TRAILING = re.compile(rf"(?:[\s_\-—.·]*{_STAMP})+$", re.IGNORECASE)
_LEADING = re.compile(rf"^(?:{_STAMP}[\s_\-—.·]*)+", re.IGNORECASE)


# identifiers beyond a name: a table carrying the other entity's says so
ID_ATTRIBUTES: dict[EntityType, tuple[str, ...]] = {
    "person": ("id_number",), "enterprise": ("uscc", "org_code", "reg_number")}


@dataclass
class Source:
    """One table read as a config source."""

    found: Found
    entity: EntityType
    proposals: list[Proposal]
    rates: dict[str, dict[str, float]]
    key: str = ""
    title: str = ""
    system: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Skipped:
    found: Found
    reason: str


def _fits(p: Proposal, rates: dict[str, dict[str, float]], entity: EntityType) -> bool:
    """An identifying column whose values do not contradict the entity (a `name` column of
    company names is no person's name, and the other way round)."""
    if p.attribute != "name":
        return True
    r = rates.get(p.header) or {}
    if entity == "person":
        return r.get("enterprise_name", 0) < 0.5
    return r.get("person_name", 0) < 0.6


def _identifying(proposals: list[Proposal], rates, entity: EntityType) -> list[Proposal]:
    return [p for p in proposals if p.attribute in IDENTIFYING[entity] and _fits(p, rates, entity)]


def _named_headers(headers: list[str], entity: EntityType) -> list[str]:
    """Headers that are exact synonyms of `entity` attributes and of no other entity's."""
    others = [e for e in ENTITY_TYPES if e != entity]
    return [h for h in headers if attribute_for_header(h, entity)
            and not any(attribute_for_header(h, o) for o in others)]


def classify(found: Found, rates: dict[str, dict[str, float]] | None = None) -> Source | Skipped:
    """The entity and mapping of one table read from the folder (`rates`: its columns'
    value_rates, when already computed with other tables')."""
    raw, where = found.raw, str(found.path)
    if raw.data.height == 0:
        return Skipped(found, "no data rows (only a header, or empty)")
    rates = rates if rates is not None else column_rates([raw])[0]
    proposals = {e: propose(raw, e, where, rates) for e in ENTITY_TYPES}
    core = {e: _identifying(proposals[e], rates, e) for e in ENTITY_TYPES}
    present = [e for e in ENTITY_TYPES if core[e]]
    if not present:
        shown = "、".join(written_headers(raw.headers)[:8]) + ("…" if len(raw.headers) > 8 else "")
        return Skipped(found, "no column of names, ID numbers or credit codes, so not a table of "
                              f"people or enterprises (columns: {shown})")
    if len(present) == 1:
        entity = present[0]
        return Source(found, entity, proposals[entity], rates)
    named = {e: _named_headers(raw.headers, e) for e in ENTITY_TYPES}
    first = {e: min(p.column_index for p in core[e]) for e in ENTITY_TYPES}
    if len(named["person"]) != len(named["enterprise"]):
        entity = max(ENTITY_TYPES, key=lambda e: len(named[e]))
        why = f"more of its headers name {entity} attributes ({'、'.join(named[entity][:4])})"
    else:
        entity = min(ENTITY_TYPES, key=lambda e: first[e])
        why = f"its first identifying column, {raw.headers[first[entity]]}, is a {entity}'s"
    other = next(e for e in ENTITY_TYPES if e != entity)
    if not any(p.attribute in ID_ATTRIBUTES[other] for p in core[other]):
        return Source(found, entity, proposals[entity], rates)  # a legal representative's name
    note = (f"also holds {other} identifiers ({'、'.join(p.header for p in core[other])}); "
            f"read as {entity} records because {why} — set `entity: {other}` to link the "
            f"{other} side instead")
    return Source(found, entity, proposals[entity], rates, notes=[note])


def base_name(stem: str) -> str:
    """A file name without the dates, numbers and copy marks around it (居住登记2024 → 居住登记)."""
    cut = _LEADING.sub("", _TRAILING.sub("", stem))
    return cut or stem


def ascii_key(text: str) -> str:
    """An ASCII key for a name: Chinese as pinyin initials, other characters as `_`."""
    from pypinyin import Style, lazy_pinyin

    spelled = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors=lambda s: s))
    key = re.sub(r"[^0-9a-z]+", "_", spelled.lower()).strip("_")
    return key if key and not key[0].isdigit() else f"s{key}" if key else "source"


def _table_name(found: Found) -> str | None:
    name = found.sheet if found.sheet is not None else found.table
    if name is None or found.sheets_in_file <= 1 or _DEFAULT_SHEET.match(name):
        return None
    return name


def _unique(wanted: list[str]) -> list[str]:
    used: set[str] = set()
    out = []
    for key in wanted:
        candidate, n = key, 2
        while candidate in used:
            candidate, n = f"{key}_{n}", n + 1
        used.add(candidate)
        out.append(candidate)
    return out


def name_sources(sources: list[Source]) -> None:
    """Set each source's key, title and system (see the module docstring)."""
    wanted = []
    for s in sources:
        stem, table = s.found.path.stem, _table_name(s.found)
        s.title = f"{stem}·{table}" if table else stem
        wanted.append(ascii_key(base_name(stem)) + (f"_{ascii_key(table)}" if table else ""))
    for s, key in zip(sources, _unique(wanted)):
        s.key = key
    parent = list(range(len(sources)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by: dict[object, int] = {}
    for i, s in enumerate(sources):
        for mark in (("file", s.found.path), ("name", base_name(s.found.path.stem)),
                     ("headers", frozenset(s.found.raw.headers))):
            if mark in by:
                parent[root(i)] = root(by[mark])
            else:
                by[mark] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(sources)):
        groups.setdefault(root(i), []).append(i)
    names = _unique([ascii_key(base_name(sources[members[0]].found.path.stem))
                     for members in groups.values()])
    for members, system in zip(groups.values(), names):
        for i in members:
            sources[i].system = system


def plan_sources(found: list[Found]) -> tuple[list[Source], list[Skipped]]:
    """Config sources for the readable tables, in path order, and the tables left out."""
    sources: list[Source] = []
    skipped: list[Skipped] = []
    readable = [f for f in found if f.raw is not None]
    rates = dict(zip(map(id, readable), column_rates([f.raw for f in readable])))
    for f in found:
        if f.raw is None:
            skipped.append(Skipped(f, f.problem or "unreadable"))
            continue
        result = classify(f, rates[id(f)])
        (sources if isinstance(result, Source) else skipped).append(result)
    name_sources(sources)
    return sources, skipped

