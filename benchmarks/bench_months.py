"""Monthly runs against an entity store: id stability, explained id changes, accuracy, cost.

    .venv/bin/python benchmarks/bench_months.py --people 250000 --months 12 [--seed 11] [--profile sparse]

Generates `linkage synth --months` into benchmarks/_data/months_<people>_<seed>[_<profile>]/ (once; reused
after; a run's store is started afresh), runs every month in order against the store under
/usr/bin/time -v, and prints per month: records, CPU seconds, peak RSS, person pairwise F1
against that month's truth, and — from the month before — how many true entities kept all
their records unchanged, the share of them whose stable id(s) stayed the same, and the id
changes (merged / split): explained by a change in the data (a truth entity they touch changed
its records), or with all touched entities unchanged, a linkage `fix` (a merge joining one true
entity, a split separating true entities) or the opposite: `nearby` when a record of the entity
has a candidate pair with a record that is new or changed this month (a newcomer of the same
name makes the entity's link to an unidentified record less certain), else a linkage `miss` —
the re-link's model moving a borderline decision — and where the person model came from
(reused from the store, with its u drift, or trained).  `--no-run` re-reads the months' outputs without running.

`--compare-full`: each month from the second is also run with `linkage run --full` against a
copy of the store as it was before the month (config `full.yaml`, output `full-out`): per month
the CPU seconds and person F1 of the incremental run and of the full one, the records whose
entity id differs between the two and the records of entities the two partition otherwise (ids
differ beyond those when new entities are numbered in another order), the pairs the incremental run compared and carried, and the
CPU seconds per stage of both runs (the runs go through `benchmarks/stage_cpu.py`; "rest" is the
report and start-up, the run's CPU less its stages').
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
from bench_run import BIN, ROOT, _time_v

from linkage.synth.evaluate import evaluate_clusters


def _records(folder: Path) -> pl.DataFrame:
    """The month's linked records with their truth entity and stable id."""
    clusters = pl.read_parquet(folder / "out" / "clusters.parquet",
                               columns=["record_id", "source", "source_row", "record_key", "row_hash",
                                        "entity_id"])
    truth = pl.read_parquet(folder / "truth.parquet", columns=["source", "source_row", "entity_id"])
    return truth.rename({"entity_id": "truth"}).join(clusters, on=["source", "source_row"], how="left")


def _touched_by_news(records: pl.DataFrame, before: pl.DataFrame, pairs: pl.DataFrame) -> set:
    """Entity ids of this month whose records have a candidate pair with a record that is new
    or changed since the month `before` (a newcomer of the same name, a re-keyed record)."""
    key = pl.concat_str("source", "record_key", "row_hash", separator="|")
    known = set(before.select(key.alias("k"))["k"])
    news = records.with_columns(key.alias("k")).filter(~pl.col("k").is_in(known))["record_id"]
    ends = pairs.filter(pl.col("record_id_l").is_in(news.implode()) | pl.col("record_id_r").is_in(news.implode()))
    touched = pl.concat([ends["record_id_l"], ends["record_id_r"]]).unique()
    return set(records.filter(pl.col("record_id").is_in(touched.implode()))["entity_id"])


