"""Normalize raw records into canonical, comparable values (the `records` table contract).

`normalize_records(frame, entity_type)` takes one entity type's raw records — columns
`record_id` (Int64), `source`, `source_row` (Int64), `entity_type`, `extras` (JSON text) and any
canonical attributes of `linkage.attributes` as raw text (Utf8, null = blank) — and returns the
same rows in the same order with every canonical attribute replaced by its normalized value and
the derived columns below added.  Blank and placeholder values (无, 不详, /, 000000 …) become
null; invalid values are kept (cleaned) and flagged, never blanked.

Columns by attribute kind (only for attributes present in the input; `<a>` is the attribute):
- person_name: `<a>` cleaned name; `<a>_pinyin` toneless pinyin, syllables joined with no
  space ("zhangwei"); `<a>_initials` ("zw"); for `name` also `surname`, `given_name`.
- id_number: `<a>` 18-character upper-case ID where it can be made one (15-digit legacy IDs
  converted), else the cleaned text; `<a>_flag` in valid / bad_check_digit / bad_date /
  wrong_length / not_an_id / precision_lost (a number in scientific notation, 4.40306E+17:
  an ID stored as a spreadsheet number, its last digits gone); `<a>_legacy` (Boolean: was 15 digits); for `id_number` also
  `id_birth_date` (ISO date text), `id_gender` ("1"/"2"), `id_region` (region name, e.g.
  "广东省深圳市南山区"; a retired area code named as it was, "浙江省杭州市江干区") — derived
  for valid IDs and IDs whose only fault is the check digit.
- gender: `<a>` GB/T 2261.1 code "1" male / "2" female / "0" unknown / "9" unspecified;
  `<a>_flag` valid / invalid / conflicts_with_id (1/2 against the ID number's gender digit).
- date: `<a>` ISO text "YYYY-MM-DD" (or "YYYY-MM" / "YYYY" when only year and month / the
  year are known); `<a>_flag` valid / partial / invalid.
- ethnicity: `<a>` name with 族 ("汉族"); `<a>_code` GB/T 3304 two-digit code; `<a>_flag`
  valid / invalid.
- phone: `<a>` first number, digits only (landline as area code + number, e.g. "07558888888");
  `<a>_all` every number in the cell joined by ";"; `<a>_type` mobile / landline / service;
  `<a>_flag` valid / area_code_added / no_area_code / invalid; `<a>_written`.  A 7–8 digit
  local number gets the area code of the record's place (linkage.normalize.area_codes): the
  county-level city or city of its normalized `address`, or, where that names no place, of
  `region_hint`; it is flagged area_code_added and the number as written is kept in
  `<a>_written` (null otherwise).  Where the place is unknown or has no single code (晋中:
  0354 and 0358) the number stays local, flagged no_area_code.  Local numbers in `<a>_all`
  are completed alike.
- address: `<a>` canonical address text; `<a>_province`, `<a>_city`, `<a>_district`,
  `<a>_street`, `<a>_community` (today's divisions, also for old names: 杭州市江干区下沙街道 →
  钱塘区), `<a>_road`, `<a>_number`, `<a>_compound` (小区 / 花园 / 公寓 / 大厦 … with its part:
  翠苑一区), `<a>_building`, `<a>_unit`, `<a>_room`; `<a>_old_name` the prefecture / county as
  written where it differs from today's (江干区; null otherwise); `<a>_key` coarse blocking key
  (district|community|road|number|building, the compound in place of road and number:
  上城区||钱塘公寓||20栋); `<a>_flag` parsed / partial / unparsed.
- enterprise_name: `<a>` cleaned name; `<a>_core` core name (字号); `<a>_core_pinyin` its
  toneless pinyin; `<a>_legal_form`;
  `<a>_region` (region named in the name); `<a>_flag` valid / no_legal_form / invalid;
  `<a>_industry` the industry words after the core (餐饮管理).
- uscc / org_code / reg_number: `<a>` cleaned upper-case code; `<a>_flag` valid / org_code /
  reg_number / bad_check / wrong_length / invalid_chars / precision_lost — org_code: a valid 9-character organisation code
  in a uscc or reg_number column (a uscc is valid when both its check character and that of
  the organisation code inside it hold).  For enterprises also `org_key`: the organisation
  code from a valid uscc (characters 9–17), else a valid org_code, else an organisation code
  keyed into the uscc or reg_number column — so records carrying any of them can link — and
  `org_key_flag` ("valid" where there is one: a different organisation code is a different
  organisation, which makes it the enterprise identifier); and, where a uscc or reg_number
  column is mapped, `reg_key`: a valid registration number, from the reg_number column or
  keyed into the uscc one (flag `reg_number` there).
- text / code / number: trimmed, full-width folded to half-width, inner runs of spaces
  collapsed, placeholders to null.
"""

