"""Time and check the report on a run folder: render report.html and report.xlsx from its database.

    .venv/bin/python benchmarks/bench_report.py OUTPUT_DIR [--language zh]

Relinks nothing: opens OUTPUT_DIR/linkage.duckdb and metrics.json, renders both files into a
temporary folder, and prints rows, seconds, file sizes, peak RSS, the sections left unavailable
and any section that failed (both should be empty on a complete run).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from linkage.engine import open_engine
from linkage.report import build_report, render_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--language", default="zh", choices=("zh", "en"))
    args = parser.parse_args()
    metrics = json.loads((args.output_dir / "metrics.json").read_text(encoding="utf-8"))
    engine = open_engine(str(args.output_dir / "linkage.duckdb"))
    records = engine.scalar("SELECT count(*) FROM records")
    pairs = engine.scalar("SELECT count(*) FROM pairs")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        render_report(engine, metrics, Path(tmp), args.language)
        seconds = time.perf_counter() - start
        html = (Path(tmp) / "report.html").stat().st_size
        xlsx = (Path(tmp) / "report.xlsx").stat().st_size
    sections, errors = build_report(engine, metrics, args.language)
    engine.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records {records:,}  pairs {pairs:,}  render {seconds:.2f} s  "
          f"report.html {html / 1024:.0f} KiB  report.xlsx {xlsx / 1024:.0f} KiB  "
          f"peak RSS {peak:.0f} MiB")
    print(f"sections {len(sections)}, unavailable: "
          f"{[s.id for s in sections if s.unavailable] or 'none'}, errors: {errors or 'none'}")


if __name__ == "__main__":
    main()
