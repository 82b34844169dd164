"""Benchmark: normalize 1M realistic person records (every attribute except addresses).

    .venv/bin/python benchmarks/bench_normalize.py [--rows 1000000] [--profile]
    .venv/bin/python benchmarks/bench_normalize.py --run OUT/linkage.duckdb   # all attributes

With `--run`, times `normalize_records` instead on the raw person records of a finished run
(every person attribute of real synth exports, addresses included; read-only).

Generates the rows itself once (seeded numpy; surnames and given-name characters weighted by
real frequencies from linkage/data/synth/, area codes from linkage/data/regions/) with the
mess departmental exports carry: spaces and full-width characters in names, traditional
characters, bracketed notes, minority names with assorted dots; lower-case x, 15-digit legacy
and mistyped ID numbers; gender (1 % contradicting the ID), birth date, ethnicity and phone in
many spellings (Excel serials, 1985年3月2日, +86, several numbers in a cell); placeholders.
The rows are kept in benchmarks/_data/normalize_<rows>.parquet for later runs.  Then times
`normalize_records` on them (addresses excluded: they have their own benchmark) and prints
rows, wall and CPU seconds, the load average and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import time
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl

from linkage.normalize import normalize_records
from linkage.normalize.ids import CHECK_CHARACTERS, WEIGHTS
from linkage.normalize.regions import load_regions


def _data(name: str) -> pl.DataFrame:
    with resources.as_file(resources.files("linkage") / "data" / "synth" / name) as path:
        return pl.read_csv(path)


def _pick(rng, values, n, weights=None) -> np.ndarray:
    p = None if weights is None else np.asarray(weights, float)
    p = None if p is None else p / p.sum()
    return np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)]


def _mess(rng, values: np.ndarray, rate: float, how) -> np.ndarray:
    """Apply `how` (vectorised over the chosen values) to a `rate` share of values."""
    chosen = rng.random(len(values)) < rate
    out = values.copy()
    out[chosen] = how(values[chosen])
    return out


def make_rows(rows: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    surnames, chars = _data("surnames.csv"), _data("given_chars.csv")
    male = rng.random(rows) < 0.5
    surname = _pick(rng, surnames["surname"], rows, surnames["weight"])
    given_m = _pick(rng, chars["char"], 2 * rows, chars["male"]).reshape(2, rows)
    given_f = _pick(rng, chars["char"], 2 * rows, chars["female"]).reshape(2, rows)
    given = np.where(male, given_m[0], given_f[0])
    second = np.where(male, given_m[1], given_f[1])
    given = np.where(rng.random(rows) < 0.7, given + second, given)
    name = surname + given
    name = _mess(rng, name, 0.03, lambda v: np.array([n[0] + " " + n[1:] for n in v], object))
    name = _mess(rng, name, 0.01, lambda v: v + "(曾用名)")
    name = _mess(rng, name, 0.01, lambda v: np.array(["張" + n[1:] for n in v], object))
    name = _mess(rng, name, 0.005, lambda v: np.full(len(v), "买买提•艾力", object))

    areas = load_regions().filter(pl.col("level") == "county")["code"].to_numpy()
    area = _pick(rng, areas, rows)
    birth = np.datetime64("1940-01-01") + rng.integers(0, 365 * 65, rows).astype("timedelta64[D]")
    ymd = np.datetime_as_string(birth, unit="D")
    compact = np.char.replace(ymd.astype(str), "-", "")
    seq = rng.integers(0, 1000, rows)
    seq = np.where((seq % 2 == 1) == male, seq, (seq + 1) % 1000)
    body = np.char.add(np.char.add(area.astype(str), compact), np.char.zfill(seq.astype(str), 3))
    digits = body.astype("U17").view("U1").reshape(rows, 17).astype(int)
    check = np.array(list(CHECK_CHARACTERS))[(digits * np.array(WEIGHTS)).sum(1) % 11]
    id18 = np.char.add(body, check).astype(object)
    legacy = np.array([i[:6] + i[8:17] for i in id18], object)
    id_number = np.where((rng.random(rows) < 0.08) & (birth < np.datetime64("1985-01-01")),
                         legacy, id18)
    id_number = _mess(rng, id_number, 0.02, lambda v: np.array([i.lower() for i in v], object))
    id_number = _mess(rng, id_number, 0.01, lambda v: np.array([i[:9] + i[10] + i[9] + i[11:]
                                                                for i in v], object))
    id_number = _mess(rng, id_number, 0.02, lambda v: np.full(len(v), None, object))

    written_male = np.where(rng.random(rows) < 0.01, ~male, male)   # 1 % contradict the ID
    gender = np.where(written_male, _pick(rng, ["男", "男性", "1", "M"], rows, [80, 10, 8, 2]),
                      _pick(rng, ["女", "女性", "2", "F"], rows, [80, 10, 8, 2]))
    year, month = ymd.astype("U4"), np.char.lstrip(np.array([s[5:7] for s in ymd]), "0")
    day = np.char.lstrip(np.array([s[8:10] for s in ymd]), "0")
    serial = (birth - np.datetime64("1899-12-30")).astype(int).astype(str)
    formats = [ymd.astype(object), compact.astype(object),
               (year + "年" + month + "月" + day + "日").astype(object),
               (year + "/" + month + "/" + day).astype(object),
               (year + "." + month).astype(object), serial.astype(object)]
    which = rng.choice(len(formats), rows, p=[0.5, 0.2, 0.1, 0.1, 0.05, 0.05])
    birth_date = np.choose(which, formats)

    ethnicity = _pick(rng, ["汉族", "汉", "01", "回族", "满族", "壮族", "维吾尔族", "土家族", "无"],
                      rows, [70, 10, 5, 3, 3, 3, 2, 2, 2])
    mobile = np.char.add(_pick(rng, ["13", "15", "18", "17", "19"], rows).astype(str),
                         np.char.zfill(rng.integers(0, 10**9, rows).astype(str), 9))
    landline = np.char.add("0755-", rng.integers(2 * 10**7, 9 * 10**7, rows).astype(str))
    phone = np.where(rng.random(rows) < 0.85, mobile, landline).astype(object)
    phone = _mess(rng, phone, 0.05, lambda v: np.array(["+86 " + p for p in v], object))
    phone = _mess(rng, phone, 0.05, lambda v: np.array([p + "/" + p[::-1] for p in v], object))
    phone = _mess(rng, phone, 0.03, lambda v: np.array([p[:3] + " " + p[3:7] + " " + p[7:]
                                                        for p in v], object))
    registered = (np.datetime64("2015-01-01")
                  + rng.integers(0, 3000, rows).astype("timedelta64[D]"))
    return pl.DataFrame({
        "record_id": np.arange(1, rows + 1), "source": np.full(rows, "bench", object),
        "source_row": np.arange(1, rows + 1), "entity_type": np.full(rows, "person", object),
        "name": name, "id_number": id_number, "gender": gender, "birth_date": birth_date,
        "ethnicity": ethnicity, "phone": phone,
        "registration_date": np.datetime_as_string(registered, unit="D").astype(object),
    }, schema_overrides={c: pl.Utf8 for c in ("source", "entity_type", "name", "id_number",
                                             "gender", "birth_date", "ethnicity", "phone",
                                             "registration_date")})


def _generated(rows: int) -> pl.DataFrame:
    cache = Path(__file__).parent / "_data" / f"normalize_{rows}.parquet"
    if not cache.exists():
        start = time.perf_counter()
        cache.parent.mkdir(exist_ok=True)
        make_rows(rows).write_parquet(cache)
        print(f"generated {rows:,} rows in {time.perf_counter() - start:.1f} s → {cache}")
    return pl.read_parquet(cache)


def _run_people(path: Path) -> pl.DataFrame:
    import duckdb

    from linkage.attributes import ATTRIBUTES

    con = duckdb.connect(str(path), read_only=True)
    raw = pl.from_arrow(con.sql(
        "SELECT * FROM raw_records WHERE entity_type = 'person' ORDER BY record_id").to_arrow_table())
    con.close()
    keep = {"record_id", "source", "source_row", "entity_type", *ATTRIBUTES["person"]}
    frame = raw.select([c for c in raw.columns if c in keep])
    print(f"{path}: {frame.height:,} person records, {frame.width - 4} attributes")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    parser.add_argument("--run", type=Path, help="a run's linkage.duckdb: use its raw person records")
    args = parser.parse_args()
    if args.run:
        frame = _run_people(args.run)
    else:
        frame = _generated(args.rows)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    start, cpu = time.perf_counter(), time.process_time()
    out = normalize_records(frame, "person")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    flags = {c: out[c].value_counts(sort=True).head(4).rows() for c in out.columns
             if c.endswith("_flag")}
    load = os.getloadavg()[0]
    print(f"normalized {out.height:,} rows × {len(out.columns)} columns in {seconds:.1f} s "
          f"(CPU {cpu:.1f} s, load average {load:.1f}); peak RSS {peak:,.0f} MiB "
          f"({dt.date.today()})")
    for column, counts in flags.items():
        print(f"  {column}: {counts}")


if __name__ == "__main__":
    main()