def _stability(before: pl.DataFrame, after: pl.DataFrame, history: pl.DataFrame,
               news: set) -> dict:
    def content(frame):  # per truth entity: its records (key + hash, null = not linked) and ids
        return frame.group_by("truth").agg(
            pl.concat_str("source", "record_key", "row_hash", separator="|").sort().alias("rows"),
            pl.col("entity_id").unique().sort().alias("ids"))

    both = content(before).join(content(after), on="truth", suffix="_after")
    same = both.filter((pl.col("rows") == pl.col("rows_after")) & pl.col("rows").list.eval(
        pl.element().is_not_null()).list.all())
    kept = same.filter(pl.col("ids") == pl.col("ids_after")).height
    steady = set(same["truth"])
    kinds = {"data": 0, "nearby": 0, "fix": 0, "miss": 0}
    changes = history.filter(pl.col("kind").is_in(["merged", "split"]))
    for kind, old_id, new_id in changes.select("kind", "old_id", "new_id").iter_rows():
        old_before = set(before.filter(pl.col("entity_id") == old_id)["truth"])
        old_after = set(after.filter(pl.col("entity_id") == old_id)["truth"])
        new_after = set(after.filter(pl.col("entity_id") == new_id)["truth"])
        if not (old_before | old_after | new_after) <= steady:
            kinds["data"] += 1          # a truth entity involved changed its records
        else:
            # a merge that joins one true entity fixes a missed link, a split that separates
            # true entities a false one; a miss beside a new or changed record is "nearby"
            fix = len(old_before | new_after) == 1 if kind == "merged" else not old_after & new_after
            kinds["fix" if fix else "nearby" if {old_id, new_id} & news else "miss"] += 1
    return {"unchanged_entities": len(steady), "kept_id": kept,
            "kept_share": kept / len(steady) if steady else None, "id_changes": changes.height, **kinds}


def _model(folder: Path) -> str:
    """Where the month's person model came from (the store or trained) and its u drift."""
    link = json.loads((folder / "out" / "metrics.json").read_text(encoding="utf-8"))["link"]["person"]
    drift = link.get("u_drift")
    return link.get("model_source", "trained") + ("" if drift is None else f" ({drift:.4f})")


def _full_config(folder: Path) -> Path:
    """The month's config naming the copy of the store (`full-store.duckdb`) and `full-out`."""
    text = (folder / "config.yaml").read_text(encoding="utf-8")
    path = folder / "full.yaml"
    path.write_text(text.replace("store: ../store.duckdb", "store: ../full-store.duckdb")
                    .replace("output: out", "output: full-out"), encoding="utf-8")
    return path


def _stages(out: Path, cpu_s: float) -> dict:
    """Seconds per stage of a run (CPU seconds through stage_cpu.py), the link stage split by its
    steps (person), and the rest of the run's `cpu_s`."""
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    stages = metrics["run"]["stage_seconds"]
    link = metrics["link"]["person"]["seconds"]
    return {**stages, "rest": cpu_s - sum(stages.values()), **{f"link.{k}": v for k, v in link.items()}}


def _run(config: Path, *options: str, cpu_stages: bool = False) -> dict:
    """/usr/bin/time -v of one run (through stage_cpu.py when `cpu_stages`)."""
    if cpu_stages:
        return _time_v([sys.executable, str(ROOT / "benchmarks" / "stage_cpu.py"), str(config), *options])
    return _time_v([str(BIN / "linkage"), "run", "-q", *options, str(config)])


