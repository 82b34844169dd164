"""Build linkage/data/phones/area_codes.csv: China's telephone area codes and the divisions they serve.

Run once (the output is committed):  python -m linkage.normalize.build_area_codes

Source: the geocoding data of libphonenumber (Apache-2.0) as the installed `phonenumbers`
package carries it.  Every code 0 + 10 / 2X / 3-digit that phonenumbers accepts as the area
code of a fixed-line number is kept, with the places its geocoder names for the code
("广东省深圳市", "辽宁省沈阳市、铁岭市、抚顺市、本溪市", "贵州黔南", "云南省香格里拉市"),
read against the packaged NBS divisions (linkage/data/admin): the province first, then each
place, by full or short name (黔南 → 黔南布依族苗族自治州, 铜仁地区 → 铜仁市).  A county named
beside its own prefecture adds nothing (延边朝鲜族自治州、珲春市); a county alone stands for
itself (湖北省仙桃市、潜江市、天门市), or, when the geocoder also names its prefecture for the
code (香格里拉市 and 迪庆 for 0887), the prefecture does.  A municipality is its whole area (010).

One row per (area code, division): `area_code` ("0755"), `code` (NBS code: 2 digits for a
municipality, 4 for a prefecture, 6 for a county), `province`, `city` (a municipality's is its own
name; empty for counties that no prefecture holds), `district` (counties only).  A division
listed under two codes (晋中 under 0354 and 0358) is kept twice: its area code is ambiguous.
"""

from __future__ import annotations

import re
import shutil
from importlib import metadata
from pathlib import Path

import phonenumbers
import polars as pl
from phonenumbers import PhoneNumberType, geocoder
from phonenumbers.geodata import GEOCODE_DATA

from linkage.normalize.address.divisions import MUNICIPALITIES, names, spellings

TARGET = Path(__file__).resolve().parents[1] / "data" / "phones"
# misspelt or renamed places in the geocoder's text → their NBS name
CORRECTIONS = {"株州市": "株洲市", "襄樊市": "襄阳市"}
_TYPE_WORD = re.compile(r"(?:地区|市|县|盟)$")


def area_codes() -> dict[str, set[str]]:
    """Area code (without the trunk 0) → the geocoder's descriptions of it, for every code that
    phonenumbers accepts with a 7- or 8-digit subscriber number."""
    fixed = (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    candidates = ["10", *map(str, range(20, 30)), *map(str, range(300, 1000))]
    # the geocoder's fixed-line prefixes (86 + area code …), without the mobile ones (861[1-9]…)
    prefixes = [k for k in GEOCODE_DATA if k.startswith("86") and not re.match(r"861[1-9]", k)]
    found: dict[str, set[str]] = {}
    for code in candidates:
        for subscriber in (f"{first}2345678"[:length] for length in (7, 8) for first in "2345678"):
            number = phonenumbers.parse(f"+86{code}{subscriber}")
            if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in fixed:
                described = {geocoder.description_for_number(number, "zh")}
                described |= {GEOCODE_DATA[k].get("zh") for k in prefixes
                              if k.startswith(f"86{code}") and len(k) > len(code) + 2}
                found[code] = {d for d in described if d}
                break
    return found


def _places(description: str, table: pl.DataFrame) -> tuple[list[int], list[str]]:
    """(division codes named, parts not understood) of one description."""
    provinces = table.filter(pl.col("level") == 1)
    heads = [r for r in provinces.iter_rows(named=True) if description.startswith(r["spelling"])]
    if not heads:
        return [], [description]
    head = max(heads, key=lambda r: len(r["spelling"]))
    province, rest = head["code"], description[len(head["spelling"]):]
    if not rest:
        return ([province] if province in MUNICIPALITIES else []), []
    inside = table.filter((pl.col("level").is_in([2, 3]))
                          & (pl.col("code").cast(pl.Utf8).str.slice(0, 2) == str(province)))
    codes, unknown = [], []
    for part in rest.split("、"):
        part = CORRECTIONS.get(part, part)
        for spelling in (part, _TYPE_WORD.sub("", part)):
            match = inside.filter(pl.col("spelling") == spelling).sort("level")
            if match.height:
                codes.append(match["code"][0])
                break
        else:
            unknown.append(part)
    return codes, unknown


def build() -> tuple[pl.DataFrame, list[str]]:
    """The table (see the module docstring) and the description parts that named nothing."""
    table = spellings()
    rows, unknown = [], []
    for code, descriptions in sorted(area_codes().items()):
        named: set[int] = set()
        for description in descriptions:
            codes, missed = _places(description, table)
            named |= set(codes)
            unknown += [f"0{code}: {m}" for m in missed]
        for division in sorted(named):
            if division >= 10_000 and division // 100 in named:
                continue  # a county beside its own prefecture
            rows.append({"area_code": f"0{code}", "code": str(division)})
    frame = pl.DataFrame(rows, schema={"area_code": pl.Utf8, "code": pl.Utf8})
    return frame.with_columns(_names(frame["code"])), unknown


def _names(codes: pl.Series) -> list[pl.Series]:
    """`province`, `city`, `district` names of division codes, as the address normalizer writes
    them (a municipality's city is its own name)."""
    lookup = dict(zip(names()["code"].to_list(), names()["name"].to_list()))
    values = codes.cast(pl.Int64).to_list()
    province = [lookup[int(str(c)[:2])] for c in values]
    city = [lookup.get(int(str(c)[:4])) if c >= 100 else lookup[c] for c in values]
    district = [lookup[c] if c >= 10_000 else None for c in values]
    return [pl.Series("province", province), pl.Series("city", city, dtype=pl.Utf8),
            pl.Series("district", district, dtype=pl.Utf8)]


def _licence() -> Path:
    """The licence file shipped with the installed phonenumbers distribution."""
    dist = metadata.distribution("phonenumbers")
    return Path(next(dist.locate_file(f) for f in dist.files or () if f.name == "LICENSE"))


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    frame, unknown = build()
    frame.write_csv(TARGET / "area_codes.csv")
    shutil.copy(_licence(), TARGET / "LICENSE")
    print(f"{frame['area_code'].n_unique()} area codes, {frame.height} divisions; "
          f"not understood: {', '.join(unknown) or 'none'}")


if __name__ == "__main__":
    main()
