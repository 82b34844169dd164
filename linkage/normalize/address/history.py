"""Divisions renamed, merged or abolished since 1980, and where their places are today.

The packaged table `linkage/data/admin/history.csv` (github yescallop/areacodes, CC0) lists
every province-, prefecture- and county-level code used since 1980: name, parent names, status
(在用 in use, 变更 renamed, 弃用 retired), years, and the codes that took over its territory
("330102[1996];330102;330114": a part went to 330102 in 1996 while the code lived on, the
rest to 330102 and 330114 when it was retired).

- `former_names()`: each retired or renamed division whose name the NBS 2023 list no longer
  has at that place (江干区, 富阳市, 襄樊市), with the code(s) of today's divisions that hold its
  territory (江干区 → 上城区, 钱塘区; 富阳市 → 富阳区), followed through chains of changes
  (富阳县 → 富阳市 → 富阳区).
- `transfers()`: today's divisions that handed part of their territory to another one still in
  use since 2000 (余杭区 → 临平区, 萧山区 → 钱塘区): a township written under the old parent
  is looked up in both.
- `historic_regions()`: the name of every 6-digit code ever used, with its province and
  prefecture as they were (330104 → 浙江省杭州市江干区), for the area codes of old ID numbers.

Codes are the NBS digits of `divisions`: 2 for a province, 4 for a prefecture, 6 for a county.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import polars as pl

from linkage.normalize.address.divisions import divisions

STATUS_IN_USE = "在用"
# transfers older than this are no longer written with the old parent (and would let short
# township names of a neighbour in: 白云区白云湖街 is no 白云街道 of 越秀区)
TRANSFERS_SINCE = 2000
GENERIC_AREA = r"^(?:郊|城|矿|市|新|林|特)区$"  # words for an area, not names of one
_SUCCESSOR = re.compile(r"(\d{6})(?:\[(\d{4})\])?")


@functools.cache
def history() -> pl.DataFrame:
    """The packaged table: `code6` (Utf8), `province`, `prefecture`, `name`, `status`,
    `start`, `end` (Int32) and `successors` (raw text)."""
    path = resources.files("linkage") / "data" / "admin" / "history.csv"
    with resources.as_file(path) as csv:
        frame = pl.read_csv(csv, infer_schema=False, encoding="utf8")
    frame.columns = ["code6", "province", "prefecture", "name", "rank", "status", "start", "end", "successors"]
    return frame.with_columns(pl.col("start", "end").cast(pl.Int32))


def nbs_code(code6: str) -> tuple[int, int]:
    """(level, code) of a 6-digit code in the digits of `divisions`: 330000 → (1, 33),
    330100 → (2, 3301), 330104 → (3, 330104)."""
    value = int(code6)
    if value % 10000 == 0:
        return 1, value // 10000
    if value % 100 == 0:
        return 2, value // 100
    return 3, value


@functools.cache
def _current() -> frozenset[int]:
    """Codes of the provinces, prefectures and counties of the NBS 2023 list (with the
    municipalities' placeholder prefectures 1101, 1201, 3101, 5001, 5002)."""
    codes = set(divisions().filter(pl.col("level") <= 3)["code"].to_list())
    codes |= {code * 100 + offset for code in (11, 12, 31, 50) for offset in (1, 2)}
    return frozenset(codes)


def _parse_successors(text: str | None, since: int = 0) -> tuple[list[str], list[str]]:
    """(final successors, partial transfers while the code lived on — those of `since` or later)."""
    final, partial = [], []
    for code, year in _SUCCESSOR.findall(text or ""):
        if not year:
            final.append(code)
        elif int(year) >= since:
            partial.append(code)
    return final, partial


def _latest_records() -> dict[str, dict]:
    """Each 6-digit code's latest record (a code renamed or reused has several)."""
    return {row["code6"]: row for row in history().sort("start").iter_rows(named=True)}


class _Successors:
    """Today's divisions holding the territory of a record, following chains of changes."""

    def __init__(self) -> None:
        self.latest = _latest_records()
        self.current = _current()
        self.resolved: dict[str, frozenset[int]] = {}

    def of_code(self, code6: str, seen: frozenset[str] = frozenset()) -> frozenset[int]:
        if code6 not in self.resolved:
            code = nbs_code(code6)[1]
            if code in self.current:
                self.resolved[code6] = frozenset({code})
            elif code6 in seen or code6 not in self.latest:
                return frozenset()
            else:
                self.resolved[code6] = self.of_record(self.latest[code6], seen | {code6})
        return self.resolved[code6]

    def of_record(self, record: dict, seen: frozenset[str] = frozenset()) -> frozenset[int]:
        """A renamed record (变更) lives on at its code; a retired one (弃用) in its
        successors (the final ones, or else those of its partial transfers)."""
        final, partial = _parse_successors(record["successors"])
        codes = (final or partial) if record["status"] == "弃用" else [record["code6"], *final]
        if not codes and nbs_code(record["code6"])[0] == 2:
            return self._of_prefecture(record, seen)
        return frozenset().union(*(self.of_code(c, seen | {record["code6"]}) for c in codes))

    def _of_prefecture(self, record: dict, seen: frozenset[str]) -> frozenset[int]:
        """A prefecture retired without successors (山南地区 → 山南市, 巢湖市 split): the
        prefectures now holding its counties."""
        children = self.children().get((record["code6"][:4], record["name"]), [])
        holders = frozenset().union(*(self.of_record(child, seen | {record["code6"]}) for child in children))
        return frozenset(code // 100 if code > 9999 else code for code in holders)

    @functools.cache
    def children(self) -> dict[tuple[str, str], list[dict]]:
        """County records by (first four digits, prefecture name)."""
        out: dict[tuple[str, str], list[dict]] = {}
        for row in history().iter_rows(named=True):
            if nbs_code(row["code6"])[0] == 3:
                out.setdefault((row["code6"][:4], row["prefecture"]), []).append(row)
        return out


@functools.cache
def former_names() -> pl.DataFrame:
    """`name` (as it was), `level` (of today's division), `code` (today's; one row per
    successor).  Names today's divisions or their prefectures still carry are left out (焦作市
    renumbered; the county-level 金华市, now 婺城区 and 金东区, reads as the prefecture), and so
    are names of one character before their type word used in several places (郊区, 城区):
    too vague to read."""
    successors_of = _Successors()
    current_names = dict(divisions().filter(pl.col("level") <= 3).select("code", "name").iter_rows())

    rows = []
    for record in history().filter(pl.col("status") != STATUS_IN_USE).iter_rows(named=True):
        name = record["name"]
        successors = successors_of.of_record(record)
        if not successors:
            continue
        if any(current_names.get(code) == name or current_names.get(code // 100) == name for code in successors):
            continue  # 焦作市 renumbered: its name is still today's; the county-level 金华市 is the prefecture's
        for code in sorted(successors):
            rows.append({"name": name, "level": nbs_code(str(code).ljust(6, "0"))[0], "code": code})
    frame = pl.DataFrame(rows, schema={"name": pl.Utf8, "level": pl.Int8, "code": pl.Int64}).unique()
    # one character before the type word and held by several divisions today (郊区, 城区), or a
    # word for any area (新区, 矿区); 郫县, 户县 are one place each
    generic = pl.col("name").str.contains(r"^.(?:区|县|市)$") & (
        (pl.col("code").n_unique().over("name") > 1) | pl.col("name").str.contains(GENERIC_AREA))
    return frame.filter(~generic).sort("code", "name")


@functools.cache
def transfers() -> pl.DataFrame:
    """`code` of a division in use, `reach`: itself and the divisions of the same level that
    took part of its territory (余杭区 330110 → 330110, 330113)."""
    successors_of = _Successors()
    pairs = []
    for record in history().filter(pl.col("successors").is_not_null()).iter_rows(named=True):
        code = nbs_code(record["code6"])[1]
        if code not in successors_of.current or record["status"] == "弃用":
            continue
        _, partial = _parse_successors(record["successors"], since=TRANSFERS_SINCE)
        for target in partial:
            for reach in successors_of.of_code(target):
                if reach != code and len(str(reach)) == len(str(code)):
                    pairs.append((code, reach))
    frame = pl.DataFrame(pairs, schema={"code": pl.Int64, "reach": pl.Int64}, orient="row")
    return frame.unique().sort("code", "reach")


@functools.cache
def historic_regions() -> dict[str, str]:
    """6-digit code → region name of its latest record, with province and prefecture as
    they were (330104 → 浙江省杭州市江干区; municipalities and directly administered
    counties have no prefecture name)."""
    regions = {}
    for code6, row in _latest_records().items():
        level, _ = nbs_code(code6)
        prefecture = row["prefecture"] if row["prefecture"] not in (None, "直辖") else ""
        parts = [row["province"]] + ([prefecture] if level == 3 else []) + ([row["name"]] if level > 1 else [])
        regions[code6] = "".join(dict.fromkeys(p for p in parts if p))
    return regions
