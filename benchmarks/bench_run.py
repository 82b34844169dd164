"""Whole-run benchmark: `linkage run` on synth data, with stage timings, peak memory and accuracy.

    .venv/bin/python benchmarks/bench_run.py --people 250000 [--seed 11] [--noise default]

Generates the data into benchmarks/_data/run_<people>_<seed>_<noise>/ (once; reused after),
runs `linkage run` under /usr/bin/time -v, then `linkage evaluate`, and prints one summary line
per figure (records, wall and CPU seconds, peak RSS, seconds per stage, pairwise F1).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _time_v(command: list[str]) -> dict:
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    stats = dict(re.findall(r"^\s*(.+?): (.+)$", result.stderr, flags=re.M))
    wall = stats["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    return {
        "wall_s": sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall))),
        "cpu_s": float(stats["User time (seconds)"]) + float(stats["System time (seconds)"]),
        "peak_rss_mib": int(stats["Maximum resident set size (kbytes)"]) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--noise", default="default")
    args = parser.parse_args()
    data = ROOT / "benchmarks" / "_data" / f"run_{args.people}_{args.seed}_{args.noise}"
    if not (data / "config.yaml").exists():
        subprocess.run([BIN / "linkage", "synth", "--people", str(args.people), "--seed",
                        str(args.seed), "--noise", args.noise, "--out", str(data), "-q"], check=True)
    run = _time_v([str(BIN / "linkage"), "run", "-q", str(data / "config.yaml")])
    out = data / "out"
    subprocess.run([BIN / "linkage", "evaluate", "--truth", str(data / "truth.parquet"), str(out)],
                   check=True, capture_output=True)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    scores = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))["entity_types"]
    records = sum(r["rows_in"] for r in metrics["row_accounting"])
    print(f"data: {data}")
    print(f"records: {records:,}")
    print(f"linkage run: {run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU, "
          f"peak RSS {run['peak_rss_mib']:,.0f} MiB")
    print("stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in metrics["run"]["stage_seconds"].items()))
    for entity_type, s in scores.items():
        pw = s["pairwise"]
        print(f"{entity_type}: pairwise P {pw['precision']:.4f} R {pw['recall']:.4f} F1 {pw['f1']:.4f}")


if __name__ == "__main__":
    main()
