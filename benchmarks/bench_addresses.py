"""Benchmark: normalize 1M messy addresses (~300k distinct) with `normalize_address`.

    .venv/bin/python benchmarks/bench_addresses.py [--rows 1000000] [--distinct 300000]
    .venv/bin/python benchmarks/bench_addresses.py --run OUTPUT/linkage.duckdb

With --run, normalizes the `address` and `household_address` columns of a run's
`raw_records` (opened read-only, e.g. of `linkage synth --people 250000` data), with no region
hint, as the normalize stage does; prints rows, distinct values, wall and CPU seconds per
column, peak RSS and the load average.  Otherwise it makes its own data: dwellings in real communities of 深圳 (most), 北京, 南京 and 长沙 from the
packaged divisions, each written in a random style (upper levels from the province down to
none, Chinese or Arabic numerals, 栋/幢/座/号楼, 室/房/none, dashed 3-2-502, full-width
digits, spaces, 居委会 suffixes); rows repeat the distinct addresses as households do.
Prints rows, distinct values, seconds and peak RSS, and the share of rows per flag.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import polars as pl

from linkage.normalize.address.divisions import divisions, names
from linkage.normalize.addresses import normalize_address

CITIES = {4403: 0.85, 1101: 0.05, 3201: 0.05, 4301: 0.05}
ROAD_SUFFIXES = np.array(["路", "街", "大道", "一路", "二路"])
BUILDING_WORDS = np.array(["栋", "幢", "座", "号楼", "栋"])
ROOM_WORDS = np.array(["", "室", "房"])
CN = "零一二三四五六七八九"


def chinese(n: np.ndarray) -> np.ndarray:
    """1..99 in Chinese numerals."""
    tens, ones = n // 10, n % 10
    head = np.where(tens == 0, "", np.where(tens == 1, "十", np.char.add(np.array(list(CN))[tens], "十")))
    return np.char.add(head, np.where((ones == 0) & (tens > 0), "", np.array(list(CN))[ones]))


def make_addresses(rows: int, distinct: int, seed: int = 11) -> pl.Series:
    rng = np.random.default_rng(seed)
    table = divisions().filter(pl.col("level") == 5).with_columns((pl.col("code") // 10**8).alias("city"))
    table = table.filter(pl.col("city").is_in(list(CITIES)))
    counts = dict(table["city"].value_counts().rows())
    weight = table["city"].replace_strict(CITIES).to_numpy() / table["city"].replace_strict(counts).to_numpy()
    comm = rng.choice(table.height, distinct, p=weight / weight.sum())
    code = table["code"].to_numpy()[comm]
    lookup = dict(names().iter_rows())
    name = np.vectorize(lambda c: lookup.get(int(c), ""), otypes=[object])
    province, city = name(code // 10**10), name(code // 10**8)
    district, street, community = name(code // 10**6), name(code // 1000), table["name"].to_numpy()[comm]
    stem = np.char.replace(np.char.replace(community.astype(str), "社区", ""), "村", "")
    road = np.char.add(stem, ROAD_SUFFIXES[rng.integers(0, len(ROAD_SUFFIXES), distinct)])
    number, building = rng.integers(1, 300, distinct), rng.integers(1, 40, distinct)
    unit, room = rng.integers(1, 6, distinct), rng.integers(1, 33, distinct) * 100 + rng.integers(1, 9, distinct)
    use_cn = rng.random(distinct) < 0.2
    building_txt = np.where(use_cn, chinese(building), building.astype(str))
    unit_txt = np.where(use_cn, chinese(unit), unit.astype(str))
    level = rng.integers(0, 5, distinct)
    head = np.select(
        [level == 0, level == 1, level == 2, level == 3],
        [province + city + district + street + community, city + district + street,
         district + " " + community + "居委会", street + community], "")
    dashed = rng.random(distinct) < 0.1
    tail = np.where(
        dashed,
        road + number.astype(str) + "号" + building.astype(str) + "-" + unit.astype(str) + "-" + room.astype(str),
        road + number.astype(str) + "号" + building_txt + BUILDING_WORDS[rng.integers(0, 5, distinct)]
        + np.where(rng.random(distinct) < 0.5, unit_txt + "单元", "") + room.astype(str)
        + ROOM_WORDS[rng.integers(0, 3, distinct)])
    text = pl.Series("address", (head + tail).astype(str))
    full_width = pl.Series(rng.random(distinct) < 0.1)
    text = pl.select(pl.when(full_width).then(text.str.replace_many(
        [str(d) for d in range(10)], [chr(0xFF10 + d) for d in range(10)])).otherwise(text)).to_series()
    order = np.concatenate([np.arange(distinct), rng.integers(0, distinct, rows - distinct)])
    return text.gather(rng.permutation(order))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=300_000)
    parser.add_argument("--run", help="a run's linkage.duckdb: normalize its raw address columns")
    args = parser.parse_args()
    if args.run:
        run_columns(args.run)
        return
    addresses = make_addresses(args.rows, args.distinct)
    divisions(), names()  # package data loaded before timing, as in a run
    start, cpu = time.perf_counter(), time.process_time()
    out = normalize_address(addresses, "address", region_hint="深圳市")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows {out.height:,}  distinct {addresses.n_unique():,}  seconds {seconds:.2f} (cpu {cpu:.2f})  peak RSS {peak:,.0f} MiB")
    print(out["address_flag"].value_counts(normalize=True).sort("address_flag"))
    print(out.select(pl.all().is_not_null().mean()).transpose(include_header=True))


def run_columns(database: str) -> None:
    """Time `normalize_address` on the raw address columns of a run's database."""
    import os

    import duckdb

    with duckdb.connect(database, read_only=True) as con:
        raw = con.sql("SELECT address, household_address FROM raw_records ORDER BY record_id").pl()
    divisions(), names()
    normalize_address(pl.Series(["广东省深圳市南山区桃源街道桃源社区科技园路18号"]), "warm")  # cached tables
    total_wall = total_cpu = 0.0
    for column in raw.columns:
        start, cpu = time.perf_counter(), time.process_time()
        out = normalize_address(raw[column], column)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        total_wall, total_cpu = total_wall + seconds, total_cpu + cpu
        print(f"{column}: rows {out.height:,}  distinct {raw[column].n_unique():,}  "
              f"seconds {seconds:.2f} (cpu {cpu:.2f})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"both: seconds {total_wall:.2f} (cpu {total_cpu:.2f})  peak RSS {peak:,.0f} MiB  load {load}")


if __name__ == "__main__":
    main()