def _compare_full(data: Path, k: int, incremental: dict) -> None:
    """Month k again with --full from the store as the incremental run found it (copied by
    `main` before that run); print both runs' figures."""
    folder = data / f"month-{k:02d}"
    cost = _run(_full_config(folder), "--full", cpu_stages=True)
    f1 = evaluate_clusters(folder / "full-out" / "clusters.parquet", folder / "truth.parquet")["person"]
    inc = evaluate_clusters(folder / "out" / "clusters.parquet", folder / "truth.parquet")["person"]
    ids = [pl.read_parquet(folder / o / "clusters.parquet", columns=["source", "record_key", "entity_id"])
           for o in ("out", "full-out")]
    both = ids[0].join(ids[1], on=["source", "record_key"])
    differ = both.filter(pl.col("entity_id") != pl.col("entity_id_right")).height
    # ids differ where the partitions agree when new entities are numbered in another order;
    # the records of entities either run divides otherwise are the partitions' difference
    apart = [both.group_by(a).agg(pl.col(b).n_unique().alias("k")).filter(pl.col("k") > 1)[a]
             for a, b in (("entity_id", "entity_id_right"), ("entity_id_right", "entity_id"))]
    otherwise = both.filter(pl.col("entity_id").is_in(apart[0].implode())
                            | pl.col("entity_id_right").is_in(apart[1].implode())).height
    store = json.loads((folder / "out" / "metrics.json").read_text(encoding="utf-8"))["store"]["person"]
    changed = store["added_records"] + store["changed_records"] + store["removed_records"]
    print(f"  month {k} incremental vs full: cpu_s {incremental['cpu_s']:.0f} / {cost['cpu_s']:.0f} "
          f"({incremental['cpu_s'] / cost['cpu_s']:.0%}), peak RSS MiB {incremental['peak_rss_mib']:.0f} / "
          f"{cost['peak_rss_mib']:.0f}, person F1 {inc['pairwise']['f1']:.5f} / "
          f"{f1['pairwise']['f1']:.5f}, records with another id {differ}, records in entities "
          f"partitioned otherwise {otherwise}, person records added+changed"
          f"+removed {changed} ({changed / (store['unchanged_records'] + changed):.2%}), pairs compared "
          f"{store['compared_pairs']:,} carried {store['carried_pairs']:,}", flush=True)
    a, b = _stages(folder / "out", incremental["cpu_s"]), _stages(folder / "full-out", cost["cpu_s"])
    print("    stage CPU s (incremental / full): " + ", ".join(
        f"{name} {a.get(name, 0):.1f}/{b.get(name, 0):.1f}" for name in dict.fromkeys([*b, *a])), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--profile", default="default", help="the synth profile of the city")
    parser.add_argument("--no-run", action="store_true", help="analyse the outputs already there")
    parser.add_argument("--compare-full", action="store_true",
                        help="also run each month from the second with --full (see above)")
    args = parser.parse_args()
    data = ROOT / "benchmarks" / "_data" / (f"months_{args.people}_{args.seed}" + (
        "" if args.profile == "default" else f"_{Path(args.profile).stem}"))
    if not (data / f"month-{args.months:02d}" / "config.yaml").exists():
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run([str(BIN / "linkage"), "synth", "--people", str(args.people), "--months",
                        str(args.months), "--seed", str(args.seed), "--profile", args.profile, "--out", str(data),
                        "-q"], check=True)
    if not args.no_run:
        (data / "store.duckdb").unlink(missing_ok=True)
    before = None
    print("month  records  cpu_s  peak_rss_mib  person_f1  unchanged_entities  kept_id  kept_share  "
          "id_changes  data  nearby  fix  miss  person_model (u drift)")
    for k in range(1, args.months + 1):
        folder = data / f"month-{k:02d}"
        compare = args.compare_full and k > 1 and not args.no_run
        if compare:
            shutil.copyfile(data / "store.duckdb", data / "full-store.duckdb")
        cost = {"cpu_s": float("nan"), "peak_rss_mib": float("nan")} if args.no_run else \
            _run(folder / "config.yaml", cpu_stages=compare)
        f1 = evaluate_clusters(folder / "out" / "clusters.parquet", folder / "truth.parquet")["person"]
        records = _records(folder)
        with duckdb.connect(str(data / "store.duckdb"), read_only=True) as con:
            history = con.sql(f"SELECT kind, old_id, new_id FROM entity_history WHERE run = {k}").pl()
        news = (_touched_by_news(records.drop_nulls("record_id"), before.drop_nulls("record_id"),
                                 pl.read_parquet(folder / "out" / "pairs.parquet",
                                                 columns=["record_id_l", "record_id_r"]))
                if before is not None else set())
        s = _stability(before, records, history, news) if before is not None else {}
        share = f"{s['kept_share']:.5f}" if s.get("kept_share") is not None else ""
        print(f"{k:>5}  {records.height:>7,}  {cost['cpu_s']:>5.0f}  {cost['peak_rss_mib']:>12.0f}  "
              f"{f1['pairwise']['f1']:>9.4f}  {s.get('unchanged_entities', ''):>18}  "
              f"{s.get('kept_id', ''):>7}  {share:>10}  "
              f"{s.get('id_changes', ''):>10}  {s.get('data', ''):>4}  {s.get('nearby', ''):>6}  "
              f"{s.get('fix', ''):>3}  "
              f"{s.get('miss', ''):>4}  {_model(folder)}", flush=True)
        if compare:
            _compare_full(data, k, cost)
        before = records


if __name__ == "__main__":
    main()
