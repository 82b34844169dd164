"""One `linkage run` with its stage timings in CPU seconds instead of wall seconds.

    .venv/bin/python benchmarks/stage_cpu.py CONFIG [--full]

Runs the pipeline in this process with the clock of its stage log (`linkage.pipeline`) and of
the link stage's steps (`linkage.link.run`) replaced by the process's CPU time (every thread,
DuckDB's included), so metrics.json's `run.stage_seconds` and `link.<entity>.seconds` say where
the CPU went on a machine too loaded for wall seconds to mean much.  Benchmark use only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import SimpleNamespace

import linkage.link.run
import linkage.pipeline
from linkage.config import load_config

CPU_CLOCK = SimpleNamespace(perf_counter=time.process_time)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    linkage.pipeline.time = CPU_CLOCK
    linkage.link.run.time = CPU_CLOCK
    linkage.pipeline.run(load_config(args.config), echo=lambda _m: None,
                         retrain="--full" if args.full else None)


if __name__ == "__main__":
    main()
