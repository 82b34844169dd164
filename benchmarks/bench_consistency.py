"""Benchmark: a run's consistency and validity figures against the truth of `linkage synth`.

    .venv/bin/python benchmarks/bench_consistency.py OUTPUT_DIR SYNTH_DIR

The truth of an attribute's consistency comes from truth.parquet: an entity (true entity id) is
compared when two or more sources hold a value for the attribute (the run's normalized records,
joined on source and source_row), and disagrees when one of those values carries an entry error
that makes it a value of its own (a wrong or swapped character), or when some of them carry
an error that swaps in the entity's other value (a stale phone: the old number) and others do
not.  Writing forms that name the same value — a local landline without its area code
(`phone_local`), an organisation code in the credit-code column (`uscc_org_code`), full-width
digits, a 15-digit ID — are not disagreements.  Validity truth: the share of a source's values without an error that breaks
the code's check.  Printed beside the run's metric_consistency and metric_quality figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import polars as pl

# (entity_type, attribute): (errors that make a value of its own, errors that swap in the
# entity's one other value)
CHANGING = {
    ("enterprise", "phone"): (("phone_wrong_digit",), ()),
    ("enterprise", "uscc"): (("uscc_wrong_char", "uscc_swap"), ()),
    ("enterprise", "org_code"): (("org_code_wrong_char",), ()),
    ("person", "id_number"): (("id_number_swap", "id_number_wrong_digit"), ()),
    ("person", "phone"): (("phone_wrong_digit",), ("phone_stale",)),
}
# (entity_type, attribute): the errors that break a code's check (validity truth)
BREAKING = {
    ("enterprise", "uscc"): ("uscc_wrong_char", "uscc_swap"),
    ("enterprise", "org_code"): ("org_code_wrong_char",),
}


def _has(errors: tuple[str, ...]) -> pl.Expr:
    return pl.col("errors").list.eval(pl.element().is_in(list(errors))).list.any()


def _held(records: pl.DataFrame, truth: pl.DataFrame, entity_type: str, attribute: str,
          errors: tuple[str, ...], other: tuple[str, ...] = ()) -> pl.DataFrame:
    """The records holding a value of the attribute: source, entity_id, hit (an error of
    `errors`), other (an error of `other`)."""
    return (records.filter((pl.col("entity_type") == entity_type) & pl.col(attribute).is_not_null())
            .select("source", "source_row")
            .join(truth, on=["source", "source_row"])
            .select("source", "entity_id", _has(errors).alias("hit"), _has(other).alias("other")))


def consistency_truth(records: pl.DataFrame, truth: pl.DataFrame) -> list[dict]:
    rows = []
    for (entity_type, attribute), (errors, other) in CHANGING.items():
        if attribute not in records.columns:
            continue
        held = _held(records, truth, entity_type, attribute, errors, other)
        entities = held.group_by("entity_id").agg(
            pl.col("source").n_unique().alias("sources"),
            (pl.col("hit").any() | (pl.col("other").n_unique() > 1)).alias("hit"))
        compared = entities.filter(pl.col("sources") >= 2)
        rows.append({"entity_type": entity_type, "attribute": attribute,
                     "compared": compared.height, "disagreeing": int(compared["hit"].sum())})
    return rows


def validity_truth(records: pl.DataFrame, truth: pl.DataFrame) -> list[dict]:
    rows = []
    for (entity_type, attribute), errors in BREAKING.items():
        if attribute not in records.columns:
            continue
        held = _held(records, truth, entity_type, attribute, errors)
        for (source,), part in held.group_by(["source"], maintain_order=True):
            rows.append({"entity_type": entity_type, "attribute": attribute, "source": source,
                         "values": part.height, "valid": part.height - int(part["hit"].sum())})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("synth", type=Path)
    args = parser.parse_args()
    records = pl.read_parquet(args.output / "records.parquet")
    truth = pl.read_parquet(args.synth / "truth.parquet").select(
        "source", "source_row", "entity_id", "errors")
    measure = json.loads((args.output / "metrics.json").read_text(encoding="utf-8"))["measure"]
    measured = {(r["entity_type"], r["attribute"]): r for r in measure["consistency"]["attributes"]}
    print(f"{'consistency':<22} {'truth compared':>14} {'disagree':>9} {'rate':>8}   "
          f"{'run compared':>12} {'disagree':>9} {'rate':>8}   {'diff':>7}")
    for t in consistency_truth(records, truth):
        m = measured.get((t["entity_type"], t["attribute"]))
        if not t["compared"]:
            continue  # held by one source only
        rate = t["disagreeing"] / t["compared"]
        line = (f"{t['entity_type'] + ' ' + t['attribute']:<22} {t['compared']:>14,} "
                f"{t['disagreeing']:>9,} {rate:>8.2%}   ")
        if m:
            line += (f"{m['entities_compared']:>12,} {m['entities_disagreeing']:>9,} "
                     f"{m['disagreement_rate']:>8.2%}   {(m['disagreement_rate'] - rate) * 100:>+6.2f}pp")
        print(line)
    quality = {(r["entity_type"], r["attribute"], r["source"]): r for r in measure["quality"]}
    print(f"\n{'validity':<30} {'truth values':>12} {'valid':>8} {'rate':>8}   {'run flagged':>11} "
          f"{'valid':>8} {'rate':>8}   {'diff':>7}")
    for t in validity_truth(records, truth):
        m = quality.get((t["entity_type"], t["attribute"], t["source"]))
        rate = t["valid"] / t["values"]
        line = (f"{t['entity_type'] + ' ' + t['attribute'] + ' ' + t['source']:<30} "
                f"{t['values']:>12,} {t['valid']:>8,} {rate:>8.2%}   ")
        if m and m["validity_rate"] is not None:
            line += (f"{m['flagged']:>11,} {m['valid']:>8,} {m['validity_rate']:>8.2%}   "
                     f"{(m['validity_rate'] - rate) * 100:>+6.2f}pp")
        print(line)


if __name__ == "__main__":
    main()
