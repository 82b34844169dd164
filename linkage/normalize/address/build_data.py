"""Build linkage/data/admin/divisions.parquet from the shared NBS administrative divisions.

Run once (the output is committed):  python -m linkage.normalize.address.build_data ../shared/data

One row per division of the five NBS levels (province 2-digit code, prefecture 4, county 6,
township 9, village / community 12): `code` (Int64), `level` (1–5), `name`.  Parents follow
from the code's digits, so no parent column is stored.  Village-level names lose their
committee suffix (桃源社区居委会 → 桃源社区, 白石村村民委员会 → 白石村, 城关居委会 → 城关社区);
the placeholder prefectures 市辖区 / 省直辖县级行政区划 are left out (their counties hang
directly under the province).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import polars as pl

TARGET = Path(__file__).resolve().parents[2] / "data" / "admin"
PLACEHOLDER_CITIES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")
FILES = (("provinces.csv", 1), ("cities.csv", 2), ("areas.csv", 3), ("streets.csv", 4), ("villages.csv", 5))


def community_name(names: pl.Expr) -> pl.Expr:
    """NBS village-committee name → community name as written in addresses."""
    return (
        names.str.replace(r"(村民委员会|村委会)$", "村")
        .str.replace(r"(社区)?(居民委员会|居委会)$", "社区")
        .str.replace(r"委员会$", "")
        .str.replace(r"村村$", "村")
    )


def build(shared: Path) -> pl.DataFrame:
    source = shared / "admin_divisions"
    frames = []
    for name, level in FILES:
        frame = pl.read_csv(source / name, columns=["code", "name"], schema_overrides={"code": pl.Int64})
        frame = frame.with_columns(pl.lit(level, pl.Int8).alias("level"))
        if level == 2:
            frame = frame.filter(~pl.col("name").is_in(PLACEHOLDER_CITIES))
        if level == 5:
            frame = frame.with_columns(community_name(pl.col("name")).alias("name"))
        frames.append(frame.select("code", "level", "name"))
    return pl.concat(frames).sort("code")


def main(shared: str) -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    divisions = build(Path(shared))
    divisions.write_parquet(TARGET / "divisions.parquet", compression="zstd", compression_level=22,
                            statistics=False)
    shutil.copy(Path(shared) / "admin_divisions" / "LICENSE", TARGET / "LICENSE")
    print(divisions.group_by("level").len().sort("level"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
