"""Benchmark `linkage synth`: records per second and peak memory of a streamed generation.

    .venv/bin/python benchmarks/bench_synth.py --people 2450000            # about 10M records
    .venv/bin/python benchmarks/bench_synth.py --people 250000 [--workers 2] [--profile sparse]

Writes into benchmarks/_out/synth_<people> (ignored by git) and prints one Markdown table row:
date, profile, people, workers, records, seconds (wall), CPU seconds (user + sys of this process and its
worker processes), records per wall second and per CPU second, peak RSS (this process / the
largest worker) and the size on disk.  The load average is printed too: on a shared machine
wall time is noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import time
from pathlib import Path

from linkage.synth.generate import generate

OUT = Path(__file__).resolve().parent / "_out"


def _cpu() -> float:
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage,
                                                   (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_450_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--profile", default="default", help="synth profile (linkage synth --profile)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    out = OUT / f"synth_{args.people}"
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), _cpu()
    summary = generate(out, args.people, seed=args.seed, workers=args.workers, profile=args.profile)
    wall = time.perf_counter() - start
    cpu_seconds = _cpu() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    records = sum(t["records"] for t in summary["entity_types"].values())
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"load average at start: {load:.1f}, at end: {os.getloadavg()[0]:.1f}")
    print("| date | profile | people | workers | records | wall s | CPU s | records/s (wall) | records/s (CPU) "
          "| peak RSS main / worker | on disk |")
    print(f"| {dt.date.today()} | {args.profile} | {args.people:,} | {args.workers or os.cpu_count()} | {records:,} | {wall:.1f} "
          f"| {cpu_seconds:.1f} | {records / wall:,.0f} | {records / cpu_seconds:,.0f} "
          f"| {peak:,.0f} / {worker_peak:,.0f} MiB | {size / 2**30:.2f} GiB |")
    if not args.keep:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
