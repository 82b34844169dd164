"""Generalisation: `linkage run` on every synth profile, scored against each profile's own truth.

    .venv/bin/python benchmarks/bench_profiles.py [--people 30000] [--seed 0] [--profiles default,sparse,noisy]
        [--extra "LABEL=dotted.path.in.metrics.json" ...] [--by-source]

For each profile: `linkage synth --profile P` into benchmarks/_data/profiles/<P>_<people>_<seed>/
(once; reused after), `linkage run` under /usr/bin/time -v, `linkage evaluate`.  Prints one
Markdown table, a row per profile: records; person and enterprise pairwise precision / recall /
F1; redundant records as the run measured them (metrics.json measure.overview) and with the
links it estimates it missed (link.<entity>.recall_estimate) against the true number
(truth_summary.json), with the relative errors; wall seconds and peak memory of the run.

Extra columns come from the run's metrics.json: EXTRA_COLUMNS below (always tried) and each
`--extra LABEL=PATH` (PATH a dotted key path, e.g. link.person.estimated_recall); a cell is "—"
where the run did not write that figure.  `--by-source` adds a table per profile of each
source's records, the share of its records clustered with every record of their true entity,
and their B-cubed recall: where the missed links are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from bench_run import BIN, ROOT, _time_v

DATA = ROOT / "benchmarks" / "_data" / "profiles"
ENTITY_TYPES = ("person", "enterprise")
# (label, dotted path in metrics.json): figures the run may write, shown beside the truth's
EXTRA_COLUMNS: list[tuple[str, str]] = [
    ("person R estimated", "link.person.recall_estimate.pairwise_recall"),
    ("person R est. low", "link.person.recall_estimate.pairwise_recall_low"),
    ("person R est. high", "link.person.recall_estimate.pairwise_recall_high"),
    ("enterprise R estimated", "link.enterprise.recall_estimate.pairwise_recall"),
    ("person possible matches", "link.person.possible_matches"),
]

_BY_SOURCE = """
WITH j AS (SELECT t.source, t.entity_type, t.entity_id AS true_id, c.entity_id AS pred_id
           FROM read_parquet(?) t JOIN read_parquet(?) c USING (source, source_row)),
     cell AS (SELECT entity_type, true_id, pred_id, count(*) AS n FROM j GROUP BY ALL),
     entity AS (SELECT entity_type, true_id, count(*) AS n FROM j GROUP BY ALL)
SELECT j.source, any_value(j.entity_type) AS entity_type, count(*) AS records,
       avg((cell.n = entity.n)::INT) AS complete, avg(cell.n / entity.n) AS bcubed_recall
