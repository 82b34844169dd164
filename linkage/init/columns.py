"""Propose a column mapping for a table, with a confidence and alternatives for each column.

It starts from what a run itself would do (`linkage.connectors.mapping.map_columns`: header
synonyms, ID / credit-code / mobile sniffing) and, for the columns that leaves unmapped, adds
three weaker kinds of evidence:

- `header`: the header contains a known header (租住人姓名 holds 姓名, 出租屋地址 holds 地址);
- `initials`: the header is the pinyin initials of a known header, perhaps with a usual ending
  (GMSFHM = 公民身份号码, XBDM = 性别 + 代码, JZDZXZ = 居住地址 + 详址, TBSJ ≈ 填报日期);
- `values`: the values look like one kind of attribute, judged on a sample by the project's
  own normalizers (person names, enterprise names with a legal form, addresses that parse,
  dates, phone numbers, ID numbers and codes that pass their check characters).  A date
  column whose header names an event (走访日期, 最近检查日期, 录入时间) is the date of that
  event: it becomes a birth or founding date only when the event is that attribute's own
  (出生, 成立, 注册 …, read from its synonyms), else the record's date (registration_date).

A header naming a village or community unit (所属村社, 所在村, 村(居)委会, 社区名称) points
to the community, one naming a grid (所在网格) to the grid; a header naming a person of the
unit (网格员, 社区民警) points to neither.

Header evidence is checked against the values where a kind can be judged (a header that says
电话 over values that are not phone numbers loses confidence).  Every attribute is given to one
column at most: the run's own mappings first, then the strongest remaining evidence.  The
other candidates of a column are its alternatives.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from importlib import resources

import polars as pl

from linkage.attributes import ATTRIBUTES, EntityType, header_key
from linkage.connectors import RawTable
from linkage.connectors.mapping import map_columns
from linkage.normalize import normalize_column
from linkage.normalize.enterprise import LEGAL_FORMS

SAMPLE = 500            # values per column the value checks read (the first non-blank ones)
VALUE_MIN_RATE = 0.6    # share of the sample that must look like a kind for a value guess
VALUE_WEIGHT = 0.9      # a value guess is never as sure as a header synonym
HEADER_CONFIDENCE = 0.8
CONFIRMED = 0.95        # header evidence the values agree with
DOUBTED = 0.5           # confidence factor of header evidence the values contradict
CONTRADICTED = 0.2      # a run's own mapping whose values fit its kind less is put in doubt
MIN_CONFIDENCE = 0.5    # weaker evidence is shown as an alternative, never mapped
MAX_ALTERNATIVES = 3
# kinds whose checks are sure enough to overrule a header synonym
RELIABLE_KINDS = ("phone", "id_number", "uscc", "org_code", "reg_number")
# the subject of a table appears about once; its names and IDs repeat little
SUBJECT_KINDS = ("person_name", "id_number")
SUBJECT_DISTINCT = 0.8  # share of distinct values below which a name column looks secondary
INITIAL_ENDINGS = ("dm", "xz", "mc", "hm", "bh", "xx")  # 代码 详址 名称 号码 编号 信息
# words many headers share: a header sharing only one of them with a synonym hints at nothing
GENERIC_WORDS = frozenset("日期 时间 号码 姓名 名称 地址 电话 代码 编号 信息 人员 单位 类型"
                          .split())
# a date header: the event it names (perhaps none) before the word for a date — 走访日期,
# 最近检查时间, 出生年月, 生日
_DATE_HEADER = re.compile(r"(.*?)(?:日期|时间|年月日|年月|日)")
# a header naming a unit the city is managed by: whose it is (所属, 所在 …), the unit, and
# perhaps its name or code — 所属村社, 户籍所在村, 村(居)委会, 社区名称, 所在网格
_UNIT_HEADER = re.compile(r"(?:.*?(?:所属|所在|归属|隶属|所辖))?(.+?)(?:名称|名字|名|编号|编码|代码)?")
_UNITS = (("community", re.compile(r"[村社区居委员会民行政自然()/、]*(?:村|社区|居委)"
                                   r"[村社区居委员会民行政自然()/、]*")),
          ("grid", re.compile(r"网格")))
_UNIT_ATTRIBUTES = ("community", "grid", "street")
# a person of the unit rather than the unit: 网格员, 社区民警, 村民, 村长, 社区负责人
_UNIT_PERSON = re.compile(r"[民员长]$|^(?:员|长|主任|书记|民警|干部|专干|人|联系人|负责人)")

# attribute kinds whose values can be judged (`value_rates`)
_JUDGED = ("person_name", "enterprise_name", "id_number", "uscc", "org_code", "reg_number",
           "phone", "address", "date", "gender", "ethnicity")
_HAN_NAME = r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,8}[·•・][\u4e00-\u9fff]{1,10}$"
_BARE_NUMBER = r"^\d{1,5}(\.\d+)?$"   # a count or an amount, not a date
_TIME = r"\d{1,2}:\d{2}"
_ADDRESS_WORD = r"[路街道号栋幢座村巷弄室楼区市镇乡]"
_NOT_A_NAME = r"(?:街道|社区|村|镇|乡|区|市|县|省|路|街|族|局|委|会|办|所|站|队|组|中心)$"
_LEGAL_FORM = "(?:" + "|".join(LEGAL_FORMS) + r")(?:\(.*\)|（.*）)?$"


@dataclass(frozen=True)
class Candidate:
    attribute: str
    method: str        # synonym / sniffed / header / initials / values
    confidence: float


@dataclass(frozen=True)
class Proposal:
    """The mapping proposed for one column: attribute None = kept as an extra."""

    column_index: int
    header: str
    attribute: str | None
    method: str
    confidence: float
    fill_rate: float
    alternatives: tuple[Candidate, ...] = ()


@functools.cache
def _surnames() -> frozenset[str]:
    text = (resources.files("linkage") / "data" / "synth" / "surnames.csv").read_text("utf-8")
    return frozenset(line.split(",")[0] for line in text.splitlines()[1:] if line)


def value_rates(samples: dict) -> dict:
    """For each sample of non-blank text values (keyed by anything, e.g. its column): the
    share that looks like each judged kind, with the share of distinct values, of values with
    a time of day, and the median year.

    All samples are judged together (one normalizer call per kind: each call has a fixed cost
    far above a few hundred values' worth), and addresses are parsed only where a value holds
    an address word (路, 号, 栋, 村 …)."""
    frames = [pl.DataFrame({"column": pl.Series([i] * len(v), dtype=pl.Int32),
                            "v": v.cast(pl.Utf8).str.strip_chars()})
              for i, v in enumerate(samples.values())]
    if not frames:
        return {}
    cells = pl.concat(frames)
    text = cells["v"]
    flag = lambda kind, entity="person": normalize_column(text, kind, entity)["v_flag"]  # noqa: E731
    surname = text.str.slice(0, 1).is_in(_surnames()) | text.str.slice(0, 2).is_in(_surnames())
    digits = text.str.contains(r"^\d+$")
    placed = text.str.contains(_ADDRESS_WORD).fill_null(False)
    parsed = normalize_column(text.filter(placed), "address", "person")
    address = pl.Series([False] * len(text)).scatter(
        placed.arg_true(), parsed["v_key"].is_not_null() | (parsed["v_flag"] == "parsed"))
    phone = flag("phone")
    gender, ethnicity = flag("gender") == "valid", flag("ethnicity") == "valid"
    checks = cells.with_columns(
        person_name=text.str.contains(_HAN_NAME) & surname
        & ~text.str.contains(_NOT_A_NAME),
        enterprise_name=text.str.contains(_LEGAL_FORM) & (text.str.len_chars() >= 4),
        id_number=flag("id_number") == "valid",
        uscc=flag("uscc", "enterprise") == "valid",
        org_code=flag("org_code", "enterprise") == "valid",
        reg_number=flag("reg_number", "enterprise") == "valid",
        phone=phone.is_in(["valid", "area_code_added"]).cast(pl.Float64)
        + 0.5 * (phone == "no_area_code").cast(pl.Float64),
        address=address,
        date=flag("date").is_in(["valid", "partial"]) & ~text.str.contains(_BARE_NUMBER),
        gender=gender & ~digits, gender_code=gender,
        ethnicity=ethnicity & ~digits, ethnicity_code=ethnicity,
        times=text.str.contains(_TIME),
        year=text.str.extract(r"((?:19|20)\d{2})").cast(pl.Float64))
    kinds = [c for c in checks.columns if c not in ("column", "v", "year")]
    rates = checks.group_by("column").agg(
        *[pl.col(c).cast(pl.Float64).fill_null(0).mean() for c in kinds],
        (pl.col("v").n_unique() / pl.len()).alias("distinct"),
        pl.col("year").median().fill_null(0).alias("median_year"))
    by_index = {row.pop("column"): row for row in rates.to_dicts()}
    return {h: by_index.get(i, {}) for i, h in enumerate(samples)}


def _kind_rate(rates: dict[str, float], kind: str, coded: bool = True) -> float | None:
    """How well the values fit an attribute of `kind`, or None when the kind is not judged.

    Gender and ethnicity codes (1 / 2, 01 …) count only with `coded` (to confirm a header: a
    column of digits alone says nothing).  Names and ID numbers count less the more they
    repeat: the subject of a table appears about once, a landlord or a clerk many times."""
    if kind not in _JUDGED or not rates:
        return None
    rate = rates.get(f"{kind}_code" if coded and kind in ("gender", "ethnicity") else kind, 0.0)
    if kind in SUBJECT_KINDS:
        rate *= min(1.0, rates["distinct"] / SUBJECT_DISTINCT)
    return rate


@functools.cache
def _synonyms(entity: EntityType) -> tuple[tuple[str, str], ...]:
    """(folded synonym, attribute) of every header synonym worth looking for inside a header:
    two or more Chinese characters, or four or more Latin letters."""
    out = []
    for attr in ATTRIBUTES[entity].values():
        for syn in (attr.name, *attr.synonyms):
            key = header_key(syn)
            if (not key.isascii() and len(key) >= 2) or (key.isascii() and len(key) >= 4):
                out.append((key, attr.name))
    return tuple(out)


@functools.cache
def _initials(entity: EntityType) -> dict[str, str | None]:
    """Pinyin initials of the Chinese synonyms → attribute (None where two attributes share)."""
    from pypinyin import Style, lazy_pinyin

    index: dict[str, str | None] = {}
    for key, attr in _synonyms(entity):
        if key.isascii():
            continue
        initials = "".join(lazy_pinyin(key, style=Style.FIRST_LETTER))
        if not initials.isascii() or not initials.isalpha():
            continue
        index[initials] = attr if index.get(initials, attr) == attr else None
    return index


def _unit(key: str, entity: EntityType) -> str | None:
    """The attribute of the unit a (folded) header names — community for 所属村社, 村(居)委会,
    社区名称, grid for 所在网格 — or None (网格员 and 村民 name people, not units)."""
    unit = _UNIT_HEADER.fullmatch(key)
    if unit is None or _UNIT_PERSON.search(unit[1]):
        return None
    return next((attr for attr, words in _UNITS
                 if words.fullmatch(unit[1]) and attr in ATTRIBUTES[entity]), None)


def _of_a_unit_person(key: str, synonym: str) -> bool:
    """The header goes on past a unit's synonym to a person of the unit (网格员, 社区民警)."""
    return bool(_UNIT_PERSON.search(key[key.index(synonym) + len(synonym):] or "-"))


def header_candidates(header: str, entity: EntityType) -> list[Candidate]:
    """Attributes the header points to without naming one exactly."""
    key = header_key(header)
    unit = _unit(key, entity)
    if unit:
        return [Candidate(unit, "header", HEADER_CONFIDENCE)]
    contained = [(len(syn), attr) for syn, attr in _synonyms(entity) if syn in key and syn != key
                 and not (attr in _UNIT_ATTRIBUTES and _of_a_unit_person(key, syn))]
    if contained:
        longest = max(n for n, _ in contained)
        attrs = dict.fromkeys(a for n, a in contained if n == longest)
        return [Candidate(a, "header", HEADER_CONFIDENCE) for a in attrs]
    if key.isascii() and key.isalpha() and len(key) >= 2:
        index = _initials(entity)
        tries = [key] + [key[:-len(e)] for e in INITIAL_ENDINGS if key.endswith(e)]
        tries += [t[:-2] + "rq" for t in tries if t.endswith("sj")]  # 时间 ≈ 日期
        for t in tries:
            if index.get(t):
                return [Candidate(index[t], "initials", HEADER_CONFIDENCE)]
    return []


def _hint(header: str, attribute: str, entity: EntityType) -> int:
    """Characters the header shares with the closest synonym of `attribute` (one run, two
    characters or more, not just a generic word such as 日期 or 姓名)."""
    key = header_key(header)
    best = 0
    for syn, attr in _synonyms(entity):
        if attr == attribute and not syn.isascii():
            match = difflib.SequenceMatcher(None, key, syn).find_longest_match()
            shared = key[match.a:match.a + match.size]
            if match.size >= 2 and shared not in GENERIC_WORDS:
                best = max(best, match.size)
    return best


def _date_event(header: str) -> str | None:
    """The event a Chinese date header names (走访 in 走访日期, 最近检查 in 最近检查日期, 出生
    in 出生年月), or None when it names none (日期, 时间) or is no such header."""
    found = _DATE_HEADER.fullmatch(header_key(header))
    return found[1] if found and re.search(r"[\u4e00-\u9fff]", found[1]) else None


@functools.cache
def _own_events(entity: EntityType) -> dict[str, tuple[str, ...]]:
    """The events each date attribute's own headers name: 出生 and 生 (生日) for birth_date,
    成立, 注册 and 开业 for established_date, 登记, 采集, 录入 … for registration_date."""
    return {a.name: tuple(sorted({_date_event(s) for s in (a.label_zh, *a.synonyms)} - {None}))
            for a in ATTRIBUTES[entity].values() if a.kind == "date"}


def _names_own_event(event: str, attribute: str, entity: EntityType) -> bool:
    """The event of a date header is the attribute's own (企业成立 holds 成立; 发生 ends with
    生, which is let pass rather than a birth date missed)."""
    return any(event.endswith(word) or (len(word) >= 2 and word in event)
               for word in _own_events(entity)[attribute])


def value_candidates(header: str, rates: dict[str, float], entity: EntityType) -> list[Candidate]:
    """Attributes the values look like, most likely first: per kind, the kind's main attribute
    (a person's name, an enterprise's legal representative …) and those the header hints at
    (配偶姓名 → spouse_name); dates go to the birth or founding date when they spread over
    past decades, to the registration date when recent or timed — or when the header names
    an event that is not a birth or founding (走访日期, 最近检查日期, 录入时间: the date of a
    visit, an inspection, a keying is the record's, whatever years its values span)."""
    out = []
    for kind in _JUDGED:
        rate = _kind_rate(rates, kind, coded=False)
        if not rate or rate < VALUE_MIN_RATE:
            continue
        options = [a.name for a in ATTRIBUTES[entity].values() if a.kind == kind]
        if not options:
            continue
        main = options[0]
        if kind == "date":  # options[0] is the birth or founding date
            event = _date_event(header)
            recent = rates["times"] > 0.5 or (entity == "person" and rates["median_year"] >= 2000)
            if event is not None and not _names_own_event(event, options[0], entity):
                options, main = options[1:], "registration_date"  # another event's date
            else:
                main = "registration_date" if recent else options[0]
        hinted = [a for a in options if a != main and _hint(header, a, entity)]
        hinted.sort(key=lambda a: -_hint(header, a, entity))
        confidence = round(rate * VALUE_WEIGHT, 3)
        if hinted and _hint(header, hinted[0], entity) > _hint(header, main, entity):
            out += [Candidate(a, "values", confidence) for a in (*hinted, main)]
        else:
            out += [Candidate(a, "values", confidence) for a in (main, *hinted)]
    return sorted(out, key=lambda c: -c.confidence)


def _checked(candidate: Candidate, rates: dict[str, float], entity: EntityType) -> Candidate:
    """Header evidence weighed by the values: surer where they agree (HJDZXZ over addresses
    is the household address, whatever a guess from the values alone says), much less sure
    where they contradict it."""
    kind = ATTRIBUTES[entity][candidate.attribute].kind
    rate = _kind_rate(rates, kind)
    if rate is None:
        return candidate
    confidence = CONFIRMED if rate >= VALUE_MIN_RATE else candidate.confidence * DOUBTED
    if kind in SUBJECT_KINDS:  # a repeated name is doubted however well its header fits
        confidence *= min(1.0, rates["distinct"] / SUBJECT_DISTINCT)
    return Candidate(candidate.attribute, candidate.method, round(confidence, 3))


def column_rates(tables: list[RawTable]) -> list[dict[str, dict[str, float]]]:
    """value_rates of every column's first SAMPLE non-blank values, per table."""
    rates = value_rates({(i, h): t.data[h].drop_nulls().head(SAMPLE)
                         for i, t in enumerate(tables) for h in t.headers})
    return [{h: rates[(i, h)] for h in t.headers} for i, t in enumerate(tables)]


def _contradicted(candidate: Candidate, rates: dict[str, float], entity: EntityType) -> bool:
    """A mapping whose values are clearly not of its kind (a 电话 column of notes)."""
    kind = ATTRIBUTES[entity][candidate.attribute].kind
    rate = _kind_rate(rates, kind) if kind in RELIABLE_KINDS else None
    return rate is not None and rate < CONTRADICTED


def propose(raw: RawTable, entity: EntityType, where: str,
            rates: dict[str, dict[str, float]] | None = None) -> list[Proposal]:
    """The proposed mapping of every column of `raw` read as `entity` records."""
    rates = rates if rates is not None else column_rates([raw])[0]
    base = map_columns(raw, entity, {}, where)
    chosen: dict[str, Candidate] = {}
    candidates: dict[str, list[Candidate]] = {}
    for m in base:
        found = [_checked(c, rates[m.header], entity) for c in header_candidates(m.header, entity)]
        found += value_candidates(m.header, rates[m.header], entity)
        if m.attribute:  # what the run itself maps stays, unless the values say otherwise
            own = Candidate(m.attribute, m.method, m.confidence)
            if _contradicted(own, rates[m.header], entity):
                found.append(Candidate(m.attribute, m.method, round(m.confidence * DOUBTED, 3)))
            else:
                chosen[m.header] = own
        best: dict[str, Candidate] = {}
        for c in sorted(found, key=lambda c: -c.confidence):
            best.setdefault(c.attribute, c)
        candidates[m.header] = list(best.values())
    taken = {c.attribute for c in chosen.values()}
    order = {h: i for i, h in enumerate(raw.headers)}
    pool = sorted(((c, h) for h, cs in candidates.items() if h not in chosen for c in cs),
                  key=lambda ch: (-ch[0].confidence, order[ch[1]]))
    for candidate, header in pool:
        if (header not in chosen and candidate.attribute not in taken
                and candidate.confidence >= MIN_CONFIDENCE):
            chosen[header] = candidate
            taken.add(candidate.attribute)
    proposals = []
    for m in base:
        pick = chosen.get(m.header)
        others = tuple(c for c in candidates[m.header]
                       if pick is None or c.attribute != pick.attribute)[:MAX_ALTERNATIVES]
        proposals.append(Proposal(
            m.column_index, m.header, pick.attribute if pick else None,
            pick.method if pick else "unmapped", pick.confidence if pick else 0.0,
            m.fill_rate, others))
    return proposals