from __future__ import annotations

import functools
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import polars as pl

from linkage.attributes import ATTRIBUTES
from linkage.normalize.addresses import normalize_address
from linkage.normalize.area_codes import area_code_of_hint, area_codes_of
from linkage.normalize.codes import cross_check_gender, normalize_ethnicity, normalize_gender
from linkage.normalize.dates import normalize_date
from linkage.normalize.enterprise import normalize_code, normalize_enterprise_name, org_key, reg_key
from linkage.normalize.ids import normalize_id_number
from linkage.normalize.names import normalize_person_name
from linkage.normalize.phones import complete_local_numbers, normalize_phone
from linkage.normalize.text import as_text, clean_text

LINEAGE = ("record_id", "source", "source_row", "entity_type")
THREADS = 2
CODE_KINDS = ("uscc", "org_code", "reg_number")
COST = {"address": 3, "person_name": 2, "enterprise_name": 2, "id_number": 1, "date": 1, "phone": 1}


def normalize_column(series: pl.Series, kind: str, entity_type: str,
                     region_hint: str | None = None) -> pl.DataFrame:
    """The normalized column(s) of one canonical attribute of `kind` (see the contract above)."""
    name = series.name
    series = as_text(series)
    match kind:
        case "person_name":
            split = entity_type == "person" and name == "name"
            return normalize_person_name(series, name, split=split)
        case "id_number":
            return normalize_id_number(series, name, derive=name == "id_number")
        case "gender":
            return normalize_gender(series, name)
        case "date":
            return normalize_date(series, name)
        case "ethnicity":
            return normalize_ethnicity(series, name)
        case "phone":
            return normalize_phone(series, name)
        case "address":
            return normalize_address(series, name, region_hint)
        case "enterprise_name":
            return normalize_enterprise_name(series, name)
        case "uscc" | "org_code" | "reg_number":
            return normalize_code(series, kind, name)
        case _:
            return clean_text(series, zeros=kind != "number").to_frame()


class Memo:
    """The normalized values of the costly columns (the kinds of `COST`) of records that are
    normalized chunk by chunk: each such column's distinct values over all the records —
    `distinct(name)` gives them — are normalized together when the first chunk needs them, and
    every chunk looks its rows up.  Normalizing is value by value, so the chunks' columns are
    what normalizing every record at once gives, at the same cost (no column's fixed costs
    paid once per chunk).  The distinct values are normalized `SLICE` at a time, so that the
    normalizers' intermediate frames hold a slice of them, not millions of values at once."""

    KEY = "__value"
    SLICE = 500_000

    def __init__(self, entity_type: str, region_hint: str | None,
                 distinct: Callable[[str], pl.Series]):
        self.entity_type, self.region_hint, self.distinct = entity_type, region_hint, distinct
        self.values: dict[str, pl.DataFrame] = {}

    @classmethod
    def of_frame(cls, entity_type: str, region_hint: str | None, records: pl.DataFrame) -> Memo:
        """The memo of records held in one frame."""
        return cls(entity_type, region_hint, lambda name: records[name])

    def column(self, series: pl.Series, kind: str) -> pl.DataFrame:
        """`normalize_column` of `series`, a slice of the records' column of that name."""
        name = series.name
        if name not in self.values:
            distinct = as_text(self.distinct(name).rename(name)).unique()
            normalized = pl.concat([
                normalize_column(distinct.slice(start, self.SLICE), kind, self.entity_type,
                                 self.region_hint)
                for start in range(0, max(distinct.len(), 1), self.SLICE)])
            self.values[name] = pl.concat([distinct.to_frame(self.KEY), normalized],
                                          how="horizontal")
        rows = as_text(series).to_frame(self.KEY)
        # the chunk's own values picked out first: a join builds its hash table on the right
        # side, and the memo's values grow with the records (one join of 200k rows against 6M
        # values: 0.5 s; the pick and a join against what it kept: 0.19 s)
        wanted = self.values[name].join(rows.unique(), on=self.KEY, how="semi", nulls_equal=True)
        return rows.join(wanted, on=self.KEY, how="left", nulls_equal=True,
                         maintain_order="left").drop(self.KEY)