FROM j JOIN cell USING (entity_type, true_id, pred_id) JOIN entity USING (entity_type, true_id)
GROUP BY j.source ORDER BY entity_type DESC, j.source
"""


def dataset(profile: str, people: int, seed: int) -> Path:
    """The profile's synthetic exports (generated once); `profile` is a packaged profile's name
    or the path of a profile file (benchmarks/profiles/dev.yaml)."""
    data = DATA / f"{Path(profile).stem}_{people}_{seed}"
    if not (data / "config.yaml").exists():
        subprocess.run([BIN / "linkage", "synth", "--profile", profile, "--people", str(people),
                        "--seed", str(seed), "--out", str(data), "-q"], check=True)
    return data


def lookup(tree: dict, path: str):
    """The value at a dotted key path, or None."""
    for key in path.split("."):
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _cell(value) -> str:
    if value is None:
        return "—"
    return f"{value:.4f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)


def measure(profile: str, people: int, seed: int, extra: list[tuple[str, str]]) -> dict:
    data = dataset(profile, people, seed)
    out = data / "out"
    run = _time_v([str(BIN / "linkage"), "run", "-q", str(data / "config.yaml")])
    subprocess.run([BIN / "linkage", "evaluate", "--truth", str(data / "truth.parquet"), str(out)],
                   check=True, capture_output=True)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    truth = json.loads((data / "truth_summary.json").read_text(encoding="utf-8"))
    scores = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))["entity_types"]
    row = {"profile": Path(profile).stem, "records": sum(t["records"] for t in truth["entity_types"].values()),
           "sources": len(truth["sources"]), "run": run, "data": data}
    for entity_type in ENTITY_TYPES:
        pairwise = scores.get(entity_type, {}).get("pairwise", {})
        measured = lookup(metrics, f"measure.overview.{entity_type}.redundant_records")
        true = lookup(truth, f"entity_types.{entity_type}.redundant_records")
        estimated = lookup(metrics, f"link.{entity_type}.recall_estimate.redundant_records")
        row[entity_type] = {**{k: pairwise.get(k) for k in ("precision", "recall", "f1")},
                            "measured": measured, "estimated": estimated, "true": true}
    row["extra"] = [lookup(metrics, path) for _, path in extra]
    return row


def _error(value: float | None, true: float | None) -> str:
    return "—" if value is None or not true else f"{(value - true) / true:+.2%}"


def table(rows: list[dict], extra: list[tuple[str, str]]) -> str:
    head = ["profile", "sources", "records"]
    for entity_type in ENTITY_TYPES:
        head += [f"{entity_type} P", f"{entity_type} R", f"{entity_type} F1"]
    for entity_type in ENTITY_TYPES:
        head.append(f"{entity_type} redundant records measured / with est. missed / true (errors)")
    head += ["run wall s", "peak RSS"] + [label for label, _ in extra]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["profile"], str(r["sources"]), f"{r['records']:,}"]
        for entity_type in ENTITY_TYPES:
            cells += [_cell(r[entity_type][k]) for k in ("precision", "recall", "f1")]
        for entity_type in ENTITY_TYPES:
            e = r[entity_type]
            errors = ", ".join(_error(e[k], e["true"]) for k in ("measured", "estimated"))
            counts = " / ".join("—" if e[k] is None else f"{round(e[k]):,}"
                                for k in ("measured", "estimated", "true"))
            cells.append(f"{counts} ({errors})")
        cells += [f"{r['run']['wall_s']:.1f}", f"{r['run']['peak_rss_mib'] / 1024:.1f} GiB"]
        cells += [_cell(v) for v in r["extra"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def by_source(row: dict) -> str:
    data = row["data"]
    result = duckdb.sql(_BY_SOURCE, params=[str(data / "truth.parquet"),
                                            str(data / "out" / "clusters.parquet")]).fetchall()
    lines = [f"{row['profile']}:", "", "| source | entity | records | clustered with all their entity's records "
             "| B-cubed recall |", "|---|---|---|---|---|"]
    lines += [f"| {s} | {e} | {n:,} | {complete:.4f} | {recall:.4f} |" for s, e, n, complete, recall in result]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profiles", default="default,sparse,noisy")
    parser.add_argument("--extra", action="append", default=[], metavar="LABEL=PATH",
                        help="a column read from metrics.json (dotted key path)")
    parser.add_argument("--by-source", action="store_true", help="also each source's share of complete records")
    args = parser.parse_args()
    extra = EXTRA_COLUMNS + [tuple(e.split("=", 1)) for e in args.extra]
    if any(len(e) != 2 for e in extra):
        sys.exit("--extra takes LABEL=dotted.path")
    # the code `linkage` runs (PYTHONPATH may point at another checkout; not the current folder)
    code = Path(subprocess.run([sys.executable, "-c", "import linkage; print(linkage.__file__)"], cwd=BIN,
                               capture_output=True, text=True, check=True).stdout.strip()).parents[1]
    head = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "not a git checkout"
    print(f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, linkage from {code} ({head}), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; --people {args.people} --seed {args.seed}")
    rows = [measure(p, args.people, args.seed, extra) for p in args.profiles.split(",")]
    print(f"load average at the end: {os.getloadavg()[0]:.1f}\n")
    print(table(rows, extra))
    if args.by_source:
        for row in rows:
            print("\n" + by_source(row))


if __name__ == "__main__":
    main()
