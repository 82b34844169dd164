"""Build the compact reference files of linkage/data/synth/ from the project's shared data.

Run once (the output is committed):  python -m linkage.synth.build_data ../shared/data

- communities.csv: every district, street and community of 深圳市 (4403) from admin_divisions;
- areas.csv: every county-level code with its province / city / county names (ID area codes
  and household addresses of migrants);
- surnames.csv, given_chars.csv: name frequencies (GBK-encodable characters only, so every
  export encoding can hold them);
- company_names.txt: a deterministic sample of real company short names (2–4 CJK characters);
- confusion.csv: per character of those vocabularies, the simplified characters a pinyin input
  method offers for the same toneless syllable (pypinyin + same_pinyin.txt, most frequent
  first, as the input method ranks them) and the shape-similar ones (same_stroke.txt).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import polars as pl
from opencc import OpenCC
from pypinyin import Style, pinyin

CITY = "4403"
COMPANY_SAMPLE_STRIDE = 5
MAX_CANDIDATES = 8
TARGET = Path(__file__).resolve().parents[1] / "data" / "synth"


def _gbk(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def _community_name(name: str) -> str:
    """"大塘龙社区居民委员会" → "大塘龙社区"; "滨海居委会" → "滨海社区" (as addresses write them)."""
    short = re.sub(r"(居民委员会|居委会|居委|村民委员会)$", "", name)
    return short if "社区" in short or short.endswith("村") else short + "社区"


def build_divisions(shared: Path) -> None:
    ad = shared / "admin_divisions"
    read = lambda name: pl.read_csv(ad / name, infer_schema=False)  # noqa: E731
    areas = read("areas.csv").rename({"code": "area_code", "name": "area"})
    streets = read("streets.csv").rename({"code": "street_code", "name": "street"})
    villages = read("villages.csv").rename({"code": "community_code", "name": "community"})
    city = (villages.filter(pl.col("cityCode") == CITY)
            .join(streets.select("street_code", "street"), left_on="streetCode", right_on="street_code")
            .join(areas.select("area_code", "area"), left_on="areaCode", right_on="area_code")
            .select(pl.col("areaCode").alias("district_code"), pl.col("area").alias("district"),
                    pl.col("streetCode").alias("street_code"), "street", "community_code",
                    pl.col("community").map_elements(_community_name, return_dtype=pl.Utf8))
            .sort("community_code"))
    city.write_csv(TARGET / "communities.csv")
    provinces = read("provinces.csv").rename({"code": "provinceCode", "name": "province"})
    cities = read("cities.csv").rename({"code": "cityCode", "name": "city"}).drop("provinceCode")
    table = (areas.join(provinces, on="provinceCode").join(cities, on="cityCode")
             .select(pl.col("area_code").alias("code"), "province",
                     pl.when(pl.col("city").is_in(["市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"]))
                     .then(pl.lit("")).otherwise(pl.col("city")).alias("city"), "area")
             .sort("code"))
    table.write_csv(TARGET / "areas.csv")
    shutil.copyfile(ad / "LICENSE", TARGET / "LICENSE.admin_divisions")


def build_names(shared: Path) -> pl.DataFrame:
    surnames = (pl.read_csv(shared / "names" / "surname_freq.csv")
                .filter(pl.col("surname").map_elements(_gbk, return_dtype=pl.Boolean))
                .select("surname", pl.col("tf").alias("weight")))
    surnames.write_csv(TARGET / "surnames.csv")
    given = (pl.read_csv(shared / "names" / "given_char_freq_by_gender.csv")
             .filter(pl.col("char").map_elements(_gbk, return_dtype=pl.Boolean)))
    given.write_csv(TARGET / "given_chars.csv")
    shutil.copyfile(shared / "names" / "LICENSE.surname_freq", TARGET / "LICENSE.surname_freq")
    shutil.copyfile(shared / "names" / "LICENSE.given_char_freq", TARGET / "LICENSE.given_char_freq")
    freq = given.select("char", (pl.col("male") + pl.col("female")).alias("freq"))
    surname_chars = (surnames.select(pl.col("surname").str.split("").alias("char"), "weight")
                     .explode("char").group_by("char").agg(pl.col("weight").sum() * 100))
    return (pl.concat([freq, surname_chars.select("char", pl.col("weight").cast(pl.Int64).alias("freq"))])
            .group_by("char").agg(pl.col("freq").sum()))


def build_companies(shared: Path) -> set[str]:
    lines = (shared / "company" / "company_short_names.txt").read_text(encoding="utf-8-sig").splitlines()
    names = [n for n in lines[2:] if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n) and _gbk(n)]
    sample = names[::COMPANY_SAMPLE_STRIDE]
    (TARGET / "company_names.txt").write_text("\n".join(sample) + "\n", encoding="utf-8")
    shutil.copyfile(shared / "company" / "LICENSE", TARGET / "LICENSE.company_names")
    return set("".join(sample))


def build_confusion(shared: Path, freq: pl.DataFrame, extra_chars: set[str]) -> None:
    """Homophones (same toneless syllable) and shape-similar characters per vocabulary char."""
    known = dict(zip(freq["char"], freq["freq"]))
    vocab = sorted(set(known) | {c for c in extra_chars if _gbk(c)})
    t2s = OpenCC("t2s")
    simplified = {c for c in vocab if t2s.convert(c) == c}
    reading = {c: pinyin(c, style=Style.NORMAL, heteronym=False)[0][0] for c in vocab}
    by_reading: dict[str, list[str]] = {}
    for c, r in reading.items():
        by_reading.setdefault(r, []).append(c)
    same_syllable: dict[str, set[str]] = {}
    for line in (shared / "confusion" / "same_pinyin.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("#") or len(parts) < 2:
            continue
        same_syllable[parts[0]] = set("".join(parts[1:]))
    shapes: dict[str, set[str]] = {}
    for line in (shared / "confusion" / "same_stroke.txt").read_text(encoding="utf-8").splitlines():
        group = [c for c in "".join(line.split("\t")) if not c.isspace()]
        for c in group:
            shapes.setdefault(c, set()).update(g for g in group if g != c)

    def ranked(cands: set[str], c: str) -> str:
        ok = [x for x in cands if x != c and x in known and x in simplified and _gbk(x)]
        return "".join(sorted(ok, key=lambda x: (-known[x], x))[:MAX_CANDIDATES])

    rows = []
    for c in vocab:
        homophones = ranked(set(by_reading[reading[c]]) | same_syllable.get(c, set()), c)
        similar = ranked(shapes.get(c, set()), c)
        if homophones or similar:
            rows.append((c, homophones, similar))
    pl.DataFrame(rows, schema=["char", "homophones", "shapes"], orient="row").write_csv(
        TARGET / "confusion.csv")
    shutil.copyfile(shared / "company" / "LICENSE", TARGET / "LICENSE.confusion")


def main(shared: str) -> None:
    root = Path(shared)
    TARGET.mkdir(parents=True, exist_ok=True)
    build_divisions(root)
    freq = build_names(root)
    company_chars = build_companies(root)
    build_confusion(root, freq, company_chars)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
