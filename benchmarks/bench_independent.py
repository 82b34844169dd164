"""Exports made another way: `linkage init` + `run` + `evaluate` on benchmarks/independent's city.

    .venv/bin/python benchmarks/bench_independent.py [--people 30000] [--seeds 1,2]

For each seed: `benchmarks/independent/make_exports.py` (a generator written apart from
`linkage synth`: 杭州市, five person and two enterprise systems with their own headers,
formats, encodings and error habits) into benchmarks/_data/independent_<people>_<seed>/ (once;
reused after), then `linkage init` on the exports alone (the config nobody wrote), the truth
mapped onto that config's source names (`independent/truth_for_config.py`), `linkage run`
under /usr/bin/time -v and `linkage evaluate`.  Prints one Markdown row per seed: records,
person and enterprise pairwise P / R / F1, the run's own recall estimate, redundant records
measured / with the estimated missed links / true, wall seconds and peak memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench_run import BIN, ROOT, _time_v

DATA = ROOT / "benchmarks" / "_data"
HERE = ROOT / "benchmarks" / "independent"


def dataset(people: int, seed: int) -> Path:
    data = DATA / f"independent_{people}_{seed}"
    if not (data / "truth.csv").exists():
        subprocess.run([sys.executable, str(HERE / "make_exports.py"), "--people", str(people),
                        "--seed", str(seed), "--out", str(data)], check=True, capture_output=True)
    return data


def measure(people: int, seed: int) -> dict:
    data = dataset(people, seed)
    # config, truth and output beside the exports' folder: init reads every file in it
    config, truth = data.with_suffix(".yaml"), data.with_name(f"{data.name}_truth.parquet")
    out = data.with_name(f"{data.name}_out")
    subprocess.run([str(BIN / "linkage"), "init", str(data), "-o", str(config), "--force"],
                   check=True, capture_output=True)
    text = config.read_text(encoding="utf-8")
    config.write_text("\n".join(f"output: {out.name}" if line.startswith("output:") else line
                                for line in text.splitlines()) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, str(HERE / "truth_for_config.py"), str(config), "--truth",
                    str(data / "truth.csv"), "-o", str(truth)], check=True, capture_output=True)
    run = _time_v([str(BIN / "linkage"), "run", "-q", str(config)])
    subprocess.run([str(BIN / "linkage"), "evaluate", "--truth", str(truth), str(out)],
                   check=True, capture_output=True)
    scores = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))["entity_types"]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    summary = json.loads((data / "truth_summary.json").read_text(encoding="utf-8"))
    return {"seed": seed, "scores": scores, "metrics": metrics, "summary": summary, "run": run}


def _f(value) -> str:
    return "—" if value is None else f"{value:.4f}"


def row(r: dict) -> str:
    cells = [str(r["seed"]), f"{sum(s['records_evaluated'] for s in r['scores'].values()):,}"]
    for entity in ("person", "enterprise"):
        pairwise = r["scores"].get(entity, {}).get("pairwise", {})
        cells.append(" / ".join(_f(pairwise.get(k)) for k in ("precision", "recall", "f1")))
    person = r["scores"]["person"]
    estimate = r["metrics"]["link"]["person"].get("recall_estimate") or {}
    cells.append(_f(estimate.get("pairwise_recall")))
    true = person["redundant_records"]["true"]
    measured = person["redundant_records"]["estimated"]
    corrected = estimate.get("redundant_records")
    parts = [f"{measured:,} ({(measured - true) / true:+.2%})"]
    if corrected is not None:
        parts.append(f"{round(corrected):,} ({(corrected - true) / true:+.2%})")
    cells.append(" / ".join(parts) + f" / {true:,}")
    cells += [f"{r['run']['wall_s']:.1f}", f"{r['run']['peak_rss_mib'] / 1024:.1f} GiB"]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30000)
    parser.add_argument("--seeds", default="1,2")
    args = parser.parse_args()
    print("| seed | records | person P / R / F1 | enterprise P / R / F1 | person R estimated "
          "| person redundant records measured / with est. missed / true | wall s | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in (int(s) for s in args.seeds.split(",")):
        print(row(measure(args.people, seed)), flush=True)


if __name__ == "__main__":
    main()
