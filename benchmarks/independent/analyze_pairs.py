#!/usr/bin/env python3
"""Missed and false pairs of a linkage run against make_exports.py's truth, with the reasons guessed.

Usage: python analyze_pairs.py RUN_DIR/out TRUTH.parquet [--type person] [--sample 30] [--seed 0]
Prints: counts of missed / false pairs by source pair and by the error tags of the two records,
a heuristic reason breakdown, and a sample of pairs with both records' key normalized fields.
"""
from __future__ import annotations

import argparse
import itertools
import random
from collections import Counter
from pathlib import Path

import polars as pl

KEY_FIELDS = {
    "person": ["name", "id_number", "id_number_flag", "birth_date", "gender", "phone", "address_key",
               "address", "employer_core"],
    "enterprise": ["name", "name_core", "uscc", "uscc_flag", "org_key", "legal_rep", "phone", "address_key"],
}


def load(out: Path, truth: Path, etype: str):
    rec = pl.read_parquet(out / "records.parquet").filter(pl.col("entity_type") == etype)
    cl = pl.read_parquet(out / "clusters.parquet").filter(pl.col("entity_type") == etype)
    tr = pl.read_parquet(truth).filter(pl.col("entity_type") == etype)
    df = (tr.rename({"entity_id": "true_id"})
          .join(cl.select("source", "source_row", "record_id", pl.col("entity_id").alias("pred_id")),
                on=["source", "source_row"], how="left")
          .join(rec.drop("entity_type", "source", "source_row"), on="record_id", how="left"))
    return df


def pairs(df: pl.DataFrame, by: str, other: str):
    """Pairs of rows sharing `by` but not `other` (as lists of row indices)."""
    out = []
    rows = df.select("i", by, other).to_dicts()
    groups: dict = {}
    for r in rows:
        groups.setdefault(r[by], []).append(r)
    for g in groups.values():
        if len(g) < 2:
            continue
        for a, b in itertools.combinations(g, 2):
            if a[other] != b[other]:
                out.append((a["i"], b["i"]))
    return out


def valid_id(r, etype):
    return r["id_number_flag"] == "valid" if etype == "person" else r.get("uscc_flag") == "valid"


def reason(a, b, etype) -> str:
    if etype == "person":
        va, vb = valid_id(a, etype), valid_id(b, etype)
        if va and vb:
            return "same valid ID" if a["id_number"] == b["id_number"] else "two different valid IDs"
        if va or vb:
            why = "one valid ID, other " + ("no ID" if not (a["id_number"] or b["id_number"]) or
                                           not (b if va else a)["id_number"] else "invalid/other ID")
        else:
            why = "neither has a valid ID"
        same = []
        if a["name"] == b["name"]:
            same.append("name")
        if a["phone"] and a["phone"] == b["phone"]:
            same.append("phone")
        if a["birth_date"] and a["birth_date"] == b["birth_date"]:
            same.append("birth")
        if a["address_key"] and a["address_key"] == b["address_key"]:
            same.append("addr")
        return f"{why}; equal: {','.join(same) or 'nothing'}"
    va, vb = a.get("uscc_flag") == "valid", b.get("uscc_flag") == "valid"
    if va and vb:
        return "same valid USCC" if a["uscc"] == b["uscc"] else "two different valid USCC"
    return "USCC missing/invalid on " + ("one" if va or vb else "both") + (
        "; same org_key" if a["org_key"] and a["org_key"] == b["org_key"] else "")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("truth", type=Path)
    ap.add_argument("--type", default="person")
    ap.add_argument("--sample", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--false", action="store_true", help="also sample false pairs")
    args = ap.parse_args(argv)
    etype = args.type
    df = load(args.out, args.truth, etype).with_row_index("i")
    recs = df.to_dicts()
    missed = pairs(df, "true_id", "pred_id")
    false = pairs(df, "pred_id", "true_id")
    print(f"{etype}: {len(recs)} records, missed true pairs {len(missed)}, false pairs {len(false)}")
    for label, ps in (("MISSED", missed), ("FALSE", false)):
        print(f"\n== {label} pairs by source pair")
        for k, v in Counter(tuple(sorted((recs[a]['source'], recs[b]['source']))) for a, b in ps).most_common(12):
            print(f"  {v:6d}  {k}")
        print(f"== {label} pairs by reason")
        for k, v in Counter(reason(recs[a], recs[b], etype) for a, b in ps).most_common(15):
            print(f"  {v:6d}  {k}")
        print(f"== {label} pairs: error tags present on either record (pairs counted once per tag)")
        tags = Counter()
        for a, b in ps:
            for t in set(recs[a]["errors"] or []) | set(recs[b]["errors"] or []):
                tags[t] += 1
        print("  " + ", ".join(f"{t} {n}" for t, n in tags.most_common(25)))
        if label == "FALSE" and not args.false:
            continue
        rng = random.Random(args.seed)
        for a, b in rng.sample(ps, min(args.sample, len(ps))):
            ra, rb = recs[a], recs[b]
            print(f"\n-- {ra['true_id']}/{rb['true_id']}  pred {ra['pred_id']} / {rb['pred_id']}  "
                  f"[{reason(ra, rb, etype)}]")
            for r in (ra, rb):
                vals = " | ".join(f"{k}={r.get(k)}" for k in KEY_FIELDS[etype] if r.get(k) not in (None, ""))
                print(f"   {r['source']}:{r['source_row']} rid={r['record_id']} {vals}  errs={','.join(r['errors'] or [])}")


if __name__ == "__main__":
    main()