def normalize_records(frame: pl.DataFrame, entity_type: str,
                      region_hint: str | None = None, memo: Memo | None = None) -> pl.DataFrame:
    """Normalize one entity type's raw records (see the module docstring for the contract).

    `region_hint` (the run's city or district, e.g. "深圳市") helps read addresses that leave
    it out.  Lineage columns come first, then each column in input order, a normalized
    attribute followed by its derived columns; other columns pass through untouched.
    `frame` may be a chunk of the records a `memo` (made with the same entity type and hint)
    was made for: the costly columns are then looked up in it.
    """
    attributes = ATTRIBUTES[entity_type]
    todo = [c for c in frame.columns if c in attributes and c not in LINEAGE]
    # columns are independent and polars releases the GIL: two threads keep both cores busy;
    # the costly kinds go first so the other thread fills in with the cheap ones
    todo.sort(key=lambda c: COST.get(attributes[c].kind, 0), reverse=True)

    def normalize(column: str) -> pl.DataFrame:
        kind = attributes[column].kind
        if memo is not None and kind in COST:
            return memo.column(frame[column], kind)
        return normalize_column(frame[column], kind, entity_type, region_hint)

    with ThreadPoolExecutor(THREADS) as pool:
        futures = {c: pool.submit(normalize, c) for c in todo}
        parts = {c: futures[c].result() for c in frame.columns if c in futures}
    gender = next((c for c in parts if attributes[c].kind == "gender"), None)
    ids = parts.get("id_number")
    if gender and ids is not None and "id_gender" in ids.columns:
        parts[gender] = cross_check_gender(parts[gender], ids["id_gender"], gender)
    phones = [c for c in parts if attributes[c].kind == "phone"]
    if phones:
        area_codes = _area_codes(parts.get("address"), region_hint)
        for c in phones:
            parts[c] = complete_local_numbers(parts[c], area_codes, c)
    derived = []
    codes = {attributes[c].kind: parts[c] for c in parts if attributes[c].kind in CODE_KINDS}
    if entity_type == "enterprise" and codes:
        key = org_key(codes)
        # every organisation code carried is valid: a different one is a different organisation
        derived += [key, key.is_not_null().replace_strict({True: "valid"}, default=None,
                                                          return_dtype=pl.Utf8).alias("org_key_flag")]
        registration = reg_key(codes)
        if registration is not None:
            derived.append(registration)
    columns = [frame[c] for c in LINEAGE if c in frame.columns]
    for column in frame.columns:
        if column in parts:
            columns.extend(parts[column].get_columns())
        elif column not in LINEAGE:
            columns.append(frame[column])
    return pl.DataFrame(columns + derived)


def release_reference_data() -> None:
    """Forget what the normalizers loaded and remembered on first use — the address divisions
    with their spellings and lookup bitmaps, pinyin and traditional-to-simplified tables, area
    codes, per-value memos: about 0.3 GiB a process holds however few records it normalized.
    A run calls it once its records are normalized, so that linking and the later stages do not
    carry it; a normalizer called afterwards loads what it needs again."""
    for name, module in list(sys.modules.items()):
        if module is not None and (name == __name__ or name.startswith(f"{__name__}.")):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


@functools.cache
def record_columns(entity_type: str) -> frozenset[str]:
    """Every column `normalize_records` can give records of `entity_type`: the lineage, every
    attribute and every column derived from it (found by normalizing one blank row, so the
    vocabulary always matches the normalizers)."""
    attributes = list(ATTRIBUTES[entity_type])
    blank = pl.DataFrame({"record_id": [1], "source": ["s"], "source_row": [1],
                          "entity_type": [entity_type], "extras": [None],
                          **{a: pl.Series([None], dtype=pl.Utf8) for a in attributes}},
                         schema_overrides={"extras": pl.Utf8})
    return frozenset(normalize_records(blank, entity_type).columns)


def _area_codes(address: pl.DataFrame | None, region_hint: str | None
                ) -> Callable[[pl.Series], pl.Series]:
    """A function giving the telephone area code of the records at some row indices: from their
    normalized address (county, then city; none where the place has no single code), else —
    where the address names no place at all — from the region hint."""
    def lookup(rows: pl.Series) -> pl.Series:
        fallback = pl.repeat(area_code_of_hint(region_hint), len(rows), dtype=pl.Utf8, eager=True)
        if address is None:
            return fallback
        places = [address[f"address_{p}"].gather(rows) for p in ("province", "city", "district")]
        return pl.select(pl.when(places[0].is_null()).then(fallback)
                         .otherwise(area_codes_of(*places))).to_series()

    return lookup
